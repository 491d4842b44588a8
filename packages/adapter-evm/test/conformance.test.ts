import { describeLedgerConformance } from '@datapact/core/testing'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEvmHarness, startAnvil } from '../src/testing/index.js'

// One Anvil for this file (its tests run one after another), a fresh contract per test.
const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

describeLedgerConformance('evm (anvil)', () => createEvmHarness({ anvil }), {
  genesisAdmin: true,
  runner: { describe, it, expect, beforeEach, afterEach },
})
