import { createServer, request, type Server } from 'node:http'
import { Transform } from 'node:stream'
import { createMemoryHarness } from '@datapact/adapter-memory'
import { Datapact, type DatapactErrorCode, generateMemberKeys } from '@datapact/core'
import { eventCount, TERMS, testBytes } from '@datapact/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IpfsPayloadStore } from '../src/index.js'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'

let swarm: KuboSwarm
beforeAll(async () => {
  swarm = await startKuboSwarm({ labels: ['provider', 'consumer'] })
})
afterAll(() => swarm?.stop())

type Edit = (bytes: Buffer, offset: number) => Buffer | null
/**
 * An HTTP proxy in front of a node's RPC API that passes everything through except the bodies of `cat`
 * responses, which it edits on the fly: a node serving altered blocks, as the consumer's client sees it.
 */
async function tamperingProxy(target: string, edit: Edit): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target)
  const server: Server = createServer((req, res) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      upRes => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        if (!req.url?.startsWith('/api/v0/cat')) return void upRes.pipe(res)
        let offset = 0
        upRes
          .pipe(
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                const out = edit(Buffer.from(chunk), offset)
                offset += chunk.length
                done(null, out ?? undefined)
              },
            }),
          )
          .pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** Flips one bit of the byte at `at` of the response body. */
const flipAt =
  (at: number): Edit =>
  (bytes, offset) => {
    if (at >= offset && at < offset + bytes.length) bytes[at - offset]! ^= 0x01
    return bytes
  }
/** Ends the body after `keep` bytes. */
const truncateAt =
  (keep: number): Edit =>
  (bytes, offset) =>
    offset >= keep ? null : bytes.subarray(0, Math.max(0, keep - offset))

async function setup() {
  const h = createMemoryHarness()
  const open = async (label: 'provider' | 'consumer', url?: string) => {
    const ledger = await h.member(label)
    const keys = generateMemberKeys()
    const node = swarm.nodes.find(n => n.label === label)!
    const store = url ? new IpfsPayloadStore({ url }) : node.store()
    return { ledger, keys, client: await Datapact.open({ ledger, keys, stores: [store], defaultStore: 'ipfs' }) }
  }
  const provider = await open('provider')
  await provider.client.members.join({ name: 'P', roles: ['provider'] })
  const consumer = await open('consumer')
  await consumer.client.members.join({ name: 'C', roles: ['consumer'] })
  const data = testBytes(300_000, 21)
  const { id } = await provider.client.datasets.register({ title: 'T', terms: TERMS, data, chunkSize: 65536 })
  await provider.client.grants.grant(id, consumer.ledger.memberId)
  return { id, data, consumer }
}

describe('a node serving altered bytes', () => {
  const cases: Array<[string, Edit, DatapactErrorCode]> = [
    ['a flipped bit inside a chunk', flipAt(70_000), 'INTEGRITY'],
    ['a flipped bit in the last chunk', flipAt(299_000), 'INTEGRITY'],
    ['a forged frame length', flipAt(0), 'INTEGRITY'],
    ['a payload cut short between chunks', truncateAt(4 + 65536 + 16), 'INTEGRITY'],
    ['a payload cut inside a chunk', truncateAt(100_000), 'INTEGRITY'],
  ]
  it.each(cases)('is refused with INTEGRITY before usage is recorded: %s', async (_, edit, code) => {
    const { id, consumer } = await setup()
    const proxy = await tamperingProxy(swarm.nodes[1]!.apiUrl, edit)
    try {
      // The same member (same ledger identity and keys) reading through the lying endpoint.
      const client = await Datapact.open({
        ledger: consumer.ledger,
        keys: consumer.keys,
        stores: [new IpfsPayloadStore({ url: proxy.url })],
      })
      const before = await eventCount(consumer.ledger)
      await expect(client.data.fetch(id)).rejects.toMatchObject({ code })
      await expect(client.data.stream(id)).rejects.toMatchObject({ code })
      expect(await eventCount(consumer.ledger)).toBe(before)
      expect(await consumer.client.usage.list({ datasetId: id })).toEqual([])
    } finally {
      await proxy.close()
    }
  })

  it('is served normally through the same proxy when it edits nothing', async () => {
    const { id, data, consumer } = await setup()
    const proxy = await tamperingProxy(swarm.nodes[1]!.apiUrl, bytes => bytes)
    try {
      const client = await Datapact.open({
        ledger: consumer.ledger,
        keys: consumer.keys,
        stores: [new IpfsPayloadStore({ url: proxy.url })],
      })
      const got = await client.data.fetch(id)
      expect(Buffer.from(got.bytes).equals(Buffer.from(data))).toBe(true)
      expect(got.receipt).not.toBeNull()
    } finally {
      await proxy.close()
    }
  })
})
