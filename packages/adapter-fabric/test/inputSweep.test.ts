import { describeLedgerInputSweep } from '@datapact/core/testing'
import { createFabricHarness } from '../src/testing/index.js'

// The ledger-level bad-input sweep (issue 9) through the real gateway client and the gateway test server.
describeLedgerInputSweep('fabric', createFabricHarness, { numRuns: 12, seed: 9 })
