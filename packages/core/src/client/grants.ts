import * as r from '../codec/records.js'
import { array } from '../codec/schema.js'
import { sha256, unwrapKey, wrapKeys } from '../crypto/index.js'
import type { DatasetId, Digest, Grant, GrantScope, Member, MemberId } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { describe, invalidArgument, readOptions } from '../internal/assert.js'
import { hexToBytes } from '../internal/bytes.js'
import { readEntities } from '../ledgerIndex/follower.js'
import { covers, granteeRefusal, inForce, inGrantList, requireActive } from '../rules/index.js'
import { type ClientContext, requireDataset } from './context.js'
import { checkPage, type Page, type PageOptions, pageByKey, sortedBy } from './pages.js'

/** Which versions a grant covers: every version, versions from N on, or exactly version N. */
export type ScopeInput = 'all' | { from: number } | { exactly: number }

/** The terms of a grant: scope, expiry, quota and a price override. */
export interface GrantOptions {
  /** Default `all`. */
  scope?: ScopeInput
  /** Ledger time (seconds) after which usage is refused; a Date is accepted. Default: never. */
  expiresAt?: number | Date
  /** Most accesses allowed. Default: unlimited. */
  maxAccesses?: number
  /** Price per access for this grantee, replacing the terms. */
  price?: bigint
}

/** A grant with its effective state at the ledger's current time. */
export interface GrantView extends Grant {
  effectiveState: 'active' | 'revoked' | 'expired'
}

const SCOPE = "'all', { from: n } or { exactly: n }"

function toScope(s: unknown): GrantScope {
  if (s === undefined || s === 'all') return { kind: 'all', version: 0 }
  if (typeof s !== 'object' || s === null) throw invalidArgument('options.scope', SCOPE, describe(s))
  const given = readOptions(s, 'options.scope', ['from', 'exactly'])
  const keys = Object.keys(given)
  if (keys.length !== 1) throw invalidArgument('options.scope', SCOPE, keys.length === 0 ? 'no version' : 'both')
  const scope: GrantScope =
    given.from !== undefined
      ? { kind: 'from', version: given.from as number }
      : { kind: 'exact', version: given.exactly as number }
  r.versionNumber.check(scope.version, `options.scope.${keys[0]}`)
  return scope
}

function toSeconds(t: unknown): unknown {
  if (!(t instanceof Date)) return t
  const ms = t.getTime()
  if (!Number.isFinite(ms)) throw invalidArgument('options.expiresAt', 'a valid Date or ledger seconds', 'Invalid Date')
  return Math.floor(ms / 1000)
}

const granteeList = array(r.memberId, 10_000, 1)

