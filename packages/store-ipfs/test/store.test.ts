import { chunksOfSizes as chunks, collect } from '@datapact/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IpfsPayloadStore } from '../src/index.js'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'

let swarm: KuboSwarm
beforeAll(async () => {
  swarm = await startKuboSwarm({ labels: ['a', 'b'] })
})
afterAll(() => swarm?.stop())

describe('IpfsPayloadStore on Kubo', () => {
  it('returns exactly the chunks it was given, from its own node and through the swarm', async () => {
    const a = swarm.nodes[0]!.store()
    const b = swarm.nodes[1]!.store()
    const sizes = [1, 65536 + 16, 0x3000, 0, 17, 3 * 1024 * 1024]
    const address = await a.put(chunks(sizes))
    expect(address).toMatch(/^baf[a-z2-7]+$/)
    expect(await a.isPinned(address)).toBe(true)
    for (const store of [a, b]) {
      const got = await collect(store.get(address, sizes.length))
      expect(got.map(c => c.length)).toEqual(sizes)
      expect(got.map(c => c[0])).toEqual([1, 2, 3, undefined, 5, 6])
    }
    expect(await b.isPinned(address)).toBe(false)
    await b.pin(address)
    expect(await b.isPinned(address)).toBe(true)
    await b.unpin(address)
    await b.unpin(address)
    expect(await b.isPinned(address)).toBe(false)
  })

  it('reads only the chunks asked for', async () => {
    const a = swarm.nodes[0]!.store()
    const address = await a.put(chunks([10, 20, 30]))
    expect((await collect(a.get(address, 2))).map(c => c.length)).toEqual([10, 20])
  })

  it('refuses what is not a CID, and a CID no node has, with NOT_FOUND', async () => {
    const a = swarm.nodes[0]!.store({ stallTimeoutMs: 3000 })
    await expect(collect(a.get('00'.repeat(16), 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(collect(a.get('../../etc/passwd', 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    // A CID of bytes nobody stored: the node searches its peers, finds nothing, the read gives up.
    const unknown = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    await expect(collect(a.get(unknown, 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('passes an error of the source through and pins nothing for it', async () => {
    const a = swarm.nodes[0]!.store()
    async function* failing() {
      yield new Uint8Array(10)
      throw new Error('source broke')
    }
    await expect(a.put(failing())).rejects.toThrow('source broke')
  })

  it('reports a node that cannot be reached with LEDGER_UNAVAILABLE', async () => {
    const down = new IpfsPayloadStore({ url: 'http://127.0.0.1:9' })
    await expect(down.put(chunks([5]))).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    await expect(
      collect(down.get('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 1)),
    ).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    })
    await expect(down.pin('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    })
  })

  it('refuses bad options and arguments with INVALID_INPUT', async () => {
    for (const options of [
      undefined,
      {},
      { url: 'ftp://x' },
      { url: 'http://127.0.0.1:1', name: 'Bad Name' },
      { url: 'http://127.0.0.1:1', blockSize: 10 },
      { url: 'http://127.0.0.1:1', blockSize: 4 * 1024 * 1024 },
      { url: 'http://127.0.0.1:1', stallTimeoutMs: 0 },
      { url: 'http://127.0.0.1:1', pin: 'yes' },
      { url: 'http://127.0.0.1:1', headers: { authorization: 42 } },
    ])
      expect(() => new IpfsPayloadStore(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    const a = swarm.nodes[0]!.store()
    await expect(a.put('bytes' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(a.put(chunks([1]) as never).then(() => 'ok')).resolves.toBe('ok')
    await expect(
      collect(a.get('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', -1)),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })
})
