import { Datapact } from '../../client/index.js'
import { toDatasetId, toMemberId } from '../../codec/ids.js'
import { eventCount, TERMS, testBytes } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Faults: tampered payloads, a provider offline, malformed input and unknown ids. */
export function faults(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, w } = t
  describe('data integrity and availability', () => {
    const tampered = async (edit: (chunks: Uint8Array[]) => Uint8Array[]) => {
      const { id, version } = await register(w.provider, testBytes(4000, 8), { store: 'shared' })
      await w.provider.client.grants.grant(id, w.consumer.id)
      w.store.tamper(version!.location.address, edit)
      const before = await eventCount(w.consumer.ledger)
      await rejectsWith(w.consumer.client.data.fetch(id), 'INTEGRITY')
      expect(await eventCount(w.consumer.ledger)).toBe(before)
      expect(await w.consumer.client.usage.list({ datasetId: id })).toEqual([])
    }
    it('detects a flipped bit in the stored payload and records no usage', async () => {
      await tampered(chunks => {
        chunks[1]![5]! ^= 1
        return chunks
      })
    })
    it('detects a truncated payload', async () => {
      await tampered(chunks => chunks.slice(0, -1))
    })
    it('detects reordered chunks', async () => {
      await tampered(chunks => [chunks[1]!, chunks[0]!, ...chunks.slice(2)])
    })
    it('detects a payload spliced from another version', async () => {
      const { id } = await register(w.provider, testBytes(4000, 1), { store: 'shared' })
      const v2 = await w.provider.client.datasets.publish(id, testBytes(4000, 2), { store: 'shared' })
      const v1 = await w.provider.client.datasets.version(id, 1)
      await w.provider.client.grants.grant(id, w.consumer.id)
      const other: Uint8Array[] = []
      for await (const c of w.store.get(v1.location.address, v1.chunkCount)) other.push(c)
      w.store.tamper(v2.location.address, () => other)
      await rejectsWith(w.consumer.client.data.fetch(id), 'INTEGRITY')
    })
    it('serves a consumer while the provider is offline', async () => {
      const data = testBytes(3000, 11)
      const { id } = await register(w.provider, data)
      await w.provider.client.grants.grant(id, w.consumer.id)
      await w.provider.client.close()
      await rejectsWith(w.provider.client.datasets.get(id), 'CLOSED')
      const got = await w.consumer.client.data.fetch(id)
      expect(got.bytes).toEqual(data)
      expect(got.receipt?.record.provider).toBe(w.provider.id)
    })
  })

  describe('bad input', () => {
    it('refuses malformed arguments on the ledger itself, leaving it untouched', async () => {
      const before = await eventCount(w.provider.ledger)
      const md = { title: 't', description: '', tags: [], mediaType: '', schema: '' }
      const bad: Array<[string, unknown]> = [
        ['registerDataset', { datasetId: 'zz', metadata: md, terms: TERMS, listed: true }],
        ['registerDataset', { datasetId: 'ab'.repeat(32), metadata: { ...md, title: '' }, terms: TERMS, listed: true }],
        [
          'registerDataset',
          { datasetId: 'ab'.repeat(32), metadata: md, terms: { ...TERMS, pricePerAccess: -1n }, listed: true },
        ],
        [
          'registerDataset',
          { datasetId: 'ab'.repeat(32), metadata: md, terms: { ...TERMS, currency: 'cny' }, listed: true },
        ],
        [
          'registerDataset',
          { datasetId: 'ab'.repeat(32), metadata: md, terms: { ...TERMS, pricePerAccess: 1n << 130n }, listed: true },
        ],
        ['recordUsage', { records: [] }],
        ['joinConsortium', { name: 'x', roles: ['emperor'], envelopeKey: new Uint8Array(32), settings: null }],
      ]
      for (const [rule, args] of bad)
        await rejectsWith(w.provider.ledger.submit(rule as 'registerDataset', args as never), 'INVALID_INPUT')
      expect(await eventCount(w.provider.ledger)).toBe(before)
    })
    it('refuses bad input at the client with INVALID_INPUT naming the field', async () => {
      const c: Datapact = w.provider.client
      const cases: Array<() => Promise<unknown>> = [
        () => c.datasets.register({ title: '', terms: TERMS, data: testBytes(10) }),
        () => c.datasets.register({ title: 't', terms: { ...TERMS, currency: '' }, data: testBytes(10) }),
        () => c.datasets.register({ title: 't', terms: TERMS, data: new Uint8Array(0) }),
        () => c.datasets.register({ title: 't', terms: TERMS, data: testBytes(10), chunkSize: 3 }),
        () => c.datasets.register(null as never),
        () => c.datasets.publish('nope' as never, testBytes(10)),
        () => c.grants.grant(toDatasetId('ab'.repeat(32)), '' as never, {}),
        () => c.grants.grant(toDatasetId('ab'.repeat(32)), w.consumer.id, { maxAccesses: 0 }),
        () => c.data.fetch('AB'.repeat(32) as never),
        () => c.usage.record([]),
        () => c.billing.statement({ provider: w.provider.id }),
        () => c.usage.list(5 as never),
        () => c.usage.list({ datasetId: 'x' as never }),
        () => c.audit.verify({ payloads: 'yes' } as never),
        () => Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, stores: [{} as never] }),
      ]
      const before = await eventCount(w.provider.ledger)
      for (const run of cases) {
        const e = await run().then(
          () => undefined,
          err => err,
        )
        expect(e).toMatchObject({ code: 'INVALID_INPUT' })
        expect(typeof e.details.argument).toBe('string')
      }
      expect(await eventCount(w.provider.ledger)).toBe(before)
    })
    refuses(['revokeAccess.missing'], 'refuses unknown ids with NOT_FOUND', async () => {
      const ghost = toDatasetId('cd'.repeat(32))
      await rejectsWith(w.consumer.client.datasets.get(ghost), 'NOT_FOUND')
      await rejectsWith(w.consumer.client.data.fetch(ghost), 'NOT_FOUND')
      await rejectsWith(w.provider.client.grants.revoke(ghost, w.consumer.id), 'NOT_FOUND')
      const { id } = await register()
      await rejectsWith(w.consumer.client.datasets.version(id, 9), 'NOT_FOUND')
      // Issue 9: a grantee that is not a member is INVALID_INPUT, on the client as on the ledger.
      await rejectsWith(w.provider.client.grants.grant(id, toMemberId('nobody')), 'INVALID_INPUT')
    })
  })
}

/** The faults area of the conformance suite alone (tampering, outages, bad input). */
export const describeFaultsConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(faults)
