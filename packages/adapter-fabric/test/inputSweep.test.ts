import { describeLedgerInputSweep } from '@datapact/core/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createFabricHarness } from '../src/testing/index.js'

// The ledger-level bad-input sweep (issue 9) through the real gateway client and the gateway test server.
describeLedgerInputSweep('fabric', createFabricHarness, {
  numRuns: 12,
  seed: 9,
  runner: { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll },
})
