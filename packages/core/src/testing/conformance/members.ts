import { Datapact } from '../../client/index.js'
import { WEAK_ENVELOPE_KEYS } from '../../codec/index.js'
import { generateMemberKeys } from '../../crypto/index.js'
import { hexToBytes } from '../../internal/bytes.js'
import type { WriteArgs } from '../../rules/index.js'
import { eventCount, testBytes } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Members: bootstrap, admission, roles, settings, envelope keys, leaving. */
export function members(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, rawGrant, w, setup, options } = t
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
      refuses(
        ['joinConsortium.denied'],
        'lets only the genesis admin fixed at deployment bootstrap the consortium',
        async () => {
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
        },
      )
    refuses(['joinConsortium.member'], 'refuses a second join with CONFLICT', async () => {
      await rejectsWith(w.consumer.client.members.join({ name: 'again', roles: ['consumer'] }), 'CONFLICT')
    })
    refuses(['joinConsortium.denied'], 'refuses a self-granted admin role with ACCESS_DENIED', async () => {
      const s = await w.stranger()
      await rejectsWith(s.client.members.join({ name: 'Mallory', roles: ['admin'] }), 'ACCESS_DENIED')
    })
    refuses(
      ['joinConsortium.denied', 'admitMember.notAdmin'],
      'admits by admin when the consortium says so',
      async () => {
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
      },
    )
    refuses(
      ['updateSettings.notAdmin', 'setMemberRoles.notAdmin'],
      'lets only an admin change settings and roles',
      async () => {
        await rejectsWith(
          w.consumer.client.members.updateSettings({ admission: 'admin', regulatorEscrow: null, periodSeconds: 86400 }),
          'ACCESS_DENIED',
        )
        await rejectsWith(w.consumer.client.members.setRoles(w.consumer.id, ['consumer', 'provider']), 'ACCESS_DENIED')
        const m = await w.provider.client.members.setRoles(w.consumer.id, ['consumer', 'provider'])
        expect(m.roles).toEqual(['provider', 'consumer'])
      },
    )
    refuses(
      ['leaveConsortium.governance', 'setMemberRoles.ownAdmin', 'updateSettings.escrow', 'setMemberRoles.escrow'],
      'keeps the consortium governable: an admin and the escrow regulator stay',
      async () => {
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
      },
    )
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
    refuses(['grantAccess.input'], 'refuses a member that left', async () => {
      await w.consumer2.client.members.leave()
      expect((await w.provider.client.members.list()).find(m => m.id === w.consumer2.id)?.status).toBe('left')
      const { id } = await register()
      // Issue 9: the client's courtesy check is the rule's own check, so both refuse with INVALID_INPUT.
      await rejectsWith(w.provider.client.grants.grant(id, w.consumer2.id), 'INVALID_INPUT')
      await rejectsWith(rawGrant(w.provider, id, w.consumer2.id), 'INVALID_INPUT')
    })
    refuses(
      ['joinConsortium.input'],
      'refuses settings after the bootstrap and a small-order envelope key',
      async () => {
        const s = await w.stranger()
        const join: WriteArgs['joinConsortium'] = {
          name: 'Late',
          roles: ['consumer'],
          envelopeKey: s.keys.envelope.publicKey,
          settings: null,
        }
        const before = await eventCount(s.ledger)
        const settings = { admission: 'open' as const, regulatorEscrow: null, periodSeconds: 86400 }
        await rejectsWith(s.ledger.submit('joinConsortium', { ...join, settings }), 'INVALID_INPUT')
        await rejectsWith(
          s.ledger.submit('joinConsortium', { ...join, envelopeKey: new Uint8Array(32) }),
          'INVALID_INPUT',
        )
        expect(await eventCount(s.ledger)).toBe(before)
        expect(await s.client.members.me()).toBeNull()
      },
    )
    refuses(['admitMember.member'], 'refuses admitting an active member with CONFLICT', async () => {
      await rejectsWith(w.provider.client.members.admit(w.consumer.id, ['consumer', 'provider']), 'CONFLICT')
      expect((await w.consumer.client.members.me())?.roles).toEqual(['consumer'])
    })
    refuses(
      ['setMemberRoles.notMember'],
      'refuses roles for a non-member or a member that left with NOT_FOUND',
      async () => {
        const s = await w.stranger()
        await rejectsWith(w.provider.client.members.setRoles(s.id, ['consumer']), 'NOT_FOUND')
        await w.consumer2.client.members.leave()
        await rejectsWith(w.provider.client.members.setRoles(w.consumer2.id, ['consumer']), 'NOT_FOUND')
      },
    )
    refuses(
      ['rotateEnvelopeKey.notMember', 'rotateEnvelopeKey.weakKey'],
      'refuses an envelope key from a non-member with ACCESS_DENIED and a small-order one with INVALID_INPUT',
      async () => {
        const s = await w.stranger()
        await rejectsWith(s.client.members.rotateEnvelopeKey(generateMemberKeys()), 'ACCESS_DENIED')
        const weak = hexToBytes(WEAK_ENVELOPE_KEYS[2]!)
        await rejectsWith(w.consumer.ledger.submit('rotateEnvelopeKey', { envelopeKey: weak }), 'INVALID_INPUT')
        expect((await w.consumer.client.members.me())?.envelopeKey).toEqual(w.consumer.keys.envelope.publicKey)
      },
    )
  })
}

/** The members area of the conformance suite alone (bootstrap, admission, roles, settings, envelope keys). */
export const describeMembersConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(members)
