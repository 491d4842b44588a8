import { isDatapactError } from '@datapact/core'
import { applyMutation, describeLedgerInputSweep, describeMutation, mutation, refusal } from '@datapact/core/testing'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EvmLedger } from '../src/index.js'
import { ANVIL_ACCOUNTS, createEvmHarness, startAnvil } from '../src/testing/index.js'

// The ledger-level bad-input sweep (issue 9) on a real Anvil: the events read back stand in for the state.
const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

describeLedgerInputSweep('evm (anvil)', () => createEvmHarness({ anvil }), {
  numRuns: 12,
  seed: 9,
  runner: { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll },
})

// The adapter's own entry points: deploy / attach options, `as` and `connect`; refused before anything is sent.
describe('bad-input sweep (EvmLedger options)', () => {
  let ledger: EvmLedger
  beforeAll(async () => {
    ledger = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_ACCOUNTS[0], pollingInterval: 20 })
  })
  afterAll(() => ledger?.close())
  const params = { numRuns: 30, seed: 9 }

  it.each(['deploy', 'attach'] as const)('%s: malformed options are INVALID_INPUT', async method => {
    const valid = {
      rpcUrl: anvil.rpcUrl,
      privateKey: ANVIL_ACCOUNTS[1],
      pollingInterval: 20,
      ...(method === 'attach' ? { address: ledger.address } : {}),
    }
    await fc.assert(
      fc.asyncProperty(mutation(valid), async m => {
        const problem = await refusal(() => EvmLedger[method](applyMutation(valid, m) as never))
        if (problem) throw new Error(`${method} with ${describeMutation(m)} ${problem}`)
      }),
      params,
    )
  })

  it('as and connect: a malformed key or signer is INVALID_INPUT', async () => {
    fc.assert(
      fc.property(mutation(ANVIL_ACCOUNTS[2]), m => {
        try {
          ledger.as(applyMutation(ANVIL_ACCOUNTS[2], m) as never)
        } catch (e) {
          if (isDatapactError(e, 'INVALID_INPUT')) return
          throw e
        }
        throw new Error(`as with ${describeMutation(m)} was accepted`)
      }),
      params,
    )
    expect(await refusal(() => ledger.connect({} as never))).toBeNull()
    expect(await refusal(() => ledger.connect(null as never))).toBeNull()
  })
})
