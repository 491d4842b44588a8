import { describeLedgerConformance } from '@datapact/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHarness } from '../src/index.js'

describeLedgerConformance('memory', async () => createMemoryHarness(), {
  modelRuns: 25,
  indexRuns: 25,
  genesisAdmin: true,
  runner: { describe, it, expect, beforeEach, afterEach },
})
