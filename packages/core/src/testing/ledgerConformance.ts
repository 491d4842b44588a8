import { readAllEvents } from '../client/events.js'
import { buildStatement, Datapact } from '../client/index.js'
import { toDatasetId, toMemberId } from '../codec/ids.js'
import { generateDataKey, generateMemberKeys, wrapKey } from '../crypto/index.js'
import type { DatasetId, LedgerEventRecord, MemberId, Version } from '../domain/index.js'
import type { DatapactErrorCode } from '../errors.js'
import { hexToBytes } from '../internal/bytes.js'
import type { IndexStore } from '../ledgerIndex/index.js'
import type { WriteArgs } from '../rules/index.js'
import { eventCount, fakeWrap, nonce, type Party, TERMS, testBytes, type World, world, ZERO32 } from './fixtures.js'
import type { LedgerHarness } from './harness.js'
import { runModelHistory } from './model.js'
import { bindRunner, type ConformanceRunner } from './runner.js'

/** Options of {@link describeLedgerConformance}. */
export interface ConformanceOptions {
  /** Per-test timeout in ms (real backends are slower than memory). Default 30 s. */
  timeout?: number
  /** Runs of the model-based random history. Default 8. */
  modelRuns?: number
  /** Runs of the random history that compares statements from the member-side index with a full replay. Default 4. */
  indexRuns?: number
  /**
   * Whether the backend fixes the genesis admin at deployment (the harness's first identity): adds the case that no
   * other identity can take the bootstrap.
   */
  genesisAdmin?: boolean
  /** The test runner's functions; default: the runner's globals (jest, or vitest with `globals: true`). */
  runner?: ConformanceRunner
  /**
   * Opens the member-side index of each party's client, by its label (default: a memory index per client): an
   * index store implementation runs the whole suite through its own store this way.
   */
  index?: (label: string) => IndexStore
}

/**
 * The ledger conformance suite: every adapter runs it against its real backend, so the memory ledger, the EVM
 * contract and the Fabric chaincode give the same results and the same error codes for the same calls.
 *
 * @param name - The backend's name, shown in test titles.
 * @param setup - Creates a fresh, empty ledger for each test.
 * @param options - Timeouts, run counts and the test runner.
 * @throws `Error` when no runner is given and the runner's globals (`describe`, `it`, `expect`, `beforeEach`,
 *   `afterEach`) are not defined. The tests themselves fail with the runner's assertion errors.
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest'
 * import { createMemoryHarness } from '@datapact/adapter-memory'
 * import { describeLedgerConformance } from '@datapact/core/testing'
 *
 * describeLedgerConformance('memory', async () => createMemoryHarness(), {
 *   runner: { describe, it, expect, beforeEach, afterEach },
 * })
 * ```
 */
