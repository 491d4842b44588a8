import { ensureKubo } from '../src/testing/kubo.js'

export default async function setup() {
  const started = Date.now()
  const binary = await ensureKubo({ log: line => console.log(`[store-ipfs] ${line}`) })
  if (Date.now() - started > 5000) console.log(`[store-ipfs] Kubo ready at ${binary}`)
}
