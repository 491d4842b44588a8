import { JsonRpcProvider, Network } from 'ethers'
import { afterAll, describe, expect, it } from 'vitest'
import { Chain, type RpcLog } from '../src/chain.js'
import { createEvmHarness, startAnvil } from '../src/testing/index.js'

const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

const log = (blockHash: string | undefined, logIndex: number): RpcLog => ({
  address: `0x${'00'.repeat(20)}`,
  topics: [],
  data: '0x',
  blockNumber: '0x1',
  transactionHash: `0x${'11'.repeat(32)}`,
  logIndex: `0x${logIndex.toString(16)}`,
  ...(blockHash === undefined ? {} : { blockHash }),
})

describe('decoding each log once', () => {
  it('keeps a decoded log by block hash and log index, bounded by the events it holds', () => {
    const provider = new JsonRpcProvider('http://127.0.0.1:9', Network.from(1), { staticNetwork: true })
    const chain = new Chain(provider, false, {})
    try {
      let decodes = 0
      const decode = (n: number) => () => {
        decodes++
        return { events: new Array<number>(n).fill(0) }
      }
      const a = chain.decodedLog(log('0xaa', 0), decode(1))
      expect(chain.decodedLog(log('0xaa', 0), decode(1))).toBe(a)
      expect(decodes).toBe(1)
      chain.decodedLog(log('0xbb', 0), decode(1)) // the same index in another (reorganised) block
      chain.decodedLog(log('0xaa', 1), decode(1))
      expect(decodes).toBe(3)
      chain.decodedLog(log(undefined, 0), decode(1)) // no block hash: never kept
      chain.decodedLog(log(undefined, 0), decode(1))
      expect(decodes).toBe(5)
      // 30,000 + 30,000 events are more than the cache holds: the oldest entries go first.
      chain.decodedLog(log('0xcc', 0), decode(30_000))
      chain.decodedLog(log('0xcc', 1), decode(30_000))
      expect(decodes).toBe(7)
      chain.decodedLog(log('0xcc', 1), decode(30_000))
      expect(decodes).toBe(7)
      chain.decodedLog(log('0xaa', 0), decode(1))
      chain.decodedLog(log('0xcc', 0), decode(30_000))
      expect(decodes).toBe(9)
    } finally {
      provider.destroy()
    }
  })

  it('gives submit and readEvents their own copies of the events decoded once', async () => {
    const h = await createEvmHarness({ anvil })
    try {
      const m = await h.member('m')
      const envelopeKey = new Uint8Array(32).fill(5)
      const { events } = await m.submit('joinConsortium', {
        name: 'M',
        roles: ['provider'],
        envelopeKey,
        settings: null,
      })
      const read = (await m.readEvents()).events.map(e => e.event)
      expect(read).toEqual(events)
      const joined = events.find(e => e.type === 'MemberJoined')!
      if (joined.type !== 'MemberJoined') throw new Error('no MemberJoined event')
      joined.envelopeKey[0] = 9
      const again = (await m.readEvents()).events.map(e => e.event)
      expect(again).toEqual(read)
      expect(again.find(e => e.type === 'MemberJoined')).toMatchObject({ envelopeKey: envelopeKey })
    } finally {
      await h.teardown()
    }
  })
})