export function describeLedgerConformance(
  name: string,
  setup: () => Promise<LedgerHarness>,
  options: ConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000
  // The runner is injected (no vitest import at load time), so the suite loads in any test runner.
  const { describe, it, expect, beforeEach, afterEach } = bindRunner(options.runner, timeout)
  const rejectsWith = async (p: Promise<unknown>, code: DatapactErrorCode) =>
    expect(p).rejects.toMatchObject({ name: expect.stringMatching(/Error$/), code })
  const worlds = options.index ? { index: options.index } : {}
  describe(`conformance: ${name}`, () => {
    let h: LedgerHarness
    let w: World
    beforeEach(async () => {
      h = await setup()
      w = await world(h, worlds)
    }, timeout * 2)
    afterEach(async () => {
      await h?.teardown()
    }, timeout)

    /** Submits a publish of `v`'s payload as the next version straight to the ledger, bypassing the client. */
    const rawPublish = (p: Party, v: Version, changes: Partial<WriteArgs['publishVersion']> = {}) =>
      p.ledger.submit('publishVersion', {
        datasetId: v.datasetId,
        number: v.number + 1,
        plaintextDigest: v.plaintextDigest,
        merkleRoot: v.merkleRoot,
        size: v.size,
        chunkSize: v.chunkSize,
        chunkCount: v.chunkCount,
        header: v.header,
        keyCommitment: v.keyCommitment,
        location: v.location,
        wraps: [{ member: p.id, wrapped: fakeWrap() }],
        ...changes,
      })

    const register = (p: Party = w.provider, data = testBytes(3000), extra: Record<string, unknown> = {}) =>
      p.client.datasets.register({ title: 'Ticks', tags: ['finance'], terms: TERMS, data, chunkSize: 1024, ...extra })

    describe('members', () => {
      it('bootstraps the consortium with the first member as admin', async () => {
        const me = await w.provider.client.members.me()
        expect(me?.roles).toEqual(['admin', 'provider'])
        expect((await w.consumer.client.members.get(w.consumer.id)).roles).toEqual(['consumer'])
        expect((await w.provider.client.members.list()).map(m => m.id).sort()).toEqual(
          [w.provider.id, w.consumer.id, w.consumer2.id, w.regulator.id].sort(),
        )
      })
      if (options.genesisAdmin)
        it('lets only the genesis admin fixed at deployment bootstrap the consortium', async () => {
          const fresh = await setup()
          try {
            const [admin, outsider] = [await fresh.member('genesis'), await fresh.member('outsider')]
            const join = async (ledger: typeof admin) =>
              (await Datapact.open({ ledger, keys: generateMemberKeys() })).members.join({
                name: 'First',
                roles: ['provider'],
              })
            await rejectsWith(join(outsider), 'ACCESS_DENIED')
            expect(await eventCount(outsider)).toBe(0)
            expect((await join(admin)).roles).toContain('admin')
          } finally {
            await fresh.teardown()
          }
        })
      it('refuses a second join with CONFLICT', async () => {
        await rejectsWith(w.consumer.client.members.join({ name: 'again', roles: ['consumer'] }), 'CONFLICT')
      })
      it('refuses a self-granted admin role with ACCESS_DENIED', async () => {
        const s = await w.stranger()
        await rejectsWith(s.client.members.join({ name: 'Mallory', roles: ['admin'] }), 'ACCESS_DENIED')
      })
      it('admits by admin when the consortium says so', async () => {
        await w.provider.client.members.updateSettings({
          admission: 'admin',
          regulatorEscrow: null,
          periodSeconds: 86400,
        })
        const s = await w.stranger()
        await rejectsWith(s.client.members.join({ name: 'Newcomer', roles: ['consumer'] }), 'ACCESS_DENIED')
        await rejectsWith(w.consumer.client.members.admit(s.id, ['consumer']), 'ACCESS_DENIED')
        await w.provider.client.members.admit(s.id, ['consumer', 'provider'])
        const joined = await s.client.members.join({ name: 'Newcomer', roles: ['consumer'] })
        expect(joined.roles).toEqual(['provider', 'consumer'])
      })
      it('lets only an admin change settings and roles', async () => {
        await rejectsWith(
          w.consumer.client.members.updateSettings({ admission: 'admin', regulatorEscrow: null, periodSeconds: 86400 }),
          'ACCESS_DENIED',
        )
        await rejectsWith(w.consumer.client.members.setRoles(w.consumer.id, ['consumer', 'provider']), 'ACCESS_DENIED')
        const m = await w.provider.client.members.setRoles(w.consumer.id, ['consumer', 'provider'])
        expect(m.roles).toEqual(['provider', 'consumer'])
      })
      it('keeps the consortium governable: an admin and the escrow regulator stay', async () => {
        await rejectsWith(w.provider.client.members.leave(), 'CONFLICT')
        await rejectsWith(w.provider.client.members.setRoles(w.provider.id, ['provider']), 'INVALID_INPUT')
        const escrow = { admission: 'open' as const, regulatorEscrow: w.regulator.id, periodSeconds: 86400 }
        await rejectsWith(
          w.provider.client.members.updateSettings({ ...escrow, regulatorEscrow: w.consumer.id }),
          'INVALID_INPUT',
        )
        await w.provider.client.members.updateSettings(escrow)
        await rejectsWith(w.regulator.client.members.leave(), 'CONFLICT')
        await rejectsWith(w.provider.client.members.setRoles(w.regulator.id, ['consumer']), 'CONFLICT')
        expect(await w.consumer.client.members.settings()).toEqual(escrow)
      })
      it('wraps later versions to a rotated envelope key', async () => {
        const { id } = await register(w.provider, testBytes(300, 1))
        await w.provider.client.grants.grant(id, w.consumer.id)
        const newKeys = generateMemberKeys()
        const rotated = await w.consumer.client.members.rotateEnvelopeKey(newKeys)
        expect(rotated.envelopeKey).toEqual(newKeys.envelope.publicKey)
        await w.provider.client.datasets.publish(id, testBytes(300, 2))
        await rejectsWith(w.consumer.client.data.fetch(id, { version: 2 }), 'INTEGRITY')
        const renewed = await Datapact.open({ ledger: w.consumer.ledger, keys: newKeys, stores: [w.store] })
        expect((await renewed.data.fetch(id, { version: 2 })).bytes).toEqual(testBytes(300, 2))
        expect((await w.consumer.client.data.fetch(id, { version: 1 })).bytes).toEqual(testBytes(300, 1))
      })
      it('refuses a member that left', async () => {
        await w.consumer2.client.members.leave()
        expect((await w.provider.client.members.list()).find(m => m.id === w.consumer2.id)?.status).toBe('left')
        const { id } = await register()
        // Issue 9: the client's courtesy check is the rule's own check, so both refuse with INVALID_INPUT.
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer2.id), 'INVALID_INPUT')
      })
    })

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
      it('refuses a dataset from a member without the provider role', async () => {
        await rejectsWith(register(w.consumer), 'ACCESS_DENIED')
      })
      it('refuses a dataset from a non-member', async () => {
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
      it('refuses a publish by a non-owner, on the ledger itself', async () => {
        const { id } = await register()
        const v = await w.provider.client.datasets.version(id, 1)
        await rejectsWith(rawPublish(w.consumer, v), 'ACCESS_DENIED')
      })
      it('refuses a version number out of sequence with CONFLICT', async () => {
        const { id } = await register()
        const v = await w.provider.client.datasets.version(id, 1)
        await rejectsWith(rawPublish(w.provider, v, { number: 3 }), 'CONFLICT')
      })
      it('refuses a publish that omits a required key wrap', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
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
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
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
      it('refuses new versions and grants on a retired dataset with CONFLICT', async () => {
        const { id } = await register()
        await w.provider.client.datasets.retire(id)
        await rejectsWith(w.provider.client.datasets.publish(id, testBytes(10)), 'CONFLICT')
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id), 'CONFLICT')
        await rejectsWith(w.consumer.ledger.submit('retireDataset', { datasetId: id }), 'ACCESS_DENIED')
      })
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
    })

    describe('grants', () => {
      it('refuses a grant by a non-owner with ACCESS_DENIED', async () => {
        const { id } = await register()
        await rejectsWith(w.consumer.client.grants.grant(id, w.consumer2.id), 'ACCESS_DENIED')
      })
      it('refuses a grant to a member without the consumer role', async () => {
        const { id } = await register()
        await rejectsWith(w.provider.client.grants.grant(id, w.regulator.id), 'INVALID_INPUT')
      })
      it('refuses a second grant in force with CONFLICT, and replaces a revoked one', async () => {
        const { id } = await register()
        const g1 = await w.provider.client.grants.grant(id, w.consumer.id)
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id), 'CONFLICT')
        await w.provider.client.grants.revoke(id, w.consumer.id)
        const g2 = await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 1 })
        expect([g1.seq, g2.seq, g2.state, g2.used]).toEqual([1, 2, 'active', 0])
        expect((await w.consumer.client.data.fetch(id)).receipt?.record.grantSeq).toBe(2)
      })
      it('serves many consumers, each with its own key wrap', async () => {
        const data = testBytes(2048, 5)
        const { id } = await register(w.provider, data)
        await w.provider.client.grants.grant(id, w.consumer.id)
        await w.provider.client.grants.grant(id, w.consumer2.id)
        expect((await w.consumer.client.data.fetch(id)).bytes).toEqual(data)
        expect((await w.consumer2.client.data.fetch(id)).bytes).toEqual(data)
        const s = await w.stranger()
        await rejectsWith(s.client.data.fetch(id), 'ACCESS_DENIED')
        expect((await w.provider.client.grants.list({ datasetId: id })).map(g => g.grantee).sort()).toEqual(
          [w.consumer.id, w.consumer2.id].sort(),
        )
      })
      it('grants many consumers at once, stopping at the first refusal', async () => {
        const data = testBytes(900, 6)
        const { id } = await register(w.provider, data)
        const grants = await w.provider.client.grants.grantMany(id, [w.consumer.id, w.consumer2.id], { maxAccesses: 3 })
        expect(grants.map(g => [g.grantee, g.seq, g.maxAccesses])).toEqual([
          [w.consumer.id, 1, 3],
          [w.consumer2.id, 2, 3],
        ])
        expect((await w.consumer2.client.data.fetch(id)).bytes).toEqual(data)
        const s = await w.stranger()
        await s.client.members.join({ name: 'Late consumer', roles: ['consumer'] })
        const refused = await w.provider.client.grants.grantMany(id, [s.id, w.regulator.id]).catch(e => e)
        expect(refused).toMatchObject({ code: 'INVALID_INPUT', details: { granted: 1, grantee: w.regulator.id } })
        expect((await w.provider.client.grants.get(id, s.id))?.effectiveState).toBe('active')
      })
      it('limits an exact-version scope to that version', async () => {
        const { id } = await register(w.provider, testBytes(100, 1))
        await w.provider.client.datasets.publish(id, testBytes(100, 2))
        await w.provider.client.grants.grant(id, w.consumer.id, { scope: { exactly: 1 } })
        const got = await w.consumer.client.data.fetch(id)
        expect([got.version.number, got.bytes]).toEqual([1, testBytes(100, 1)])
        await rejectsWith(w.consumer.client.data.fetch(id, { version: 2 }), 'ACCESS_DENIED')
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', {
            records: [{ datasetId: id, version: 2, bytes: 100, amount: 100n, nonce: nonce(), wrapHash: ZERO32 }],
          }),
          'ACCESS_DENIED',
        )
      })
      it('limits a from-version scope to that version and later', async () => {
        const { id } = await register(w.provider, testBytes(100, 1))
        await w.provider.client.grants.grant(id, w.consumer.id, { scope: { from: 2 } })
        await rejectsWith(w.consumer.client.data.fetch(id, { version: 1 }), 'ACCESS_DENIED')
        await rejectsWith(w.consumer.client.data.fetch(id), 'NOT_FOUND')
        await w.provider.client.datasets.publish(id, testBytes(100, 2))
        await w.provider.client.datasets.publish(id, testBytes(100, 3))
        expect((await w.consumer.client.data.fetch(id, { version: 2 })).bytes).toEqual(testBytes(100, 2))
        expect((await w.consumer.client.data.fetch(id)).bytes).toEqual(testBytes(100, 3))
      })
      it('expires a grant by ledger time', async () => {
        const { id } = await register()
        const now = (await w.provider.ledger.query('getLedgerTime', {})) as number
        await w.provider.client.grants.grant(id, w.consumer.id, { expiresAt: now + 3 })
        await w.consumer.client.data.fetch(id)
        await h.advanceTime(4)
        await rejectsWith(w.consumer.client.data.fetch(id), 'GRANT_EXPIRED')
        expect((await w.consumer.client.grants.get(id))?.effectiveState).toBe('expired')
        await w.provider.client.grants.grant(id, w.consumer.id)
        expect((await w.consumer.client.data.fetch(id)).receipt).not.toBeNull()
      })
      it('refuses an expiry in the past', async () => {
        const { id } = await register()
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id, { expiresAt: 1000 }), 'INVALID_INPUT')
      })
      it('enforces the access quota', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 2 })
        await w.consumer.client.data.fetch(id)
        await w.consumer.client.data.fetch(id)
        await rejectsWith(w.consumer.client.data.fetch(id), 'QUOTA_EXCEEDED')
        expect((await w.consumer.client.grants.get(id))?.used).toBe(2)
      })
      it('applies a price override', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id, { price: 7n })
        expect((await w.consumer.client.data.fetch(id)).receipt?.record.amount).toBe(7n)
      })
      it('revokes forward-only: the next version is out of reach, the old bytes stay', async () => {
        const v1 = testBytes(500, 1)
        const { id } = await register(w.provider, v1)
        await w.provider.client.grants.grant(id, w.consumer.id)
        await w.provider.client.grants.grant(id, w.consumer2.id)
        const kept = (await w.consumer.client.data.fetch(id)).bytes
        await w.provider.client.grants.revoke(id, w.consumer.id)
        const v2 = await w.provider.client.datasets.publish(id, testBytes(500, 2))
        expect(
          await w.consumer.ledger.query('getKeyWrap', { datasetId: id, number: 2, member: w.consumer.id }),
        ).toBeNull()
        await rejectsWith(w.consumer.client.data.fetch(id, { version: v2.number }), 'GRANT_REVOKED')
        await rejectsWith(w.consumer.client.data.fetch(id, { version: 1 }), 'GRANT_REVOKED')
        expect(kept).toEqual(v1)
        expect((await w.consumer2.client.data.fetch(id)).bytes).toEqual(testBytes(500, 2))
      })
      it('refuses revoking twice or by a non-owner', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        await rejectsWith(w.consumer2.client.grants.revoke(id, w.consumer.id), 'ACCESS_DENIED')
        await w.provider.client.grants.revoke(id, w.consumer.id)
        await rejectsWith(w.provider.client.grants.revoke(id, w.consumer.id), 'CONFLICT')
        await rejectsWith(w.provider.client.grants.revoke(id, w.consumer2.id), 'NOT_FOUND')
      })
      it('wraps every version for the escrow regulator when the consortium requires it', async () => {
        await w.provider.client.members.updateSettings({
          admission: 'open',
          regulatorEscrow: w.regulator.id,
          periodSeconds: 86400,
        })
        const data = testBytes(700, 4)
        const { id, version } = await register(w.provider, data)
        const got = await w.regulator.client.data.fetch(id)
        expect([got.bytes, got.receipt]).toEqual([data, null])
        const audit = await w.regulator.client.audit.verify({ payloads: true })
        expect([audit.ok, audit.payloadsChecked, audit.plaintextsChecked]).toEqual([true, 1, 1])
        await rejectsWith(
          rawPublish(w.provider, version!, { location: { store: 'shared', address: 'x' } }),
          'INVALID_INPUT',
        )
      })
    })

    describe('events', () => {
      it('delivers committed events to subscribers, in ledger order, as readEvents returns them', async () => {
        const seen: LedgerEventRecord[] = []
        const off = w.regulator.ledger.subscribe(e => seen.push(e))
        try {
          const { id } = await register()
          await w.provider.client.grants.grant(id, w.consumer.id)
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
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
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

    describe('usage', () => {
      const claim = (id: DatasetId, extra: Record<string, unknown> = {}) => ({
        datasetId: id,
        version: 1,
        bytes: 3000,
        amount: 100n,
        nonce: nonce(),
        wrapHash: ZERO32,
        ...extra,
      })
      it('records a batch in one transaction', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        const receipts = await w.consumer.client.usage.record(
          Array.from({ length: 5 }, () => ({ datasetId: id, version: 1 })),
        )
        expect(receipts).toHaveLength(5)
        expect(new Set(receipts.map(r => r.txId)).size).toBe(1)
        const totals = await w.consumer.client.billing.totals({
          provider: w.provider.id,
          consumer: w.consumer.id,
          period: receipts[0]!.record.period,
          currency: 'CNY',
        })
        expect([totals.count, totals.amount, totals.bytes]).toEqual([5, 500n, 15000])
      })
      it('refuses a whole batch when one record is invalid', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 3 })
        const before = await eventCount(w.consumer.ledger)
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id), claim(id), claim(id), claim(id)] }),
          'QUOTA_EXCEEDED',
        )
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id), claim(id, { amount: 1n })] }),
          'AMOUNT_MISMATCH',
        )
        expect(await eventCount(w.consumer.ledger)).toBe(before)
        expect((await w.consumer.client.grants.get(id))?.used).toBe(0)
      })
      it('refuses a replayed nonce', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        const c = claim(id)
        await w.consumer.ledger.submit('recordUsage', { records: [c] })
        await rejectsWith(w.consumer.ledger.submit('recordUsage', { records: [c] }), 'NONCE_REUSED')
        const n = nonce()
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id, { nonce: n }), claim(id, { nonce: n })] }),
          'NONCE_REUSED',
        )
      })
      it('refuses a wrong amount or size', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id, { amount: 99n })] }),
          'AMOUNT_MISMATCH',
        )
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id, { bytes: 10 })] }),
          'INVALID_INPUT',
        )
      })
      it('refuses usage without a grant', async () => {
        const { id } = await register()
        await rejectsWith(w.consumer.ledger.submit('recordUsage', { records: [claim(id)] }), 'ACCESS_DENIED')
        await rejectsWith(w.consumer.client.usage.record([{ datasetId: id, version: 1 }]), 'ACCESS_DENIED')
      })
    })

    describe('billing', () => {
      const metered = async (n: number) => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        for (let i = 0; i < n; i++) await w.consumer.client.data.fetch(id)
        return id
      }
      it('computes the same statement on the provider, consumer and regulator nodes', async () => {
        await metered(3)
        const fromConsumer = await w.consumer.client.billing.statement({ provider: w.provider.id })
        const fromProvider = await w.provider.client.billing.statement({ consumer: w.consumer.id })
        const fromRegulator = await w.regulator.client.billing.statement({
          provider: w.provider.id,
          consumer: w.consumer.id,
        })
        expect(fromConsumer.digest).toEqual(fromProvider.digest)
        expect(fromRegulator).toEqual(fromConsumer)
        expect([fromConsumer.count, fromConsumer.amount]).toEqual([3, 300n])
      })
      it('refuses a settlement whose totals differ from the ledger', async () => {
        await metered(2)
        const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
        await rejectsWith(
          w.consumer.ledger.submit('acknowledgeStatement', {
            provider: st.provider,
            consumer: st.consumer,
            period: st.period,
            currency: st.currency,
            digest: st.digest,
            amount: st.amount + 1n,
            count: st.count,
          }),
          'SETTLEMENT_MISMATCH',
        )
      })
      it('refuses an altered statement and a third party', async () => {
        await metered(1)
        const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
        await rejectsWith(w.consumer.client.billing.settle({ ...st, amount: 1n }), 'INTEGRITY')
        await rejectsWith(w.consumer2.client.billing.settle(st), 'ACCESS_DENIED')
      })
      it('settles only when both parties acknowledge the same digest, and again after more usage', async () => {
        const id = await metered(1)
        const st1 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        expect((await w.consumer.client.billing.settle(st1)).settledDigest).toBeNull()
        await w.consumer.client.data.fetch(id)
        await rejectsWith(w.provider.client.billing.settle(st1), 'SETTLEMENT_MISMATCH')
        const st2 = await w.provider.client.billing.statement({ consumer: w.consumer.id })
        expect((await w.provider.client.billing.settle(st2)).settledDigest).toBeNull()
        expect((await w.consumer.client.billing.settle(st2)).settledDigest).toEqual(st2.digest)
        expect((await w.regulator.client.audit.verify()).ok).toBe(true)
      })
    })

    describe('the bill', () => {
      const usageCount = async (id: DatasetId) => (await w.consumer.client.usage.list({ datasetId: id })).length
      const settledEvents = async () =>
        (await readAllEvents(w.consumer.ledger)).filter(e => e.event.type === 'StatementSettled').length

      it('keeps the price of a grant in force when the provider reprices, and refuses stale acceptance', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        await w.provider.client.datasets.update(id, { terms: { pricePerAccess: 10n ** 30n } })
        const grant = await w.consumer.client.grants.get(id)
        expect(grant?.terms.pricePerAccess).toBe(100n)
        // The ledger itself refuses the new price on the old grant.
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', {
            records: [{ datasetId: id, version: 1, bytes: 3000, amount: 10n ** 30n, nonce: nonce(), wrapHash: ZERO32 }],
          }),
          'AMOUNT_MISMATCH',
        )
        expect((await w.consumer.client.data.fetch(id)).receipt?.record.amount).toBe(100n)
        const stale = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY' }
        await rejectsWith(w.consumer.client.grants.acceptTerms(id, stale), 'CONFLICT')
        await rejectsWith(
          w.consumer2.client.grants.acceptTerms(id, { ...stale, pricePerAccess: 10n ** 30n }),
          'NOT_FOUND',
        )
      })

      it('refuses before submitting when the access would cost more than maxAmount', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        await rejectsWith(w.consumer.client.data.fetch(id, { maxAmount: 99n }), 'AMOUNT_MISMATCH')
        await rejectsWith(
          w.consumer.client.usage.record([{ datasetId: id, version: 1, maxAmount: 0n }]),
          'AMOUNT_MISMATCH',
        )
        expect(await usageCount(id)).toBe(0)
        expect((await w.consumer.client.data.fetch(id, { maxAmount: 100n })).receipt?.record.amount).toBe(100n)
      })

      it('bills nothing when the key wrapped for the consumer is not the committed key', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        const other = await wrapKey({
          dataKey: generateDataKey(),
          recipientPublicKey: w.consumer.keys.envelope.publicKey,
          datasetId: hexToBytes(id),
          version: 1,
          recipientId: w.consumer.id,
        })
        await w.provider.ledger.submit('addKeyWraps', {
          datasetId: id,
          member: w.consumer.id,
          wraps: [{ version: 1, wrapped: other }],
        })
        await rejectsWith(w.consumer.client.data.fetch(id), 'INTEGRITY')
        await rejectsWith(w.consumer.client.data.stream(id), 'INTEGRITY')
        expect(await usageCount(id)).toBe(0)
      })

      it('refuses a version whose size and chunk count disagree, and a malformed key wrap', async () => {
        const { version } = await register()
        const v = version!
        await rejectsWith(rawPublish(w.provider, v, { size: Number.MAX_SAFE_INTEGER }), 'INVALID_INPUT')
        await rejectsWith(rawPublish(w.provider, v, { chunkCount: v.chunkCount + 1 }), 'INVALID_INPUT')
        await rejectsWith(
          rawPublish(w.provider, v, { wraps: [{ member: w.provider.id, wrapped: new Uint8Array(91) }] }),
          'INVALID_INPUT',
        )
        expect((await w.provider.client.datasets.get(v.datasetId)).latestVersion).toBe(1)
      })

      it('streams only chunks that match what was verified before metering', async () => {
        const data = testBytes(5000, 3)
        const { id, version } = await register(w.provider, data, { store: 'shared' })
        await w.provider.client.grants.grant(id, w.consumer.id)
        const { stream } = await w.consumer.client.data.stream(id)
        // The store changes its answer after the verified first read.
        w.store.tamper(version!.location.address, chunks => chunks.map((c, i) => (i === 1 ? c.fill(0x42) : c)))
        const released: Uint8Array[] = []
        await expect(
          (async () => {
            for await (const p of stream) released.push(p)
          })(),
        ).rejects.toMatchObject({ code: 'INTEGRITY' })
        expect(released).toEqual([data.subarray(0, 1024)])
      })

      it('settles a statement only on two identical acknowledgements of the open totals, once', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        await w.consumer.client.data.fetch(id)
        const st1 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        await w.consumer.client.billing.settle(st1)
        for (let i = 0; i < 3; i++) await w.consumer.client.data.fetch(id)
        // The provider acknowledges the old digest with the new totals: the two sides do not agree.
        const key = { provider: st1.provider, consumer: st1.consumer, period: st1.period, currency: st1.currency }
        const s = await w.provider.ledger.submit('acknowledgeStatement', {
          ...key,
          digest: st1.digest,
          amount: 400n,
          count: 4,
        })
        expect(s.events.some(e => e.type === 'StatementSettled')).toBe(false)
        expect((await w.provider.client.billing.settlement(key)).settledDigest).toBeNull()
        const st2 = await w.provider.client.billing.statement({ consumer: w.consumer.id })
        expect([st2.sequence, st2.count, st2.amount]).toEqual([1, 4, 400n])
        await w.provider.client.billing.settle(st2)
        expect((await w.consumer.client.billing.settle(st2)).settledDigest).toEqual(st2.digest)
        const before = await eventCount(w.consumer.ledger)
        // Acknowledging again, by either side, changes nothing and emits nothing.
        for (const p of [w.consumer, w.provider, w.consumer]) await p.client.billing.settle(st2)
        expect(await eventCount(w.consumer.ledger)).toBe(before)
        expect(await settledEvents()).toBe(1)
        // Usage after the settlement opens the next statement of the key, which covers only the new records.
        await w.consumer.client.data.fetch(id)
        const st3 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        expect([st3.sequence, st3.first, st3.count, st3.amount]).toEqual([2, 4, 1, 100n])
        await w.consumer.client.billing.settle(st3)
        const done = await w.provider.client.billing.settle(st3)
        expect([done.statements, done.closedCount, done.closedAmount, done.settledAmount]).toEqual([2, 5, 500n, 100n])
        await rejectsWith(
          w.consumer.client.billing.settle(await w.consumer.client.billing.statement({ provider: w.provider.id })),
          'INVALID_INPUT',
        )
        expect(await settledEvents()).toBe(2)
        expect((await w.regulator.client.audit.verify()).ok).toBe(true)
      })

      it('records a retried access once: same nonces report the records already there', async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
        const accesses = [nonce(), nonce()].map(n => ({ datasetId: id, version: 1, nonce: n }))
        const first = await w.consumer.client.usage.record(accesses)
        const again = await w.consumer.client.usage.record(accesses)
        expect(again.map(r => r.record)).toEqual(first.map(r => r.record))
        expect(again.every(r => r.txId === null)).toBe(true)
        const n = nonce()
        const a = await w.consumer.client.data.fetch(id, { nonce: n })
        const b = await w.consumer.client.data.fetch(id, { nonce: n })
        expect(b.receipt?.record).toEqual(a.receipt?.record)
        expect(await usageCount(id)).toBe(3)
        // A nonce already used for another access is still refused.
        const { id: other } = await register()
        await w.provider.client.grants.grant(other, w.consumer.id)
        await rejectsWith(w.consumer.client.usage.record([{ datasetId: other, version: 1, nonce: n }]), 'NONCE_REUSED')
      })
    })

    describe('bad input', () => {
      it('refuses malformed arguments on the ledger itself, leaving it untouched', async () => {
        const before = await eventCount(w.provider.ledger)
        const md = { title: 't', description: '', tags: [], mediaType: '', schema: '' }
        const bad: Array<[string, unknown]> = [
          ['registerDataset', { datasetId: 'zz', metadata: md, terms: TERMS, listed: true }],
          [
            'registerDataset',
            { datasetId: 'ab'.repeat(32), metadata: { ...md, title: '' }, terms: TERMS, listed: true },
          ],
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
      it('refuses unknown ids with NOT_FOUND', async () => {
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
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id)
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
              await h.teardown()
              h = await setup()
              w = await world(h, worlds)
              await runModelHistory(w, seeds, expect)
            }),
            { numRuns: options.modelRuns ?? 8, seed: 0x5eed },
          )
        },
        timeout * 10,
      )
    })
  })
}
