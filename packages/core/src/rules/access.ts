import type { ConsortiumSettings, Dataset, Grant, GrantScope, Member, MemberId } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { keys, type State } from './state.js'

/** Whether a grant's scope covers version `n`. */
export const covers = (scope: GrantScope, n: number): boolean =>
  scope.kind === 'all' || (scope.kind === 'from' ? n >= scope.version : n === scope.version)

/** Whether a grant has expired at ledger time `now` (expiry is exclusive: usage at `expiresAt` is refused). */
export const isExpired = (grant: Grant, now: number): boolean => grant.expiresAt !== null && now >= grant.expiresAt

/** Whether a grant is in force: not revoked and not expired. */
export const inForce = (grant: Grant, now: number): boolean => grant.state === 'active' && !isExpired(grant, now)

/** Whether a grant entitles its grantee to version `n` at ledger time `now`: in force, and its scope covers `n`. */
export const entitles = (grant: Grant, n: number, now: number): boolean => inForce(grant, now) && covers(grant.scope, n)

/** Whether a grant's accesses are all used (a grant without `maxAccesses` never is). */
export const quotaExhausted = (grant: Pick<Grant, 'maxAccesses' | 'used'>): boolean =>
  grant.maxAccesses !== null && grant.used >= grant.maxAccesses

/** Refuses one more access under a grant whose accesses are all used (QUOTA_EXCEEDED). */
export function requireQuota(grant: Grant, where: Record<string, string | number> = {}): void {
  if (quotaExhausted(grant))
    throw new DatapactError('QUOTA_EXCEEDED', `the grant allows ${grant.maxAccesses} accesses and all are used`, {
      details: { ...where, maxAccesses: grant.maxAccesses ?? undefined },
    })
}

/** What {@link keyRecipients} decides from: plain values, however the caller read them. */
export interface KeyRecipientsInput {
  /** The dataset's owner (always a recipient). */
  owner: MemberId
  /** The consortium's escrow regulator, when it requires one (always a recipient). */
  regulatorEscrow: MemberId | null | undefined
  /** Grants on the dataset (any state: only those that entitle count). */
  grants: Iterable<Grant>
  /** The version. */
  version: number
  /** Ledger time. */
  now: number
  /** Whether a member is active (a grantee who left gets no key). */
  isActiveMember: (id: MemberId) => boolean
}

/**
 * The members a version's data key must be wrapped for: the owner, the escrow regulator, and every active grantee
 * whose grant entitles it to the version. Sorted. Pure: the rule, the client (before it wraps) and the audit's replay
 * call this one function, so who gets a key cannot drift between them.
 */
export function keyRecipients(input: KeyRecipientsInput): MemberId[] {
  const out = new Set<MemberId>([input.owner])
  if (input.regulatorEscrow) out.add(input.regulatorEscrow)
  for (const g of input.grants)
    if (entitles(g, input.version, input.now) && input.isActiveMember(g.grantee)) out.add(g.grantee)
  return [...out].sort()
}

/** The dataset, if the caller owns it; ACCESS_DENIED otherwise. */
export async function requireOwner(state: State, datasetId: string): Promise<{ ds: Dataset; me: Member }> {
  const me = await state.activeCaller()
  const ds = await state.requireDataset(datasetId)
  if (ds.owner !== me.id)
    throw new DatapactError('ACCESS_DENIED', `only the owner of dataset ${datasetId} may do this`, {
      details: { datasetId, caller: me.id },
    })
  return { ds, me }
}

/** Refuses a grant that is not in force: GRANT_REVOKED, then GRANT_EXPIRED (expiry by ledger time `now`). */
export function requireInForce(grant: Grant, now: number, where: Record<string, string | number> = {}): void {
  const details = { datasetId: grant.datasetId, ...where }
  if (grant.state === 'revoked')
    throw new DatapactError('GRANT_REVOKED', `the grant on dataset ${grant.datasetId} was revoked`, { details })
  if (isExpired(grant, now))
    throw new DatapactError('GRANT_EXPIRED', `the grant on dataset ${grant.datasetId} expired at ${grant.expiresAt}`, {
      details: { ...details, expiresAt: grant.expiresAt ?? undefined, now },
    })
}

/**
 * Why `grantee` may not receive a grant on `ds`, or undefined when it may: the owner needs none, and a grantee must be
 * an active member with the consumer role (INVALID_INPUT either way). Pure: the rule and the client's courtesy check
 * call this one function, so both refuse with the same code.
 */
export function granteeRefusal(
  ds: Pick<Dataset, 'owner'>,
  granteeId: string,
  grantee: Member | null | undefined,
): DatapactError | undefined {
  if (granteeId === ds.owner)
    return new DatapactError('INVALID_INPUT', 'the owner needs no grant on its own dataset', {
      details: { argument: 'grantee' },
    })
  if (grantee?.status !== 'active' || !grantee.roles.includes('consumer'))
    return new DatapactError('INVALID_INPUT', 'the grantee must be an active member with the consumer role', {
      details: { argument: 'grantee', grantee: granteeId },
    })
  return undefined
}

/**
 * Refuses a change to a retired dataset.
 *
 * @param ds - The dataset.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} CONFLICT when the dataset is retired.
 */
export function requireActive(ds: Dataset): void {
  if (ds.status !== 'active')
    throw new DatapactError('CONFLICT', `dataset ${ds.id} is retired`, { details: { datasetId: ds.id } })
}

/**
 * The members a version's data key must be wrapped for: the owner, the escrow regulator when the consortium
 * requires one, and every active member whose grant is in force and covers the version. Sorted. Reads only the
 * grants that may be in force (the `active/` index), so the work follows the grants in force, not every grant ever
 * made; grants found expired leave the index here, once.
 */
export async function entitledMembers(
  state: State,
  ds: Dataset,
  n: number,
  settings: ConsortiumSettings | undefined,
): Promise<string[]> {
  const now = state.port.now()
  const grants: Grant[] = []
  const active = new Set<string>()
  for (const [key] of await state.port.range(keys.actives(ds.id))) {
    const grantee = key.slice(keys.actives(ds.id).length) as MemberId
    const g = await state.grant(ds.id, grantee)
    if (!g || !inForce(g, now)) {
      await state.port.delete(key)
      continue
    }
    if (!covers(g.scope, n)) continue
    grants.push(g)
    if ((await state.member(g.grantee))?.status === 'active') active.add(g.grantee)
  }
  return keyRecipients({
    owner: ds.owner,
    regulatorEscrow: settings?.regulatorEscrow,
    grants,
    version: n,
    now,
    isActiveMember: id => active.has(id),
  })
}

/** Refuses a wrap set that is not exactly `required`: a missing wrap, an extra one, or a duplicate. */
export function checkWrapSet(given: string[], required: string[], what: string): void {
  const seen = new Set<string>()
  for (const m of given) {
    if (seen.has(m))
      throw new DatapactError('INVALID_INPUT', `${what}: two key wraps for ${m}`, {
        details: { argument: 'wraps', member: m },
      })
    seen.add(m)
    if (!required.includes(m))
      throw new DatapactError('INVALID_INPUT', `${what}: ${m} is not entitled to this key`, {
        details: { argument: 'wraps', member: m },
      })
  }
  for (const m of required)
    if (!seen.has(m))
      throw new DatapactError('INVALID_INPUT', `${what}: the key wrap for ${m} is missing`, {
        details: { argument: 'wraps', member: m },
      })
}