/** Grants: give consumers access under terms, revoke it, list who holds what. */
export class Grants {
  readonly #ctx: ClientContext

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Grants `grantee` access to a dataset this member owns. The key of every existing version the scope covers is
   * unwrapped with the owner's key and wrapped for the grantee; later versions get wrapped at publish.
   *
   * @param datasetId - A dataset this member owns.
   * @param grantee - Member id of a consumer.
   * @param options - Scope, expiry, quota, price override.
   * @returns The committed grant.
   * @throws {@link DatapactError} NOT_FOUND (dataset), INVALID_INPUT (the grantee is not an active consumer, or is
   *   the owner: the same check as the ledger rule), ACCESS_DENIED (not the owner), CONFLICT (a grant
   *   in force exists, or the dataset is retired), INVALID_INPUT, INTEGRITY (the owner's own wrap fails to open).
   * @example
   * ```ts
   * await alice.grants.grant(id, bob.memberId, { scope: 'all', expiresAt: new Date('2027-01-01'), maxAccesses: 10 })
   * ```
   */
  async grant(datasetId: DatasetId, grantee: MemberId, options: GrantOptions = {}): Promise<Grant> {
    r.memberId.check(grantee, 'grantee')
    const [grant] = await this.grantMany(datasetId, [grantee], options)
    return grant!
  }

  /**
   * Grants many consumers access under the same terms: the owner's version keys are unwrapped once and wrapped for
   * each grantee; one grant transaction per grantee, in order. Each grant is atomic; if one is refused, the error
   * names how many were granted before it (`details.granted`) and nothing after it is attempted.
   *
   * @param datasetId - A dataset this member owns.
   * @param grantees - 1 to 10,000 member ids of consumers, without duplicates.
   * @param options - Scope, expiry, quota, price override, shared by all.
   * @returns The committed grants, in the order of `grantees`.
   * @throws {@link DatapactError} as {@link Grants.grant}.
   */
  async grantMany(datasetId: DatasetId, grantees: MemberId[], options?: GrantOptions): Promise<Grant[]> {
    r.datasetId.check(datasetId, 'datasetId')
    const ids = granteeList.check(grantees, 'grantees')
    if (new Set(ids).size !== ids.length) throw invalidArgument('grantees', 'distinct member ids', 'duplicates')
    const o = readOptions(options, 'options', ['scope', 'expiresAt', 'maxAccesses', 'price'])
    const ctx = this.#ctx
    const scope = toScope(o.scope)
    const terms = {
      scope,
      expiresAt: o.expiresAt === undefined ? null : r.time.check(toSeconds(o.expiresAt), 'options.expiresAt'),
      maxAccesses: o.maxAccesses === undefined ? null : r.versionNumber.check(o.maxAccesses, 'options.maxAccesses'),
      priceOverride: o.price === undefined ? null : r.money.check(o.price, 'options.price'),
    }
    const ds = await requireDataset(ctx, datasetId)
    if (ds.owner !== ctx.me)
      throw new DatapactError('ACCESS_DENIED', `only the owner of dataset ${datasetId} may grant access`, {
        details: { datasetId, caller: ctx.me },
      })
    requireActive(ds)
    // The same check as the ledger's rule, so the courtesy refusal has the ledger's code. Grantees before the first
    // refused one are granted (in order, as documented); the refusal then names how many were.
    const found = await Promise.all(ids.map(member => ctx.ledger.query('getMember', { member })))
    const refusals = ids.map((g, i) => granteeRefusal(ds, g, found[i]))
    const firstRefused = refusals.findIndex(e => e !== undefined)
    const members = (firstRefused === -1 ? found : found.slice(0, firstRefused)) as Member[]
    const granted: Grant[] = []
    // Every wrap is made before the first grant is sent: HPKE runs in parallel across grantees, submits in order.
    const wrapsOf: Array<Array<{ version: number; wrapped: Uint8Array }>> = members.map(() => [])
    for (let n = 1; n <= ds.latestVersion; n++) {
      if (!covers(scope, n)) continue
      const dataKey = await unwrapOwnKey(ctx, datasetId, n)
      try {
        const wrapped = await wrapKeys({
          dataKey,
          datasetId: hexToBytes(datasetId),
          version: n,
          recipients: members.map(m => ({ recipientId: m.id, publicKey: m.envelopeKey })),
        })
        wrapped.forEach((w, i) => {
          wrapsOf[i]!.push({ version: n, wrapped: w })
        })
      } finally {
        dataKey.fill(0)
      }
    }
    for (const [i, member] of members.entries()) {
      try {
        const args = { datasetId, grantee: member.id, ...terms, wraps: wrapsOf[i]! }
        const { events } = await ctx.ledger.submit('grantAccess', args)
        const event = events.find(e => e.type === 'AccessGranted')
        granted.push(
          event?.type === 'AccessGranted'
            ? event.grant
            : (await ctx.ledger.query('getGrant', { datasetId, grantee: member.id }))!,
        )
      } catch (cause) {
        if (granted.length === 0 || !(cause instanceof DatapactError)) throw cause
        throw new DatapactError(cause.code, `${granted.length} grants committed, then: ${cause.message}`, {
          details: { ...cause.details, granted: granted.length, grantee: member.id },
          cause,
        })
      }
    }
    if (firstRefused !== -1) {
      const refusal = refusals[firstRefused]!
      if (granted.length === 0) throw refusal
      throw new DatapactError(refusal.code, `${granted.length} grants committed, then: ${refusal.message}`, {
        details: { ...refusal.details, granted: granted.length, grantee: ids[firstRefused] },
        cause: refusal,
      })
    }
    return granted
  }

  /**
   * Revokes a grant. Forward-only: the grantee keeps what it fetched, records no more usage and gets no later key.
   * @throws {@link DatapactError} NOT_FOUND, ACCESS_DENIED, CONFLICT (already revoked).
   */
  async revoke(datasetId: DatasetId, grantee: MemberId): Promise<Grant> {
    r.datasetId.check(datasetId, 'datasetId')
    r.memberId.check(grantee, 'grantee')
    const { events } = await this.#ctx.ledger.submit('revokeAccess', { datasetId, grantee })
    const revoked = events.find(e => e.type === 'AccessRevoked')
    if (!revoked) throw new DatapactError('INTERNAL', 'the ledger committed a revocation without its event')
    return (await this.#ctx.ledger.query('getGrant', { datasetId, grantee }))!
  }

  /**
   * Accepts, as the grantee, the dataset's current terms for this member's grant in force. A grant keeps the price
   * it was made under; new terms reach it only through this call. Pass the terms read from the dataset (for
   * example `(await client.datasets.get(id)).terms`): the ledger refuses if they changed again meanwhile.
   *
   * @param datasetId - A dataset this member holds a grant in force on.
   * @param terms - The terms accepted: price per access, price per byte and currency.
   * @returns The grant with the accepted terms pinned.
   * @throws {@link DatapactError} NOT_FOUND (no grant), GRANT_REVOKED, GRANT_EXPIRED, CONFLICT (the dataset's terms
   *   are not the ones given), INVALID_INPUT.
   */
  async acceptTerms(
    datasetId: DatasetId,
    terms: { pricePerAccess: bigint; pricePerByte: bigint; currency: string },
  ): Promise<Grant> {
    r.datasetId.check(datasetId, 'datasetId')
    // A dataset's whole terms may be passed as read: the licence is not part of the price a grant pins.
    const t = readOptions(terms, 'terms', ['pricePerAccess', 'pricePerByte', 'currency', 'licence'])
    if (terms === undefined) throw invalidArgument('terms', 'the terms accepted', 'undefined')
    const pinned = r.pinnedTerms.check(
      { pricePerAccess: t.pricePerAccess, pricePerByte: t.pricePerByte, currency: t.currency },
      'terms',
    )
    await this.#ctx.ledger.submit('acceptTerms', { datasetId, terms: pinned })
    return (await this.#ctx.ledger.query('getGrant', { datasetId, grantee: this.#ctx.me }))!
  }

  /**
   * The current grant of `grantee` on a dataset (with its effective state), or null.
   *
   * @param datasetId - The dataset.
   * @param grantee - The grantee; default this member.
   * @returns The grant, or null when there is none.
   * @throws {@link DatapactError} INVALID_INPUT (bad id), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async get(datasetId: DatasetId, grantee: MemberId = this.#ctx.me): Promise<GrantView | null> {
    r.datasetId.check(datasetId, 'datasetId')
    r.memberId.check(grantee, 'grantee')
    const [g, now] = await Promise.all([
      this.#ctx.ledger.query('getGrant', { datasetId, grantee }),
      this.#ctx.ledger.query('getLedgerTime', {}),
    ])
    return g && view(g, now)
  }

  /**
   * Grants of a dataset, or held by a grantee, with their effective state.
   *
   * @param filter - Dataset and/or grantee.
   * @returns The grants.
   * @throws {@link DatapactError} INVALID_INPUT (bad filter), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async list(filter?: { datasetId?: DatasetId; grantee?: MemberId }): Promise<GrantView[]> {
    return this.#list(readOptions(filter, 'filter', ['datasetId', 'grantee']))
  }

  async #list(f: { datasetId?: unknown; grantee?: unknown }): Promise<GrantView[]> {
    const datasetId = f.datasetId === undefined ? null : r.datasetId.check(f.datasetId, 'filter.datasetId')
    const grantee = f.grantee === undefined ? null : r.memberId.check(f.grantee, 'filter.grantee')
    // Read from the index, caught up first (the grants of one dataset by their key prefix).
    await this.#ctx.index.sync()
    const [grants, now] = await Promise.all([
      readEntities(this.#ctx.index.store, 'grant', datasetId === null ? '' : `${datasetId}/`),
      this.#ctx.ledger.query('getLedgerTime', {}),
    ])
    return grants.filter(g => inGrantList(g, { datasetId, grantee })).map(g => view(g, now))
  }

  /**
   * One page of the grants of a dataset, or held by a grantee, ordered by dataset id then grantee.
   *
   * @param filter - Dataset and/or grantee, plus `cursor` (from the previous page) and `limit` (1..1000, default
   *   100).
   * @returns The page's grants and the cursor of the next page (null on the last one).
   * @throws {@link DatapactError} INVALID_INPUT (bad filter, a cursor that is not one this method returned, a limit
   *   outside 1..1000), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   * @example
   * ```ts
   * const { items, cursor } = await alice.grants.listPage({ datasetId: id, limit: 100 })
   * ```
   */
  async listPage(filter?: { datasetId?: DatasetId; grantee?: MemberId } & PageOptions): Promise<Page<GrantView>> {
    const f = readOptions(filter, 'filter', ['datasetId', 'grantee', 'cursor', 'limit'])
    const page = checkPage(f.cursor, f.limit, 'filter')
    const key = (g: GrantView) => `${g.datasetId}/${g.grantee}`
    return pageByKey(sortedBy(await this.#list(f), key), key, page, 'filter')
  }
}

const view = (g: Grant, now: number): GrantView => ({
  ...g,
  effectiveState: g.state === 'revoked' ? 'revoked' : inForce(g, now) ? 'active' : 'expired',
})

/**
 * Unwraps this member's wrap of a version's data key. Returns null when the ledger holds no wrap for it.
 * @throws {@link DatapactError} INTEGRITY when the wrap does not open with this member's key and bindings.
 */
/** This member's key wrap of a version, opened: the data key and the SHA-256 of the wrap; null without a wrap. */
export async function ownKeyWrap(
  ctx: ClientContext,
  datasetId: DatasetId,
  n: number,
): Promise<{ key: Uint8Array; hash: Digest } | null> {
  const wrapped = await ctx.ledger.query('getKeyWrap', { datasetId, number: n, member: ctx.me })
  if (!wrapped) return null
  const key = await unwrapKey({
    wrapped,
    recipientSecretKey: ctx.keys.envelope.secretKey,
    datasetId: hexToBytes(datasetId),
    version: n,
    recipientId: ctx.me,
  })
  return { key, hash: sha256(wrapped) as Digest }
}

export async function unwrapOwnKey(ctx: ClientContext, datasetId: DatasetId, n: number): Promise<Uint8Array>
export async function unwrapOwnKey(
  ctx: ClientContext,
  datasetId: DatasetId,
  n: number,
  optional: true,
): Promise<Uint8Array | null>
export async function unwrapOwnKey(ctx: ClientContext, datasetId: DatasetId, n: number, optional = false) {
  const own = await ownKeyWrap(ctx, datasetId, n)
  if (own) return own.key
  if (optional) return null
  throw new DatapactError('NOT_FOUND', `no key of version ${n} of ${datasetId} is wrapped for ${ctx.me}`, {
    details: { datasetId, version: n },
  })
}
