import { readAllEvents } from '../../client/events.js'
import { buildStatement, Datapact } from '../../client/index.js'
import type { MemberId } from '../../domain/index.js'
import { eventCount, TERMS, testBytes } from '../fixtures.js'
import { runModelHistory } from '../model.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Audit: the verifier over clean histories, incremental audits, statements from the index, paging, the model. */
export function audit(t: ConformanceContext): void {
  const { describe, it, expect, register, granted, rejectsWith, renew, w, options, timeout } = t
  describe('audit', () => {
    it('verifies a clean history with every kind of event', async () => {
      const { id } = await register()
      await w.provider.client.datasets.update(id, { description: 'updated', terms: { pricePerByte: 1n } })
      await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 5 })
      await w.provider.client.grants.grant(id, w.consumer2.id, { scope: { from: 2 } })
      await w.consumer.client.data.fetch(id)
      await w.provider.client.datasets.publish(id, testBytes(100, 5))
      await w.consumer2.client.data.fetch(id)
      await w.provider.client.grants.revoke(id, w.consumer.id)
      const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
      await w.consumer.client.billing.settle(st)
      await w.provider.client.billing.settle(st)
      const report = await w.consumer2.client.audit.verify({ payloads: true })
      expect(report.violations).toEqual([])
      expect(report).toMatchObject({
        ok: true,
        versions: 2,
        grants: 2,
        usageRecords: 2,
        settlements: 1,
        payloadsChecked: 2,
      })
    })
    it(
      'computes statements from the member-side index with the digest of a full replay (random histories)',
      async () => {
        const fc = await import('fast-check') // an optional peer dependency, loaded only by this case
        const consumers = [w.consumer, w.consumer2]
        const cny = (await register()).id
        const eur = (await register(w.provider, testBytes(500), { terms: { ...TERMS, currency: 'EUR' } })).id
        for (const c of consumers) await w.provider.client.grants.grantMany(cny, [c.id])
        for (const c of consumers) await w.provider.client.grants.grant(eur, c.id)
        const settings = await w.provider.client.members.settings()
        const period = Math.floor((await w.provider.ledger.query('getLedgerTime', {})) / settings.periodSeconds)
        /** The statement as a full replay from genesis computes it: every event read again. */
        const replayed = async (consumer: MemberId, currency: string) => {
          const records = (await readAllEvents(w.regulator.ledger)).flatMap(({ event: e }) =>
            e.type === 'UsageRecorded' &&
            e.record.provider === w.provider.id &&
            e.record.consumer === consumer &&
            e.record.period === period &&
            e.record.currency === currency
              ? [e.record]
              : [],
          )
          const key = { provider: w.provider.id, consumer, period, currency }
          return buildStatement(
            key,
            settings.periodSeconds,
            records,
            await w.regulator.ledger.query('getSettlement', key),
          )
        }
        const op = fc.record({
          consumer: fc.nat(1),
          currency: fc.constantFrom('CNY', 'EUR'),
          kind: fc.constantFrom('record', 'record', 'settle'),
          count: fc.integer({ min: 1, max: 4 }),
        })
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 5 }), async ops => {
            for (const o of ops) {
              const c = consumers[o.consumer]!
              const datasetId = o.currency === 'CNY' ? cny : eur
              if (o.kind === 'record')
                await c.client.usage.record(Array.from({ length: o.count }, () => ({ datasetId, version: 1 })))
              else {
                const st = await c.client.billing.statement({ provider: w.provider.id, currency: o.currency })
                if (st.count > 0) {
                  await c.client.billing.settle(st)
                  expect((await w.provider.client.billing.settle(st)).settledDigest).toEqual(st.digest)
                }
              }
              // The parties' indexes follow the ledger step by step; a fresh client catches up from genesis.
              const fresh = await Datapact.open({ ledger: w.regulator.ledger, keys: w.regulator.keys })
              for (const currency of ['CNY', 'EUR']) {
                const params = { provider: w.provider.id, consumer: c.id, currency }
                const full = await replayed(c.id, currency)
                const fromIndex = await c.client.billing.statement(params)
                expect(fromIndex).toEqual(full)
                expect((await w.provider.client.billing.statement(params)).digest).toEqual(full.digest)
                expect(await fresh.billing.statement(params)).toEqual(full)
              }
            }
          }),
          { numRuns: options.indexRuns ?? 4, seed: 0x1dec5 },
        )
        const usage = await w.regulator.client.usage.list({ provider: w.provider.id })
        expect(usage).toEqual(
          (await readAllEvents(w.regulator.ledger)).flatMap(({ event: e }) =>
            e.type === 'UsageRecorded' ? [e.record] : [],
          ),
        )
      },
      timeout * 10,
    )
    it('pages the catalog, grants, members and usage with a cursor and a limit', async () => {
      const ids = [(await register()).id, (await register()).id, (await register()).id]
      for (const id of ids) await w.provider.client.grants.grantMany(id, [w.consumer.id, w.consumer2.id])
      await w.consumer.client.usage.record(ids.map(datasetId => ({ datasetId, version: 1 })))
      await w.consumer2.client.usage.record(ids.map(datasetId => ({ datasetId, version: 1 })))
      const all = async <T>(read: (cursor: string | undefined) => Promise<{ items: T[]; cursor: string | null }>) => {
        const out: T[] = []
        let cursor: string | undefined
        for (let n = 0; n < 100; n++) {
          const page = await read(cursor)
          expect(page.items.length).toBeLessThanOrEqual(2)
          out.push(...page.items)
          if (page.cursor === null) return out
          cursor = page.cursor
        }
        throw new Error('the pages never ended')
      }
      const c = w.regulator.client
      const byId = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : 1))
      const at = (cursor: string | undefined) => ({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
      expect(await all(x => c.datasets.catalogPage(at(x)))).toEqual(byId(await c.datasets.catalog(), d => d.id))
      expect(await all(x => c.members.listPage(at(x)))).toEqual(byId(await c.members.list(), m => m.id))
      const gkey = (g: { datasetId: string; grantee: string }) => `${g.datasetId}/${g.grantee}`
      expect(await all(x => c.grants.listPage(at(x)))).toEqual(byId(await c.grants.list(), gkey))
      expect(await all(x => c.grants.listPage({ ...at(x), grantee: w.consumer2.id }))).toEqual(
        byId(await c.grants.list({ grantee: w.consumer2.id }), gkey),
      )
      expect(await all(x => c.usage.listPage(at(x)))).toEqual(await c.usage.list())
      const mine = await all(x => w.consumer.client.usage.listPage({ ...at(x), consumer: w.consumer2.id }))
      expect(mine).toEqual(await c.usage.list({ consumer: w.consumer2.id }))
      expect(mine).toHaveLength(3)
      expect((await c.usage.listPage({ limit: 1000 })).cursor).toBeNull()
      for (const bad of [
        () => c.usage.listPage({ cursor: 'x1' }),
        () => c.usage.listPage({ limit: 0 }),
        () => c.datasets.catalogPage({ cursor: 'no-such-dataset' }),
        () => c.members.listPage({ limit: 1001 }),
        () => c.grants.listPage({ limit: 1.5 }),
      ])
        await rejectsWith(bad(), 'INVALID_INPUT')
    })
    it('audits incrementally from the last verified cursor, and from genesis with full', async () => {
      const id = await granted()
      await w.consumer.client.data.fetch(id)
      const first = await w.regulator.client.audit.verify()
      const total = await eventCount(w.regulator.ledger)
      expect(first).toMatchObject({ ok: true, events: total, eventsChecked: total, usageRecords: 1 })
      await w.consumer.client.data.fetch(id)
      const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
      await w.consumer.client.billing.settle(st)
      await w.provider.client.billing.settle(st)
      const after = await eventCount(w.regulator.ledger)
      const next = await w.regulator.client.audit.verify()
      expect(next).toMatchObject({ ok: true, events: after, eventsChecked: after - total, usageRecords: 2 })
      expect(next.cursor).toBe((await readAllEvents(w.regulator.ledger)).at(-1)?.cursor)
      expect(await w.regulator.client.audit.verify()).toMatchObject({
        events: after,
        eventsChecked: 0,
        settlements: 1,
      })
      expect(await w.regulator.client.audit.verify({ full: true })).toMatchObject({
        ok: true,
        events: after,
        eventsChecked: after,
        usageRecords: 2,
        settlements: 1,
      })
    })
    it(
      'matches a simple model over random histories (model-based)',
      async () => {
        const fc = await import('fast-check') // an optional peer dependency, loaded only by this case
        await fc.assert(
          fc.asyncProperty(fc.array(fc.nat(1_000_000), { minLength: 6, maxLength: 14 }), async seeds => {
            await renew() // each history on a fresh ledger
            await runModelHistory(w, seeds, expect)
          }),
          { numRuns: options.modelRuns ?? 8, seed: 0x5eed },
        )
      },
      timeout * 10,
    )
  })
}

/** The audit area of the conformance suite alone (the verifier, the member-side index, paging, the model). */
export const describeAuditConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(audit)
