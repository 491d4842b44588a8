// AbortSignal on the long operations: each stops at its next chunk, page or payload with ABORTED, and leaves nothing
// half-written: no usage recorded for an aborted fetch, no version for an aborted publish, no dataset for a register
// aborted before it was written. The aborts are triggered from the progress callbacks, so where they land is
// deterministic, not a matter of timing.
import { Datapact, generateMemberKeys, isDatapactError, MemoryPayloadStore } from '@datapact/core'
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'

const CHUNK = 1024
const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff)

async function world(size = 8 * CHUNK, chunkSize = CHUNK) {
  const ledger = new MemoryLedger()
  const store = new MemoryPayloadStore('shared')
  const provider = await Datapact.open({ ledger: ledger.as('mem:p'), keys: generateMemberKeys(), stores: [store] })
  const consumer = await Datapact.open({ ledger: ledger.as('mem:c'), keys: generateMemberKeys(), stores: [store] })
  await provider.members.join({ name: 'P', roles: ['provider'] })
  await consumer.members.join({ name: 'C', roles: ['consumer'] })
  const { id } = await provider.datasets.register({
    title: 'T',
    terms: { pricePerAccess: 2n, currency: 'CNY' },
    data: payload(size),
    chunkSize,
    store: 'shared',
  })
  await provider.grants.grant(id, consumer.memberId, { maxAccesses: 5 })
  return { ledger, provider, consumer, id }
}

/** The ABORTED error a call rejects with, its cause the signal's reason. */
async function aborted(call: Promise<unknown>, reason: unknown) {
  const e = await call.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(isDatapactError(e, 'ABORTED'), String(e)).toBe(true)
  expect((e as Error).cause).toBe(reason)
  return e as Error
}

describe('AbortSignal', () => {
  it('fetch aborted mid-payload: ABORTED, nothing metered, nothing returned', async () => {
    const { consumer, id } = await world()
    const controller = new AbortController()
    const reason = new Error('user went away')
    await aborted(
      consumer.data.fetch(id, {
        signal: controller.signal,
        onProgress: p => {
          if (p.chunks === 2) controller.abort(reason)
        },
      }),
      reason,
    )
    expect(await consumer.usage.list()).toEqual([])
    // The same client fetches normally afterwards, and that access is the only one billed.
    const { bytes, receipt } = await consumer.data.fetch(id)
    expect(bytes).toEqual(payload(8 * CHUNK))
    expect(receipt?.record.amount).toBe(2n)
    expect(await consumer.usage.list()).toHaveLength(1)
  })

  it('fetch of a payload large enough for two threads, aborted mid-payload: ABORTED, nothing metered', async () => {
    const size = 6 * 1024 * 1024 + 5
    const { consumer, id } = await world(size, 64 * 1024)
    const controller = new AbortController()
    const reason = new Error('user went away')
    const seen: number[] = []
    await aborted(
      consumer.data.fetch(id, {
        signal: controller.signal,
        onProgress: p => {
          seen.push(p.chunks)
          if (p.chunks === 2) controller.abort(reason)
        },
      }),
      reason,
    )
    expect(seen.slice(0, 2)).toEqual([1, 2])
    expect(await consumer.usage.list()).toEqual([])
    const progress: number[] = []
    const { bytes, receipt } = await consumer.data.fetch(id, { onProgress: p => progress.push(p.chunks) })
    expect(bytes.length).toBe(size)
    expect(Buffer.from(bytes).equals(Buffer.from(payload(size)))).toBe(true)
    // Every chunk reported once, in order, the last after the whole payload matched the ledger.
    expect(progress).toEqual(Array.from({ length: 97 }, (_, i) => i + 1))
    expect(receipt?.record.amount).toBe(2n)
    expect(await consumer.usage.list()).toHaveLength(1)
  })

  it('fetch with a signal already aborted reads nothing', async () => {
    const { consumer, id } = await world()
    const controller = new AbortController()
    controller.abort('stop')
    let progress = 0
    await aborted(consumer.data.fetch(id, { signal: controller.signal, onProgress: () => progress++ }), 'stop')
    expect(progress).toBe(0)
    expect(await consumer.usage.list()).toEqual([])
  })

  it('stream: the next read after the abort rejects with ABORTED', async () => {
    const { consumer, id } = await world()
    const controller = new AbortController()
    const { stream } = await consumer.data.stream(id, { signal: controller.signal })
    const pieces: Uint8Array[] = []
    const read = (async () => {
      for await (const piece of stream) {
        pieces.push(piece)
        if (pieces.length === 3) controller.abort('enough')
      }
    })()
    await aborted(read, 'enough')
    expect(pieces).toHaveLength(3)
  })

  it('publish aborted mid-upload: ABORTED, no version on the ledger', async () => {
    const { provider, id } = await world()
    const controller = new AbortController()
    await aborted(
      provider.datasets.publish(id, payload(6 * CHUNK), {
        chunkSize: CHUNK,
        store: 'shared',
        signal: controller.signal,
        onProgress: p => {
          if (p.chunks === 3) controller.abort('cancelled')
        },
      }),
      'cancelled',
    )
    expect((await provider.datasets.get(id)).latestVersion).toBe(1)
    expect(await provider.datasets.history(id)).toHaveLength(1)
    // The next publish takes the number the aborted one did not use.
    const v2 = await provider.datasets.publish(id, payload(2 * CHUNK), { chunkSize: CHUNK, store: 'shared' })
    expect(v2.number).toBe(2)
  })

  it('register with an aborted signal writes no dataset', async () => {
    const { provider } = await world()
    const before = await provider.datasets.catalog({ includeUnlisted: true })
    const controller = new AbortController()
    controller.abort('no')
    await aborted(
      provider.datasets.register({
        title: 'Never',
        terms: { pricePerAccess: 1n, currency: 'CNY' },
        data: payload(CHUNK),
        signal: controller.signal,
      }),
      'no',
    )
    expect(await provider.datasets.catalog({ includeUnlisted: true })).toEqual(before)
  })

  it('audit aborted: ABORTED; the next audit goes on and reports a clean ledger', async () => {
    const { provider } = await world()
    const controller = new AbortController()
    controller.abort('later')
    await aborted(provider.audit.verify({ payloads: true, signal: controller.signal }), 'later')
    const report = await provider.audit.verify({ payloads: true })
    expect(report.ok).toBe(true)
    expect(report.payloadsChecked).toBe(1)
  })

  it('a signal that is not an AbortSignal is INVALID_INPUT before anything is read', async () => {
    const { consumer, provider, id } = await world()
    for (const call of [
      consumer.data.fetch(id, { signal: 'soon' as never }),
      consumer.data.stream(id, { signal: {} as never }),
      provider.datasets.publish(id, payload(CHUNK), { signal: { aborted: false } as never }),
      provider.audit.verify({ signal: 1 as never }),
    ]) {
      const e = await call.then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(isDatapactError(e, 'INVALID_INPUT'), String(e)).toBe(true)
      expect((e as { details: { argument: string } }).details.argument).toMatch(/signal$/)
    }
    expect(await consumer.usage.list()).toEqual([])
  })
})
