import type { MemberId } from '../../domain/index.js'
import { eventCount, fakeWrap, nonce, testBytes, ZERO32 } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Access: grants, their scopes, expiry, quota, price override, revocation, key wraps, accepting new terms. */
export function access(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, granted, rawPublish, rawGrant, w, h } = t
  describe('grants', () => {
    refuses(['grantAccess.notOwner'], 'refuses a grant by a non-owner with ACCESS_DENIED', async () => {
      const { id } = await register()
      await rejectsWith(w.consumer.client.grants.grant(id, w.consumer2.id), 'ACCESS_DENIED')
      // The client refuses before submitting; the ledger refuses the same grant on its own.
      await rejectsWith(rawGrant(w.consumer, id, w.consumer2.id), 'ACCESS_DENIED')
      expect(await w.provider.client.grants.get(id, w.consumer2.id)).toBeNull()
    })
    refuses(['grantAccess.input'], 'refuses a grant to a member without the consumer role', async () => {
      const { id } = await register()
      await rejectsWith(w.provider.client.grants.grant(id, w.regulator.id), 'INVALID_INPUT')
      // The ledger refuses the same grantee, and the owner as its own grantee, on its own; a consumer it takes.
      await rejectsWith(rawGrant(w.provider, id, w.regulator.id), 'INVALID_INPUT')
      await rejectsWith(rawGrant(w.provider, id, w.provider.id), 'INVALID_INPUT')
      await rawGrant(w.provider, id, w.consumer.id)
      expect((await w.provider.client.grants.list({ datasetId: id })).map(g => g.grantee)).toEqual([w.consumer.id])
    })
    refuses(
      ['grantAccess.inForce'],
      'refuses a second grant in force with CONFLICT, and replaces a revoked one',
      async () => {
        const { id } = await register()
        const g1 = await w.provider.client.grants.grant(id, w.consumer.id)
        await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id), 'CONFLICT')
        await w.provider.client.grants.revoke(id, w.consumer.id)
        const g2 = await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 1 })
        expect([g1.seq, g2.seq, g2.state, g2.used]).toEqual([1, 2, 'active', 0])
        expect((await w.consumer.client.data.fetch(id)).receipt?.record.grantSeq).toBe(2)
      },
    )
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
    refuses(['recordUsage.noGrant'], 'limits an exact-version scope to that version', async () => {
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
    refuses(['recordUsage.expired'], 'expires a grant by ledger time', async () => {
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
    refuses(['grantAccess.input'], 'refuses an expiry in the past', async () => {
      const { id } = await register()
      await rejectsWith(w.provider.client.grants.grant(id, w.consumer.id, { expiresAt: 1000 }), 'INVALID_INPUT')
    })
    refuses(['recordUsage.quota'], 'enforces the access quota', async () => {
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
    refuses(
      ['recordUsage.revoked'],
      'revokes forward-only: the next version is out of reach, the old bytes stay',
      async () => {
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
      },
    )
    refuses(
      ['revokeAccess.notOwner', 'revokeAccess.revoked', 'revokeAccess.missing'],
      'refuses revoking twice or by a non-owner',
      async () => {
        const id = await granted()
        await rejectsWith(w.consumer2.client.grants.revoke(id, w.consumer.id), 'ACCESS_DENIED')
        await w.provider.client.grants.revoke(id, w.consumer.id)
        await rejectsWith(w.provider.client.grants.revoke(id, w.consumer.id), 'CONFLICT')
        await rejectsWith(w.provider.client.grants.revoke(id, w.consumer2.id), 'NOT_FOUND')
      },
    )
    refuses(
      ['publishVersion.wraps'],
      'wraps every version for the escrow regulator when the consortium requires it',
      async () => {
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
      },
    )
    refuses(
      ['addKeyWraps.notOwner', 'addKeyWraps.noVersion', 'addKeyWraps.notEntitled'],
      'refuses key wraps from a non-owner, for a missing version, or for a member not entitled',
      async () => {
        const id = await granted()
        const wraps = (member: MemberId, version: number) => ({
          datasetId: id,
          member,
          wraps: [{ version, wrapped: fakeWrap(7) }],
        })
        const before = await eventCount(w.provider.ledger)
        await rejectsWith(w.consumer.ledger.submit('addKeyWraps', wraps(w.consumer.id, 1)), 'ACCESS_DENIED')
        await rejectsWith(w.provider.ledger.submit('addKeyWraps', wraps(w.consumer.id, 2)), 'NOT_FOUND')
        await rejectsWith(w.provider.ledger.submit('addKeyWraps', wraps(w.consumer2.id, 1)), 'INVALID_INPUT')
        expect(await eventCount(w.provider.ledger)).toBe(before)
        expect((await w.consumer.client.data.fetch(id)).bytes).toEqual(testBytes(3000))
      },
    )
    refuses(
      ['acceptTerms.notMember', 'acceptTerms.revoked', 'acceptTerms.expired'],
      'refuses accepting terms by a non-member, or under a revoked or an expired grant',
      async () => {
        const { id } = await register()
        const terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY' }
        const s = await w.stranger()
        await rejectsWith(s.client.grants.acceptTerms(id, terms), 'ACCESS_DENIED')
        await w.provider.client.grants.grant(id, w.consumer2.id)
        await w.provider.client.grants.revoke(id, w.consumer2.id)
        await rejectsWith(w.consumer2.client.grants.acceptTerms(id, terms), 'GRANT_REVOKED')
        const now = (await w.provider.ledger.query('getLedgerTime', {})) as number
        await w.provider.client.grants.grant(id, w.consumer.id, { expiresAt: now + 10 })
        await h.advanceTime(11)
        await rejectsWith(w.consumer.client.grants.acceptTerms(id, terms), 'GRANT_EXPIRED')
      },
    )
  })
}

/** The access area of the conformance suite alone (grants, scopes, expiry, quota, revocation, key wraps). */
export const describeAccessConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(access)
