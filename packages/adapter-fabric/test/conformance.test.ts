import { describeLedgerConformance } from '@datapact/core/testing'
import { createFabricHarness } from '../src/testing/index.js'

describeLedgerConformance('fabric', createFabricHarness, { timeout: 60_000, genesisAdmin: true })
