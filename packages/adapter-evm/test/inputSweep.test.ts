import { describeLedgerInputSweep } from '@datapact/core/testing'
import { afterAll } from 'vitest'
import { createEvmHarness, startAnvil } from '../src/testing/index.js'

// The ledger-level bad-input sweep (issue 9) on a real Anvil: the events read back stand in for the state.
const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

describeLedgerInputSweep('evm (anvil)', () => createEvmHarness({ anvil }), { numRuns: 12, seed: 9 })
