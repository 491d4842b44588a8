import * as r from '../codec/records.js'
import { array, nullable, object } from '../codec/schema.js'
import type { ConsortiumSettings, Member, Role } from '../domain/index.js'
import { ROLES } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { defineRule } from './define.js'
import { keys, type State } from './state.js'

/** Defaults applied when the bootstrapping member gives no settings. */
export const DEFAULT_SETTINGS: ConsortiumSettings = {
  admission: 'open',
  regulatorEscrow: null,
  periodSeconds: 30 * 86400,
}

const none = nullable(object({}))

/** Sorted, de-duplicated roles: the one canonical form stored and compared. */
export const normalizeRoles = (roles: Role[]): Role[] => ROLES.filter(role => roles.includes(role))

async function requireAdmin(state: State): Promise<Member> {
  const me = await state.activeCaller()
  if (!me.roles.includes('admin'))
    throw new DatapactError('ACCESS_DENIED', 'only a consortium admin may do this', { details: { member: me.id } })
  return me
}

async function checkSettings(state: State, settings: ConsortiumSettings): Promise<void> {
  if (settings.regulatorEscrow === null) return
  const reg = await state.member(settings.regulatorEscrow)
  if (reg?.status !== 'active' || !reg.roles.includes('regulator'))
    throw new DatapactError('INVALID_INPUT', 'the escrow regulator must be an active member with the regulator role', {
      details: { argument: 'settings.regulatorEscrow', member: settings.regulatorEscrow },
    })
}

/**
 * Joins the consortium as the caller. The first member bootstraps it: it becomes admin and its settings (or the
 * defaults) take effect. Later members join with the roles they ask for (admission `open`, never admin) or with the
 * roles an admin admitted them with (admission `admin`).
 */
export const joinConsortium = defineRule(
  object({ name: r.memberName, roles: r.roles, envelopeKey: r.envelopeKey, settings: nullable(r.settings) }),
  r.member,
  async (state, args) => {
    const id = state.port.caller()
    const existing = await state.member(id)
    if (existing?.status === 'active')
      throw new DatapactError('CONFLICT', `${id} is already a member`, { details: { member: id } })
    const settings = await state.settings()
    let roles: Role[]
    if (!settings) {
      const genesis = state.port.genesisAdmin?.() ?? null
      if (genesis !== null && id !== genesis)
        throw new DatapactError(
          'ACCESS_DENIED',
          'only the genesis admin fixed at deployment may bootstrap the consortium',
          {
            details: { member: id },
          },
        )
      const initial = args.settings ?? DEFAULT_SETTINGS
      if (initial.regulatorEscrow !== null)
        throw new DatapactError('INVALID_INPUT', 'the regulator escrow can be set only once the regulator has joined', {
          details: { argument: 'settings.regulatorEscrow' },
        })
      await state.write(r.settings, keys.settings(), initial)
      state.port.emit({ type: 'ConsortiumBootstrapped', admin: id, settings: initial })
      roles = normalizeRoles([...args.roles, 'admin'])
    } else {
      if (args.settings !== null)
        throw new DatapactError(
          'INVALID_INPUT',
          'settings are given only by the member that bootstraps the consortium',
          {
            details: { argument: 'settings' },
          },
        )
      if (settings.admission === 'admin') {
        const admitted = await state.read(r.roles, keys.admission(id))
        if (!admitted)
          throw new DatapactError(
            'ACCESS_DENIED',
            'this consortium admits members by admin: ask an admin to admit you',
            {
              details: { member: id },
            },
          )
        roles = admitted
        await state.port.delete(keys.admission(id))
      } else {
        if (args.roles.includes('admin'))
          throw new DatapactError('ACCESS_DENIED', 'the admin role is given only by an admin', {
            details: { member: id },
          })
        roles = normalizeRoles(args.roles)
      }
    }
    const member: Member = {
      id,
      name: args.name,
      roles,
      envelopeKey: args.envelopeKey,
      status: 'active',
      joinedAt: state.port.now(),
    }
    await state.write(r.member, keys.member(id), member)
    state.port.emit({ type: 'MemberJoined', member: id, name: member.name, roles, envelopeKey: member.envelopeKey })
    return member
  },
)

