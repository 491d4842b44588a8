import { readAllEvents } from '../../client/events.js'
import type { LedgerEventRecord } from '../../domain/index.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** The adapter itself: events delivered to subscribers in ledger order, read back and resumed from a cursor. */
export function adapter(t: ConformanceContext): void {
  const { describe, it, expect, register, granted, w } = t
  describe('events', () => {
    it('delivers committed events to subscribers, in ledger order, as readEvents returns them', async () => {
      const seen: LedgerEventRecord[] = []
      const off = w.regulator.ledger.subscribe(e => seen.push(e))
      try {
        await granted()
        const deadline = Date.now() + 15_000
        while (!seen.some(e => e.event.type === 'AccessGranted') && Date.now() < deadline)
          await new Promise(resolve => setTimeout(resolve, 25))
      } finally {
        off()
      }
      const types = seen.map(e => e.event.type)
      expect(types).toEqual(['DatasetRegistered', 'PayloadStored', 'VersionPublished', 'AccessGranted'])
      const all = await readAllEvents(w.regulator.ledger, 3)
      expect(all.slice(-4)).toEqual(seen)
      expect(new Set(all.map(e => e.cursor)).size).toBe(all.length)
    })
    it('continues a subscription from a cursor without a gap or a repeat', async () => {
      const { id } = await register()
      const head = await w.regulator.ledger.readEvents({ limit: 3 })
      const resumed: LedgerEventRecord[] = []
      const fromStart: LedgerEventRecord[] = []
      const offResumed = w.regulator.ledger.subscribe(e => resumed.push(e), { after: head.cursor })
      const offStart = w.consumer.ledger.subscribe(e => fromStart.push(e), { after: null })
      try {
        await w.provider.client.grants.grant(id, w.consumer.id)
        const deadline = Date.now() + 15_000
        const done = (xs: LedgerEventRecord[]) => xs.some(e => e.event.type === 'AccessGranted')
        while (!(done(resumed) && done(fromStart)) && Date.now() < deadline)
          await new Promise(resolve => setTimeout(resolve, 25))
      } finally {
        offResumed()
        offStart()
      }
      const all = await readAllEvents(w.regulator.ledger, 3)
      expect(fromStart).toEqual(all)
      expect(resumed).toEqual(all.slice(3))
    })
    it('client.events: typed, decoded events by type, resumed from a cursor, as an async iterator', async () => {
      const id = await granted()
      const head = await w.provider.ledger.readEvents({ limit: 1000 })
      const usage: Array<{ cursor: string; datasetId: string; consumer: string }> = []
      const off = w.provider.client.events.on(
        'UsageRecorded',
        ({ cursor, event }) =>
          usage.push({ cursor, datasetId: event.record.datasetId, consumer: event.record.consumer }),
        { after: head.cursor },
      )
      const iterator = w.provider.client.events.stream({ types: ['UsageRecorded'], after: head.cursor })
      try {
        await w.consumer.client.data.fetch(id)
        await w.consumer.client.data.fetch(id)
        const deadline = Date.now() + 15_000
        while (usage.length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 25))
        const first = await iterator.next()
        expect(first.done).toBe(false)
        expect(first.value?.event.record.datasetId).toBe(id)
        expect(first.value?.cursor).toBe(usage[0]?.cursor)
      } finally {
        off()
        await iterator.return?.()
      }
      expect(usage.map(u => [u.datasetId, u.consumer])).toEqual([
        [id, w.consumer.id],
        [id, w.consumer.id],
      ])
      // Resuming after the first record delivers the second and nothing before it.
      const resumed = w.provider.client.events.stream({ types: ['UsageRecorded'], after: usage[0]!.cursor })
      try {
        const next = await resumed.next()
        expect(next.value?.cursor).toBe(usage[1]?.cursor)
      } finally {
        await resumed.return?.()
      }
      expect((await iterator.next()).done).toBe(true)
    })
  })
}

/** The adapter-only layer of the conformance suite alone (subscribe, readEvents, client.events). */
export const describeAdapterConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(adapter)
