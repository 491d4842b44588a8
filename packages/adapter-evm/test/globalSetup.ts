import { compile } from '../scripts/compile.js'

/** Compiles contracts/*.sol into src/generated/datapact.ts when it is missing or stale (the test files import it). */
export default async function setup(): Promise<void> {
  await compile()
}