/** An admin admits a future member with the roles it will have when it joins. */
export const admitMember = defineRule(object({ member: r.memberId, roles: r.roles }), none, async (state, args) => {
  await requireAdmin(state)
  const existing = await state.member(args.member)
  if (existing?.status === 'active')
    throw new DatapactError('CONFLICT', `${args.member} is already a member`, { details: { member: args.member } })
  const roles = normalizeRoles(args.roles)
  await state.write(r.roles, keys.admission(args.member), roles)
  state.port.emit({ type: 'MemberAdmitted', member: args.member, roles })
  return null
})

/** An admin changes a member's roles. An admin cannot remove its own admin role (the consortium keeps one). */
export const setMemberRoles = defineRule(
  object({ member: r.memberId, roles: r.roles }),
  r.member,
  async (state, args) => {
    const admin = await requireAdmin(state)
    const target = await state.member(args.member)
    if (target?.status !== 'active')
      throw new DatapactError('NOT_FOUND', `${args.member} is not an active member`, {
        details: { member: args.member },
      })
    const roles = normalizeRoles(args.roles)
    if (target.id === admin.id && !roles.includes('admin'))
      throw new DatapactError('INVALID_INPUT', 'an admin cannot drop its own admin role', {
        details: { argument: 'roles', member: admin.id },
      })
    const settings = await state.settings()
    if (settings?.regulatorEscrow === target.id && !roles.includes('regulator'))
      throw new DatapactError('CONFLICT', 'this member is the escrow regulator: change the settings first', {
        details: { member: target.id },
      })
    const updated = { ...target, roles }
    await state.write(r.member, keys.member(target.id), updated)
    state.port.emit({ type: 'MemberRolesChanged', member: target.id, roles })
    return updated
  },
)

/** A member replaces its own envelope key. Versions published later are wrapped to the new key. */
export const rotateEnvelopeKey = defineRule(object({ envelopeKey: r.envelopeKey }), r.member, async (state, args) => {
  const me = await state.activeCaller()
  const updated = { ...me, envelopeKey: args.envelopeKey }
  await state.write(r.member, keys.member(me.id), updated)
  state.port.emit({ type: 'EnvelopeKeyRotated', member: me.id, envelopeKey: args.envelopeKey })
  return updated
})

/** A member leaves. It keeps nothing it did not already fetch; its records stay in the history. */
export const leaveConsortium = defineRule(object({}), r.member, async state => {
  const me = await state.activeCaller()
  const settings = await state.settings()
  if (settings?.regulatorEscrow === me.id)
    throw new DatapactError('CONFLICT', 'the escrow regulator cannot leave: an admin must change the settings first', {
      details: { member: me.id },
    })
  if (me.roles.includes('admin')) {
    const admins = (await state.list(r.member, keys.members())).filter(
      m => m.status === 'active' && m.roles.includes('admin'),
    )
    if (admins.length === 1)
      throw new DatapactError('CONFLICT', 'the last admin cannot leave', { details: { member: me.id } })
  }
  const updated: Member = { ...me, status: 'left' }
  await state.write(r.member, keys.member(me.id), updated)
  state.port.emit({ type: 'MemberLeft', member: me.id })
  return updated
})

/** An admin changes the consortium settings. */
export const updateSettings = defineRule(object({ settings: r.settings }), r.settings, async (state, args) => {
  await requireAdmin(state)
  await checkSettings(state, args.settings)
  await state.write(r.settings, keys.settings(), args.settings)
  state.port.emit({ type: 'SettingsUpdated', settings: args.settings })
  return args.settings
})

export const memberList = array(r.member, 100_000)
