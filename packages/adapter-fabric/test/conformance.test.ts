import { describeLedgerConformance } from '@datapact/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFabricHarness } from '../src/testing/index.js'

describeLedgerConformance('fabric', createFabricHarness, {
  timeout: 60_000,
  genesisAdmin: true,
  runner: { describe, it, expect, beforeEach, afterEach },
})
