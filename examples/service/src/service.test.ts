// The service tested through real HTTP requests on a real port: a large download streams with backpressure, a
// refused fetch is a 403, and a payload changed in the store mid-download aborts the response instead of ending it
// with a 200.
import { mkdtempSync, rmSync } from 'node:fs'
import { get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryLedger } from '@datapact/adapter-memory'
import { Datapact, type DatasetId, FileSystemPayloadStore, generateMemberKeys } from '@datapact/core'
import { ensureMember, jsonReviver } from '@datapact/core/service'
import { flipByteNearEnd } from '@datapact/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createService, type ServiceStats } from './service.js'

const LARGE = 32 * 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'datapact-example-service-'))
let base: string
let stats: ServiceStats
let close: () => Promise<void>
let provider: Datapact
let consumer: Datapact
let large: DatasetId

beforeAll(async () => {
  const ledger = new MemoryLedger()
  const store = new FileSystemPayloadStore(dir, 'files')
  const open = (id: string) => Datapact.open({ ledger: ledger.as(id), keys: generateMemberKeys(), stores: [store] })
  provider = await open('mem:provider')
  consumer = await open('mem:service')
  await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
  await ensureMember(consumer, { name: 'Service', roles: ['consumer'] })
  const data = new Uint8Array(LARGE)
  for (let i = 0; i < LARGE; i += 4096) data[i] = (i / 4096) & 0xff
  large = (
    await provider.datasets.register({
      title: 'Large',
      terms: { pricePerAccess: 3n, currency: 'CNY' },
      data,
      store: 'files',
    })
  ).id
  await provider.grants.grant(large, consumer.memberId)
  const service = createService(consumer, provider.memberId)
  stats = service.stats
  await new Promise<void>(ok => service.server.listen(0, '127.0.0.1', ok))
  base = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`
  close = () => new Promise(ok => service.server.close(() => ok()))
}, 170_000)

afterAll(async () => {
  await close?.()
  rmSync(dir, { recursive: true, force: true })
})

/** A GET with node:http, paused as soon as the headers arrive, so the test decides when bytes are read. */
const request = (path: string) =>
  new Promise<IncomingMessage>((ok, fail) => {
    const req = get(base + path, res => {
      res.pause()
      ok(res)
    })
    req.on('error', fail)
  })

/** Reads the rest of a response; resolves with the bytes and whether it ended cleanly or was aborted. */
const drain = (res: IncomingMessage) =>
  new Promise<{ bytes: number; ended: boolean; error: string | null }>(ok => {
    let bytes = 0
    res.on('data', (c: Buffer) => {
      bytes += c.length
    })
    res.on('end', () => ok({ bytes, ended: res.complete, error: null }))
    res.on('error', e => ok({ bytes, ended: false, error: e.message }))
    res.on('aborted', () => ok({ bytes, ended: false, error: 'aborted' }))
    res.resume()
  })

/** Flips one bit of the last chunk's tag in every payload file (certain to change it, whatever the ciphertext). */
const tamperLastChunk = () => expect(flipByteNearEnd(dir)).toBeGreaterThan(0)

describe('the example service over HTTP', () => {
  it('the catalog; a refused fetch is a 403, a malformed id a 400', async () => {
    const catalog = await (await fetch(`${base}/datasets`)).json()
    expect(catalog).toEqual([{ id: large, title: 'Large' }])
    const { id: closed } = await provider.datasets.register({
      title: 'Not granted',
      terms: { pricePerAccess: 1n, currency: 'CNY' },
      data: new Uint8Array(10),
    })
    const refused = await fetch(`${base}/datasets/${closed}`)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'ACCESS_DENIED', retryable: false })
    const bad = await fetch(`${base}/datasets/nope`)
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'INVALID_INPUT'])
  })

  it('a large download streams: the service decrypts only as fast as the client reads', async () => {
    const before = stats.plaintextBytes
    const res = await request(`/datasets/${large}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['transfer-encoding']).toBe('chunked')
    // The client reads nothing for a while: backpressure must hold the service far below the payload's size
    // (socket buffers hold a few MiB at most); an adapter that drained the source would reach all 32 MiB.
    await sleep(500)
    const whilePaused = stats.plaintextBytes - before
    expect(whilePaused).toBeLessThan(LARGE / 2)
    const got = await drain(res)
    expect(got).toEqual({ bytes: LARGE, ended: true, error: null })
    expect(stats.plaintextBytes - before).toBe(LARGE)
    // The download was metered: the statement (bigint amount, byte digest) comes back through the JSON reviver.
    const statement = JSON.parse(await (await fetch(`${base}/statement`)).text(), jsonReviver)
    expect([statement.count, statement.amount]).toEqual([1, 3n])
    expect(statement.digest).toBeInstanceOf(Uint8Array)
  })

  it('a payload changed in the store mid-download aborts the response: never a truncated 200', async () => {
    const aborted = stats.aborted
    const res = await request(`/datasets/${large}`)
    // The headers mean the whole ciphertext was verified and the access metered; the service now re-reads it chunk
    // by chunk as the client reads. The last chunk changes in the store before the service reaches it.
    expect(res.statusCode).toBe(200)
    tamperLastChunk()
    const got = await drain(res)
    expect(got.ended).toBe(false)
    expect(got.error).not.toBeNull()
    expect(got.bytes).toBeLessThan(LARGE)
    expect(stats.aborted).toBe(aborted + 1)
    // A new request is now refused before any byte: the first pass finds the change (502, INTEGRITY).
    const again = await fetch(`${base}/datasets/${large}`)
    expect([again.status, ((await again.json()) as { code: string }).code]).toEqual([502, 'INTEGRITY'])
  })
})
