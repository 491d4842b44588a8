/**
 * Issue 9: the ledger refuses small-order X25519 envelope keys at join and at rotation. EvmLedger refuses them
 * before sending (core's envelopeKey schema, swept by the bad-input sweep); the contract itself must refuse them
 * too, for callers that bypass EvmLedger: Datapact.sol mirrors core's WEAK_ENVELOPE_KEYS (`_checkEnvelopeKey`), and
 * the direct-call cases prove it.
 */
import { WEAK_ENVELOPE_KEYS } from '@datapact/core/codec'
import { Contract, JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datapactAbi, EvmLedger } from '../src/index.js'
import { type AnvilInstance, startAnvil } from '../src/testing/index.js'
import { revertOf } from './revert.js'

let anvil: AnvilInstance
let member: Contract
let stranger: Contract
let ledger: EvmLedger

beforeAll(async () => {
  anvil = await startAnvil({ persistent: false })
  ledger = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[0]!, pollingInterval: 20 })
  await ledger.submit('joinConsortium', {
    name: 'Provider',
    roles: ['provider'],
    envelopeKey: new Uint8Array(32).fill(1),
    settings: null,
  })
  const provider = new JsonRpcProvider(anvil.rpcUrl)
  member = new Contract(ledger.address, datapactAbi as unknown as string[], new Wallet(anvil.accounts[0]!, provider))
  stranger = new Contract(ledger.address, datapactAbi as unknown as string[], new Wallet(anvil.accounts[1]!, provider))
})
afterAll(async () => {
  await ledger?.close()
  await anvil?.stop()
})

const weak = WEAK_ENVELOPE_KEYS.flatMap(hex => {
  const high = `${hex.slice(0, 62)}${(Number.parseInt(hex.slice(62), 16) | 0x80).toString(16).padStart(2, '0')}`
  return [`0x${hex}`, `0x${high}`]
})
const settings = { admission: 0, regulatorEscrow: `0x${'00'.repeat(20)}`, periodSeconds: 86400 }

describe('small-order envelope keys', () => {
  it.each(weak)('EvmLedger refuses %s before sending, at rotation', async key => {
    const envelopeKey = Uint8Array.from(Buffer.from(key.slice(2), 'hex'))
    await expect(ledger.submit('rotateEnvelopeKey', { envelopeKey })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it.each(weak)('the contract refuses %s at rotation (direct call)', async key => {
    expect(await revertOf(member.getFunction('rotateEnvelopeKey').staticCall(key))).toEqual([
      'InvalidInput',
      'envelopeKey',
    ])
  })
  it.each(weak)('the contract refuses %s at join (direct call)', async key => {
    const join = stranger.getFunction('joinConsortium').staticCall('S', 2, key, false, settings)
    expect(await revertOf(join)).toEqual(['InvalidInput', 'envelopeKey'])
  })
  it('the contract accepts a usable key (direct call)', async () => {
    expect(await revertOf(member.getFunction('rotateEnvelopeKey').staticCall(`0x${'09'.repeat(32)}`))).toEqual([
      'no revert',
      undefined,
    ])
  })
})
