import { compile } from '../../adapter-evm/scripts/compile.js'
import { ensureKubo } from '../src/testing/kubo.js'

/**
 * Builds Kubo into the per-machine tool cache when it is missing (minutes once, then instant), and compiles the
 * EVM adapter's contract that the EVM tests of this package load from its sources (a no-op when up to date).
 */
export default async function setup(): Promise<void> {
  const started = Date.now()
  const binary = await ensureKubo({ log: line => console.log(`[store-ipfs] ${line}`) })
  if (Date.now() - started > 5000) console.log(`[store-ipfs] Kubo ready at ${binary}`)
  await compile()
}
