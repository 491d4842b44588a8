import type { LedgerHarness } from '@datapact/core/testing'
import { MemoryLedger } from './memoryLedger.js'

/**
 * A conformance harness on a fresh {@link MemoryLedger} with a settable clock: `advanceTime` moves ledger time
 * without waiting. Also handy for users' own tests.
 */
export function createMemoryHarness(): LedgerHarness & { ledger: MemoryLedger } {
  let now = Math.floor(Date.now() / 1000)
  // The first member handed out is the genesis admin, fixed for this ledger.
  const admin = 'mem:genesis-admin'
  const ledger = new MemoryLedger({ clock: () => now, admin })
  let n = 0
  return {
    ledger,
    genesisAdmin: true,
    member: async label => ledger.as(n++ === 0 ? admin : `mem:${label}-${n}`),
    advanceTime: async seconds => {
      now += seconds
    },
    teardown: async () => undefined,
  }
}
