import { describeClientInputSweep, describeLedgerInputSweep } from '@datapact/core/testing'
import { createMemoryHarness } from '../src/index.js'

// The ledger-level bad-input sweep (issue 9), with the whole ledger's snapshot compared before and after.
describeLedgerInputSweep('memory', async () => createMemoryHarness(), {
  numRuns: 40,
  seed: 9,
  snapshot: h => (h as ReturnType<typeof createMemoryHarness>).ledger.snapshot(),
})

// The client-level sweep (every client method, Datapact.open, stores, key functions) on the memory ledger.
describeClientInputSweep('memory', async () => createMemoryHarness(), {
  numRuns: 25,
  seed: 9,
  snapshot: h => (h as ReturnType<typeof createMemoryHarness>).ledger.snapshot(),
})
