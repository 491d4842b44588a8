import * as r from '../codec/records.js'
import { array, nullable, object } from '../codec/schema.js'
import type { Grant } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import {
  checkWrapSet,
  covers,
  entitledMembers,
  inForce,
  requireActive,
  requireInForce,
  requireOwner,
} from './access.js'
import { pinTerms, samePinnedTerms } from './checks.js'
import { defineRule } from './define.js'
import { keys } from './state.js'

const versionWraps = array(r.versionWrap, r.LIMITS.wraps)

/**
 * The owner grants a consumer access under terms. At most one grant per (dataset, grantee) is in force: granting
 * again while one is in force is a CONFLICT; after a revocation or expiry a new grant (next sequence number)
 * replaces the old one. The data key of every existing version the scope covers must be wrapped for the grantee.
 */
export const grantAccess = defineRule(
  object({
    datasetId: r.datasetId,
    grantee: r.memberId,
    scope: r.scope,
    expiresAt: nullable(r.time),
    maxAccesses: nullable(r.versionNumber),
    priceOverride: nullable(r.money),
    wraps: versionWraps,
  }),
  r.grant,
  async (state, args) => {
    const { ds } = await requireOwner(state, args.datasetId)
    requireActive(ds)
    const now = state.port.now()
    if ((args.scope.kind === 'all') !== (args.scope.version === 0))
      throw new DatapactError('INVALID_INPUT', 'scope "all" takes version 0; "from" and "exact" take a version >= 1', {
        details: { argument: 'scope.version' },
      })
    if (args.grantee === ds.owner)
      throw new DatapactError('INVALID_INPUT', 'the owner needs no grant on its own dataset', {
        details: { argument: 'grantee' },
      })
    const grantee = await state.member(args.grantee)
    if (grantee?.status !== 'active' || !grantee.roles.includes('consumer'))
      throw new DatapactError('INVALID_INPUT', 'the grantee must be an active member with the consumer role', {
        details: { argument: 'grantee', grantee: args.grantee },
      })
    if (args.expiresAt !== null && args.expiresAt <= now)
      throw new DatapactError('INVALID_INPUT', 'the expiry must be in the future (ledger time)', {
        details: { argument: 'expiresAt', now },
      })
    const existing = await state.grant(ds.id, args.grantee)
    if (existing && inForce(existing, now))
      throw new DatapactError(
        'CONFLICT',
        `${args.grantee} already holds a grant in force on ${ds.id}: revoke it first`,
        {
          details: { datasetId: ds.id, grantee: args.grantee, seq: existing.seq },
        },
      )
    const coveredVersions: number[] = []
    for (let n = 1; n <= ds.latestVersion; n++) if (covers(args.scope, n)) coveredVersions.push(n)
    checkWrapSet(
      args.wraps.map(w => String(w.version)),
      coveredVersions.map(String),
      `grant to ${args.grantee}`,
    )
    const grant: Grant = {
      datasetId: ds.id,
      grantee: args.grantee,
      seq: ds.grantCount + 1,
      scope: args.scope,
      expiresAt: args.expiresAt,
      maxAccesses: args.maxAccesses,
      priceOverride: args.priceOverride,
      terms: pinTerms(ds.terms),
      used: 0,
      state: 'active',
      grantedAt: now,
      revokedAt: null,
      lastUsedAt: null,
    }
    await state.write(r.grant, keys.grant(ds.id, grant.grantee), grant)
    await state.port.put(keys.active(ds.id, grant.grantee), new Uint8Array([1]))
    for (const w of args.wraps) await state.port.put(keys.wrap(ds.id, w.version, grant.grantee), w.wrapped)
    await state.write(r.dataset, keys.dataset(ds.id), { ...ds, grantCount: grant.seq })
    state.port.emit({ type: 'AccessGranted', grant, wrappedVersions: coveredVersions })
    return grant
  },
)

/**
 * The owner adds (or replaces, e.g. after a key rotation) key wraps of existing versions for a member entitled to
 * them: the owner, the escrow regulator, or a grantee whose grant is in force and covers the version.
 */
export const addKeyWraps = defineRule(
  object({ datasetId: r.datasetId, member: r.memberId, wraps: array(r.versionWrap, r.LIMITS.wraps, 1) }),
  object({}),
  async (state, args) => {
    const { ds } = await requireOwner(state, args.datasetId)
    const settings = await state.settings()
    const seen = new Set<number>()
    for (const w of args.wraps) {
      if (seen.has(w.version))
        throw new DatapactError('INVALID_INPUT', `two wraps for version ${w.version}`, {
          details: { argument: 'wraps' },
        })
      seen.add(w.version)
      await state.requireVersion(ds.id, w.version)
      const entitled = await entitledMembers(state, ds, w.version, settings)
      checkWrapSet([args.member], entitled.includes(args.member) ? [args.member] : [], `version ${w.version}`)
    }
    for (const w of args.wraps) await state.port.put(keys.wrap(ds.id, w.version, args.member), w.wrapped)
    const versions = [...seen].sort((a, b) => a - b)
    state.port.emit({ type: 'KeysWrapped', datasetId: ds.id, member: args.member, versions })
    return {}
  },
)

/**
 * The owner revokes a grant. Forward-only: the grantee keeps the keys it already received and gets no key of any
 * later version; usage under the grant is refused from now on.
 */
export const revokeAccess = defineRule(
  object({ datasetId: r.datasetId, grantee: r.memberId }),
  r.grant,
  async (state, args) => {
    const { ds } = await requireOwner(state, args.datasetId)
    const grant = await state.requireGrant(ds.id, args.grantee)
    if (grant.state === 'revoked')
      throw new DatapactError('CONFLICT', `the grant to ${args.grantee} on ${ds.id} is already revoked`, {
        details: { datasetId: ds.id, grantee: args.grantee, seq: grant.seq },
      })
    const revoked: Grant = { ...grant, state: 'revoked', revokedAt: state.port.now() }
    await state.write(r.grant, keys.grant(ds.id, args.grantee), revoked)
    await state.port.delete(keys.active(ds.id, args.grantee))
    state.port.emit({ type: 'AccessRevoked', datasetId: ds.id, grantee: args.grantee, seq: grant.seq })
    return revoked
  },
)

/**
 * The grantee (the caller) accepts the dataset's current terms for its grant in force, naming the terms it accepts:
 * a grant keeps the price it was made under until then. Refused with CONFLICT when the dataset's terms are not the
 * ones named (they changed again), with NOT_FOUND without a grant, GRANT_REVOKED / GRANT_EXPIRED when it is not in
 * force. Accepting the terms already pinned changes nothing and emits nothing.
 */
export const acceptTerms = defineRule(
  object({ datasetId: r.datasetId, terms: r.pinnedTerms }),
  r.grant,
  async (state, args) => {
    const me = await state.activeCaller()
    const ds = await state.requireDataset(args.datasetId)
    const grant = await state.requireGrant(ds.id, me.id)
    requireInForce(grant, state.port.now())
    if (!samePinnedTerms(pinTerms(ds.terms), args.terms))
      throw new DatapactError('CONFLICT', `the terms of dataset ${ds.id} are not the ones accepted: read them again`, {
        details: { datasetId: ds.id },
      })
    if (samePinnedTerms(grant.terms, args.terms)) return grant
    const accepted: Grant = { ...grant, terms: args.terms }
    await state.write(r.grant, keys.grant(ds.id, me.id), accepted)
    state.port.emit({ type: 'TermsAccepted', datasetId: ds.id, grantee: me.id, seq: grant.seq, terms: args.terms })
    return accepted
  },
)
