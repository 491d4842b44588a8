/**
 * The contract itself refuses what core's rules refuse, also for callers that bypass EvmLedger (which checks the
 * same schemas before sending): here the character rules of tags, store names and store addresses.
 */
import { fakeWrap } from '@datapact/core/testing'
import { Contract, JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datapactAbi, EvmLedger } from '../src/index.js'
import { type AnvilInstance, startAnvil } from '../src/testing/index.js'
import { revertOf } from './revert.js'

let anvil: AnvilInstance
let contract: Contract

beforeAll(async () => {
  anvil = await startAnvil({ persistent: false })
  const ledger = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[0]!, pollingInterval: 20 })
  await ledger.submit('joinConsortium', {
    name: 'Provider',
    roles: ['provider'],
    envelopeKey: new Uint8Array(32).fill(1),
    settings: null,
  })
  const wallet = new Wallet(anvil.accounts[0]!, new JsonRpcProvider(anvil.rpcUrl))
  contract = new Contract(ledger.address, datapactAbi as unknown as string[], wallet)
  await ledger.close()
})
afterAll(() => anvil?.stop())

const metadata = (tags: string[]) => ({ title: 't', description: '', tags, mediaType: '', schema: '' })
const terms = { pricePerAccess: 1n, pricePerByte: 0n, currency: '0x434e590000000000', licence: '' }
const register = (tags: string[]) =>
  contract.getFunction('registerDataset').staticCall(`0x${'ab'.repeat(32)}`, metadata(tags), terms, true)

const publish = (store: string, addr: string) =>
  contract.getFunction('publishVersion').staticCall(
    {
      datasetId: `0x${'ab'.repeat(32)}`,
      number: 1,
      plaintextDigest: `0x${'11'.repeat(32)}`,
      merkleRoot: `0x${'22'.repeat(32)}`,
      size: 10,
      chunkSize: 1024,
      chunkCount: 1,
      header: '0x01',
      keyCommitment: `0x${'33'.repeat(32)}`,
      location: { store, addr },
    },
    [{ member: new Wallet(anvil.accounts[0]!).address, wrapped: fakeWrap() }],
  )

describe('Datapact contract, called directly', () => {
  it('accepts what core accepts, including non-ASCII tags', async () => {
    expect(await revertOf(register(['finance', '金融']))).toEqual(['no revert', undefined])
  })
  it.each([['a b'], ['tab\tbed'], ['\u007f']])('refuses the tag %j with InvalidInput', async tag => {
    expect(await revertOf(register([tag]))).toEqual(['InvalidInput', 'metadata.tags'])
  })
  it.each([
    ['Shared', 'ab', 'location.store'],
    ['-shared', 'ab', 'location.store'],
    ['shared', 'a b', 'location.address'],
    ['shared', 'caf\u00e9', 'location.address'],
  ])('refuses store %j at %j with InvalidInput(%s)', async (store, addr, argument) => {
    expect(await revertOf(publish(store, addr))).toEqual(['InvalidInput', argument])
  })
  it('checks the shape before anything else: a good location reaches the dataset lookup', async () => {
    expect((await revertOf(publish('shared', 'ab')))[0]).not.toBe('InvalidInput')
  })
})
