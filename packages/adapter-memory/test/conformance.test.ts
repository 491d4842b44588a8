import { describeLedgerConformance } from '@datapact/core/testing'
import { createMemoryHarness } from '../src/index.js'

describeLedgerConformance('memory', async () => createMemoryHarness(), { modelRuns: 25, genesisAdmin: true })
