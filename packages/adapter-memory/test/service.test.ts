import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Datapact, FileSystemPayloadStore, generateMemberKeys, isDatapactError } from '@datapact/core'
import { ensureMember, toNodeReadable, toWebStream } from '@datapact/core/service'
import { flipByteNearEnd } from '@datapact/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'datapact-service-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function consortium() {
  const ledger = new MemoryLedger()
  const storeDir = mkdtempSync(join(dir, 'store-'))
  const store = new FileSystemPayloadStore(storeDir, 'files')
  const open = (id: string) => Datapact.open({ ledger: ledger.as(id), keys: generateMemberKeys(), stores: [store] })
  const provider = await open('mem:provider')
  const consumer = await open('mem:consumer')
  return { ledger, storeDir, provider, consumer }
}

/** Flips one bit of the last chunk's tag in every payload file of the store (certain to change it). */
const tamperLastChunk = (storeDir: string) => expect(flipByteNearEnd(storeDir)).toBeGreaterThan(0)

describe('ensureMember', () => {
  it('joins once; a second call (a restart) finds the member and changes nothing', async () => {
    const { ledger, provider } = await consortium()
    const first = await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
    expect(first.joined).toBe(true)
    const events = (await ledger.as('mem:provider').readEvents({ after: null, limit: 100 })).events.length
    const again = await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
    expect(again).toEqual({ member: first.member, joined: false })
    expect((await ledger.as('mem:provider').readEvents({ after: null, limit: 100 })).events.length).toBe(events)
  })

  it('two instances starting at once: one joins, the other finds it joined', async () => {
    const { ledger, provider } = await consortium()
    const keys = generateMemberKeys()
    await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
    const a = await Datapact.open({ ledger: ledger.as('mem:svc'), keys })
    const b = await Datapact.open({ ledger: ledger.as('mem:svc'), keys })
    const results = await Promise.all([
      ensureMember(a, { name: 'Svc', roles: ['consumer'] }),
      ensureMember(b, { name: 'Svc', roles: ['consumer'] }),
    ])
    expect(results.map(r => r.joined).sort()).toEqual([false, true])
  })

  it('checks the parameters even when no join is needed', async () => {
    const { provider } = await consortium()
    await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
    const e = await ensureMember(provider, { name: 'Provider', roles: ['wizard' as never] }).catch(x => x)
    expect(isDatapactError(e, 'INVALID_INPUT')).toBe(true)
  })
})

describe('stream adapters over data.stream()', () => {
  const setup = async () => {
    const c = await consortium()
    await ensureMember(c.provider, { name: 'Provider', roles: ['provider'] })
    await ensureMember(c.consumer, { name: 'Consumer', roles: ['consumer'] })
    const data = new Uint8Array(300_000).map((_, i) => i % 251)
    const { id } = await c.provider.datasets.register({
      title: 'T',
      terms: { pricePerAccess: 1n, currency: 'CNY' },
      data,
      chunkSize: 16 * 1024,
      store: 'files',
    })
    await c.provider.grants.grant(id, c.consumer.memberId)
    return { ...c, id, data }
  }

  it('toNodeReadable and toWebStream deliver the verified plaintext', async () => {
    const { consumer, id, data } = await setup()
    const parts: Buffer[] = []
    await pipeline(
      toNodeReadable((await consumer.data.stream(id)).stream),
      new Writable({
        write(c: Buffer, _e, cb) {
          parts.push(c)
          cb()
        },
      }),
    )
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true)
    const web = new Uint8Array(await new Response(toWebStream((await consumer.data.stream(id)).stream)).arrayBuffer())
    expect(Buffer.from(web).equals(Buffer.from(data))).toBe(true)
  })

  it('a payload changed in the store after verification fails the pipeline with INTEGRITY before its end', async () => {
    const { consumer, id, data, storeDir } = await setup()
    // data.stream() has verified the whole ciphertext and metered the access when it resolves; the store now
    // serves other bytes for the last chunk on the second read.
    const { stream } = await consumer.data.stream(id)
    tamperLastChunk(storeDir)
    let received = 0
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        received += c.length
        cb()
      },
    })
    const err = await pipeline(toNodeReadable(stream), sink).catch(e => e)
    expect(isDatapactError(err, 'INTEGRITY')).toBe(true)
    expect(received).toBeLessThan(data.length)
    expect(sink.writableFinished).toBe(false)
    // A stream opened now is refused before any plaintext: its first pass finds the changed chunk.
    const refused = await consumer.data.stream(id).catch(e => e)
    expect(isDatapactError(refused, 'INTEGRITY')).toBe(true)
  })
})
