import { readAllEvents } from '../../client/events.js'
import { toDatasetId } from '../../codec/ids.js'
import type { DatasetId } from '../../domain/index.js'
import { eventCount, TERMS, testBytes } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** The catalog: datasets, versions, payloads on the ledger or in a store, terms, retirement. */
export function catalog(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, granted, rawPublish, rawGrant, w } = t
  describe('datasets and versions', () => {
    it('runs the full story: register, grant, fetch, meter, bill, settle, audit', async () => {
      const data = testBytes(5000, 7)
      const { id, version } = await register(w.provider, data)
      expect(version?.number).toBe(1)
      await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 10 })
      const got = await w.consumer.client.data.fetch(id)
      expect(got.bytes).toEqual(data)
      expect(got.receipt?.record.amount).toBe(100n)
      const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
      expect(st.amount).toBe(100n)
      await w.consumer.client.billing.settle(st)
      const settled = await w.provider.client.billing.settle(
        await w.provider.client.billing.statement({ consumer: w.consumer.id }),
      )
      expect(settled.settledDigest).toEqual(st.digest)
      const report = await w.regulator.client.audit.verify({ payloads: true })
      expect(report.violations).toEqual([])
      expect(report).toMatchObject({ ok: true, usageRecords: 1, settlements: 1, datasets: 1, versions: 1 })
    })
    it('lists the catalog and the grants from the index exactly as the ledger holds them, after every kind of change', async () => {
      const a = await granted()
      const { id: b } = await register()
      const { id: c } = await w.provider.client.datasets.register({ title: 'Unlisted', terms: TERMS, listed: false })
      await w.provider.client.grants.grant(b, w.consumer.id, { maxAccesses: 5 })
      await w.provider.client.grants.grant(b, w.consumer2.id)
      await w.consumer.client.usage.record([
        { datasetId: a, version: 1 },
        { datasetId: b, version: 1 },
        { datasetId: a, version: 1 },
      ])
      await w.provider.client.datasets.publish(a, testBytes(1000, 3))
      await w.provider.client.datasets.update(b, { title: 'Renamed', terms: { pricePerAccess: 7n } })
      const newTerms = (await w.consumer.client.datasets.get(b)).terms
      await w.consumer.client.grants.acceptTerms(b, newTerms)
      await w.provider.client.grants.revoke(b, w.consumer2.id)
      await w.provider.client.grants.grant(b, w.consumer2.id, { maxAccesses: 1 })
      await w.provider.client.datasets.retire(c)
      const ledger = w.consumer.ledger
      const views = (gs: readonly { datasetId: string; grantee: string }[]) =>
        gs.map(g => `${g.datasetId}/${g.grantee}`).sort()
      for (const listedOnly of [true, false]) {
        const fromLedger = await ledger.query('listDatasets', { owner: null, tag: null, listedOnly })
        const fromIndex = await w.consumer.client.datasets.catalog({ includeUnlisted: !listedOnly })
        expect([...fromIndex].sort((x, y) => (x.id < y.id ? -1 : 1))).toEqual(
          [...fromLedger].sort((x, y) => (x.id < y.id ? -1 : 1)),
        )
      }
      for (const filter of [
        {},
        { datasetId: b },
        { grantee: w.consumer2.id },
        { datasetId: a, grantee: w.consumer.id },
      ]) {
        const fromLedger = await ledger.query('listGrants', {
          datasetId: (filter as { datasetId?: DatasetId }).datasetId ?? null,
          grantee: (filter as { grantee?: typeof w.consumer.id }).grantee ?? null,
        })
        const fromIndex = await w.consumer.client.grants.list(filter)
        expect(views(fromIndex)).toEqual(views(fromLedger))
        for (const g of fromIndex) {
          const { effectiveState: _e, ...grant } = g
          expect(grant).toEqual(fromLedger.find(x => x.datasetId === g.datasetId && x.grantee === g.grantee))
        }
      }
      expect((await w.consumer.client.grants.list({ datasetId: a }))[0]).toMatchObject({ used: 2 })
    })
    refuses(['registerDataset.notProvider'], 'refuses a dataset from a member without the provider role', async () => {
      await rejectsWith(register(w.consumer), 'ACCESS_DENIED')
    })
    refuses(['registerDataset.notProvider'], 'refuses a dataset from a non-member', async () => {
      const s = await w.stranger()
      await rejectsWith(register(s), 'ACCESS_DENIED')
    })
    it('keeps an append-only, contiguous history', async () => {
      const { id } = await w.provider.client.datasets.register({ title: 'Empty first', terms: TERMS })
      await w.provider.client.datasets.publish(id, testBytes(100, 1))
      await w.provider.client.datasets.publish(id, testBytes(200, 2))
      const history = await w.consumer.client.datasets.history(id)
      expect(history.map(v => [v.number, v.previous, v.size])).toEqual([
        [1, 0, 100],
        [2, 1, 200],
      ])
      expect(history[0]!.plaintextDigest).not.toEqual(history[1]!.plaintextDigest)
    })
    refuses(['publishVersion.notOwner'], 'refuses a publish by a non-owner, on the ledger itself', async () => {
      const { id } = await register()
      const v = await w.provider.client.datasets.version(id, 1)
      await rejectsWith(rawPublish(w.consumer, v), 'ACCESS_DENIED')
    })
    refuses(['publishVersion.sequence'], 'refuses a version number out of sequence with CONFLICT', async () => {
      const { id } = await register()
      const v = await w.provider.client.datasets.version(id, 1)
      await rejectsWith(rawPublish(w.provider, v, { number: 3 }), 'CONFLICT')
    })
    refuses(['publishVersion.wraps'], 'refuses a publish that omits a required key wrap', async () => {
      const id = await granted()
      const v = await w.provider.client.datasets.version(id, 1)
      const before = await eventCount(w.provider.ledger)
      await rejectsWith(
        rawPublish(w.provider, v, { location: { store: 'shared', address: v.location.address } }),
        'INVALID_INPUT',
      )
      expect(await eventCount(w.provider.ledger)).toBe(before)
    })
    it('lists the catalog by listing, tag and owner', async () => {
      const a = await register(w.provider, testBytes(10), { tags: ['finance', 'eu'] })
      const b = await register(w.provider, testBytes(10), { tags: ['weather'], listed: false })
      const ids = (xs: { id: string }[]) => xs.map(x => x.id).sort()
      expect(ids(await w.consumer.client.datasets.catalog())).toEqual([a.id])
      expect(ids(await w.consumer.client.datasets.catalog({ includeUnlisted: true }))).toEqual([a.id, b.id].sort())
      expect(ids(await w.consumer.client.datasets.catalog({ tag: 'eu' }))).toEqual([a.id])
      expect(await w.consumer.client.datasets.catalog({ owner: w.consumer.id })).toEqual([])
    })
    it('applies new terms to new grants, and to a grant in force once its grantee accepts them', async () => {
      const id = await granted()
      await w.consumer.client.data.fetch(id)
      await w.provider.client.datasets.update(id, { terms: { pricePerAccess: 250n } })
      await w.provider.client.grants.grant(id, w.consumer2.id)
      expect((await w.consumer.client.data.fetch(id)).receipt?.record.amount).toBe(100n)
      expect((await w.consumer2.client.data.fetch(id)).receipt?.record.amount).toBe(250n)
      const { terms } = await w.consumer.client.datasets.get(id)
      expect((await w.consumer.client.grants.acceptTerms(id, terms)).terms.pricePerAccess).toBe(250n)
      expect((await w.consumer.client.data.fetch(id)).receipt?.record.amount).toBe(250n)
      expect(
        (await w.consumer.client.usage.list({ datasetId: id, consumer: w.consumer.id })).map(r => r.amount),
      ).toEqual([100n, 100n, 250n])
    })
    refuses(
      ['publishVersion.sequence', 'grantAccess.inForce', 'updateDataset.notOwner'],
      'refuses new versions and grants on a retired dataset with CONFLICT',
      async () => {
        const { id, version } = await register()
        await w.provider.client.datasets.retire(id)
        await rejectsWith(w.provider.client.datasets.publish(id, testBytes(10)), 'CONFLICT')
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id), 'CONFLICT')
        await rejectsWith(w.consumer.ledger.submit('retireDataset', { datasetId: id }), 'ACCESS_DENIED')
        // The client refuses the first two before submitting; the ledger refuses them on its own.
        const before = await eventCount(w.provider.ledger)
        await rejectsWith(rawPublish(w.provider, version!), 'CONFLICT')
        await rejectsWith(rawGrant(w.provider, id, w.consumer.id), 'CONFLICT')
        expect(await eventCount(w.provider.ledger)).toBe(before)
      },
    )
    it('streams a multi-chunk version with progress', async () => {
      const data = testBytes(10_000, 3)
      const { id } = await register(w.provider, data)
      await w.provider.client.grants.grant(id, w.consumer.id)
      const progress: number[] = []
      const { stream, receipt } = await w.consumer.client.data.stream(id, { onProgress: p => progress.push(p.bytes) })
      expect(receipt).not.toBeNull()
      const parts: Uint8Array[] = []
      for await (const p of stream) parts.push(p)
      expect(Buffer.concat(parts)).toEqual(Buffer.from(data))
      expect(progress.at(-1)).toBe(10_000)
    })
    it('stores a payload on the ledger across several transactions', async () => {
      const data = testBytes(40 * 1024, 12)
      const { id, version } = await register(w.provider, data)
      expect(version?.chunkCount).toBe(40)
      const uploads = (await readAllEvents(w.consumer.ledger)).flatMap(e =>
        e.event.type === 'PayloadStored' ? [e.event.complete] : [],
      )
      expect(uploads.length).toBeGreaterThan(1)
      expect(uploads.at(-1)).toBe(true)
      await w.provider.client.grants.grant(id, w.consumer.id)
      expect((await w.consumer.client.data.fetch(id)).bytes).toEqual(data)
    })
    it('keeps payloads in an external store and verifies them', async () => {
      const data = testBytes(4000, 9)
      const { id, version } = await register(w.provider, data, { store: 'shared' })
      expect(version?.location.store).toBe('shared')
      await w.provider.client.grants.grant(id, w.consumer.id)
      expect((await w.consumer.client.data.fetch(id)).bytes).toEqual(data)
    })
    refuses(['registerDataset.taken'], 'refuses a dataset id already taken with CONFLICT', async () => {
      const { id, dataset } = await register()
      const again = { datasetId: id, metadata: dataset.metadata, terms: dataset.terms, listed: true }
      await rejectsWith(w.provider.ledger.submit('registerDataset', again), 'CONFLICT')
      expect((await w.provider.client.datasets.get(id)).latestVersion).toBe(1)
    })
    refuses(
      ['updateDataset.missing', 'updateDataset.retired'],
      'refuses changes to an unknown dataset with NOT_FOUND and to a retired one with CONFLICT',
      async () => {
        const { id, dataset } = await register()
        const update = (datasetId: DatasetId) =>
          w.provider.ledger.submit('updateDataset', {
            datasetId,
            metadata: dataset.metadata,
            terms: dataset.terms,
            listed: true,
          })
        const ghost = toDatasetId('cd'.repeat(32))
        await rejectsWith(update(ghost), 'NOT_FOUND')
        await rejectsWith(w.provider.ledger.submit('retireDataset', { datasetId: ghost }), 'NOT_FOUND')
        await w.provider.client.datasets.retire(id)
        const before = await eventCount(w.provider.ledger)
        await rejectsWith(update(id), 'CONFLICT')
        await rejectsWith(w.provider.ledger.submit('retireDataset', { datasetId: id }), 'CONFLICT')
        expect(await eventCount(w.provider.ledger)).toBe(before)
      },
    )
    refuses(
      ['storePayload.denied', 'storePayload.order'],
      'refuses payload chunks from a non-provider, out of order, or once the upload is complete',
      async () => {
        const upload = 'ef'.repeat(32)
        const store = (p: typeof w.provider, first: number, last: boolean) =>
          p.ledger.submit('storePayload', { upload, first, chunks: [testBytes(16, first + 1)], last })
        await rejectsWith(store(w.consumer, 0, true), 'ACCESS_DENIED')
        await store(w.provider, 0, false)
        await rejectsWith(store(w.provider, 2, false), 'CONFLICT')
        await store(w.provider, 1, true)
        await rejectsWith(store(w.provider, 2, true), 'CONFLICT')
        const stored = (await readAllEvents(w.provider.ledger)).flatMap(e =>
          e.event.type === 'PayloadStored' && e.event.upload === upload ? [[e.event.first, e.event.complete]] : [],
        )
        expect(stored).toEqual([
          [0, false],
          [1, true],
        ])
      },
    )
  })
}

/** The catalog area of the conformance suite alone (datasets, versions, payloads, terms). */
export const describeCatalogConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(catalog)
