import * as r from '../codec/records.js'
import { array, type Schema } from '../codec/schema.js'
import { sha256 } from '../crypto/index.js'
import type { Dataset, DatasetId, Digest, Grant, MemberId, Nonce, UsageRecord, Version } from '../domain/index.js'
import { DatapactError, isDatapactError, LedgerError } from '../errors.js'
import { describe, invalidArgument, readOptions } from '../internal/assert.js'
import { checkUsageFields } from '../ledgerIndex/checks.js'
import { priceOf } from '../rules/index.js'
import { type ClientContext, requireDataset, requireVersion } from './context.js'
import { createNonceSequence } from './nonces.js'
import { checkPage, type Page, type PageOptions } from './pages.js'

/** One access to meter: a version of a dataset this member holds a grant on. */
export interface Access {
  datasetId: DatasetId
  version: number
  /**
   * The access's nonce (32 lowercase hex characters). Choose it before the first attempt and pass the same one
   * again to retry after an unknown outcome: an access already recorded under it is reported, not recorded twice.
   * Default: a fresh nonce.
   */
  nonce?: Nonce
  /** Refuse (AMOUNT_MISMATCH, nothing submitted) if the ledger would charge more than this for the access. */
  maxAmount?: bigint
  /** SHA-256 of the key wrap this access was served; default: of this member's wrap on the ledger (or zeros). */
  wrapHash?: Digest
}

/** Proof that an access was metered: the ledger transaction and the record it committed. */
export interface Receipt {
  /** The transaction that recorded it; null when a retry found the record already on the ledger by its nonce. */
  txId: string | null
  record: UsageRecord
}

/** Filters of `usage.list()`; all given filters must match. */
export interface UsageFilter {
  /** Only records of this dataset. */
  datasetId?: DatasetId
  /** Only records billed by this provider. */
  provider?: MemberId
  /** Only records of this consumer. */
  consumer?: MemberId
  /** Only records in this billing period. */
  period?: number
}

/** One access as a caller gives it: read once, own fields only, each checked. */
const accessItem: Schema<Access> = {
  check(v, path) {
    const a = readOptions(v, path, ['datasetId', 'version', 'nonce', 'maxAmount', 'wrapHash'] as const)
    return {
      datasetId: r.datasetId.check(a.datasetId, `${path}.datasetId`),
      version: r.versionNumber.check(a.version, `${path}.version`),
      ...(a.nonce === undefined ? {} : { nonce: r.nonce.check(a.nonce, `${path}.nonce`) }),
      ...(a.maxAmount === undefined ? {} : { maxAmount: r.money.check(a.maxAmount, `${path}.maxAmount`) }),
      ...(a.wrapHash === undefined ? {} : { wrapHash: r.digest.check(a.wrapHash, `${path}.wrapHash`) }),
    }
  },
  toWire: v => v,
  fromWire(w, path) {
    return this.check(w, path)
  },
}
const accessList = array(accessItem, r.LIMITS.usageBatch, 1)

/** Usage: meter accesses on the ledger and read the records back. */
export class Usage {
  readonly #ctx: ClientContext
  readonly #nonce = createNonceSequence()

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Records accesses as this member (the consumer) in one transaction: all or nothing. Amounts come from the terms
   * pinned in the grant (or its price override) and bytes from each version's size; the ledger checks both.
   *
   * Exactly once: every access carries a nonce chosen before the first attempt (given, or drawn here). When a call
   * fails with an unknown outcome (LEDGER_UNAVAILABLE after the transaction was sent), the error's
   * `details.nonces` lists them: call again with the same nonces, and if the first attempt did commit, the records
   * already on the ledger are returned (with `txId: null`) instead of being recorded again.
   *
   * @param accesses - 1 to 1000 accesses.
   * @returns One receipt per access, in order, sharing the transaction id.
   * @throws {@link DatapactError} ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED, QUOTA_EXCEEDED, NOT_FOUND,
   *   AMOUNT_MISMATCH (over `maxAmount`, or the grant's terms changed meanwhile), NONCE_REUSED (a nonce already
   *   used for another access), CONFLICT (ledger time before the grant's last usage), INVALID_INPUT,
   *   LEDGER_UNAVAILABLE (with `details.nonces` for the retry).
   */
  async record(accesses: Access[]): Promise<Receipt[]> {
    const list = accessList.check(accesses, 'accesses')
    const ctx = this.#ctx
    const datasets = new Map<string, Promise<Dataset>>()
    const grants = new Map<string, Promise<Grant | null>>()
    const versions = new Map<string, Promise<Version>>()
    const checked = list.map(a => ({ ...a, nonce: a.nonce ?? this.#nonce() }))
    const nonces = checked.map(a => a.nonce)
    if (new Set(nonces).size !== nonces.length) throw invalidArgument('accesses', 'distinct nonces', 'a repeated nonce')
    const claims = await Promise.all(
      checked.map(async (a, i) => {
        const ds = cached(datasets, a.datasetId, () => requireDataset(ctx, a.datasetId))
        const grant = cached(grants, a.datasetId, () =>
          ctx.ledger.query('getGrant', { datasetId: a.datasetId, grantee: ctx.me }),
        )
        const v = cached(versions, `${a.datasetId}/${a.version}`, () => requireVersion(ctx, a.datasetId, a.version))
        const [, g, version] = await Promise.all([ds, grant, v])
        if (!g)
          throw new DatapactError('ACCESS_DENIED', `${ctx.me} holds no grant on dataset ${a.datasetId}`, {
            details: { datasetId: a.datasetId },
          })
        const amount = priceOf(g, version.size)
        if (a.maxAmount !== undefined && amount > a.maxAmount)
          throw new DatapactError(
            'AMOUNT_MISMATCH',
            `an access of version ${a.version} of ${a.datasetId} costs ${amount}, more than the ${a.maxAmount} allowed`,
            {
              details: {
                argument: `accesses[${i}].maxAmount`,
                expected: a.maxAmount.toString(),
                got: amount.toString(),
              },
            },
          )
        return {
          datasetId: a.datasetId,
          version: a.version,
          bytes: version.size,
          amount,
          nonce: a.nonce,
          wrapHash: a.wrapHash ?? (await ownWrapHash(ctx, a.datasetId, a.version)),
        }
      }),
    )
    try {
      const { txId, events } = await ctx.ledger.submit('recordUsage', { records: claims })
      return events.flatMap(e => (e.type === 'UsageRecorded' ? [{ txId, record: e.record }] : []))
    } catch (e) {
      // A batch is all or nothing: a reused nonce on a retry means the whole batch was recorded before.
      if (isDatapactError(e, 'NONCE_REUSED')) {
        const found = await this.#recorded(claims)
        if (found) return found
      }
      if (e instanceof LedgerError)
        throw new LedgerError(e.code, e.message, {
          ledger: e.ledger,
          ...(e.transactionId === undefined ? {} : { transactionId: e.transactionId }),
          details: { ...e.details, nonces: nonces.join(',') },
          cause: e,
        })
      if (isDatapactError(e))
        throw new DatapactError(e.code, e.message, { details: { ...e.details, nonces: nonces.join(',') }, cause: e })
      throw e
    }
  }

  /** The records already on the ledger for every claim's nonce, when they are exactly these accesses. */
  async #recorded(claims: Array<{ datasetId: DatasetId; version: number; nonce: Nonce }>): Promise<Receipt[] | null> {
    const ctx = this.#ctx
    const records = await Promise.all(
      claims.map(c => ctx.ledger.query('getUsage', { consumer: ctx.me, nonce: c.nonce })),
    )
    const out: Receipt[] = []
    for (const [i, rec] of records.entries()) {
      const c = claims[i]!
      if (!rec || rec.datasetId !== c.datasetId || rec.version !== c.version) return null
      out.push({ txId: null, record: rec })
    }
    return out
  }

  /**
   * Usage records on the ledger, filtered, in ledger order; read from the member-side index (caught up with this
   * member's node first). For long histories, read them page by page with {@link Usage.listPage}.
   *
   * @param given - Filters: dataset, provider, consumer, period.
   * @returns The records, in ledger order.
   * @throws {@link DatapactError} INVALID_INPUT (bad filter), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async list(given?: UsageFilter): Promise<UsageRecord[]> {
    const filter = checkUsageFilter(readOptions(given, 'filter', USAGE_FILTER_FIELDS), 'filter')
    await this.#ctx.index.sync()
    return (await this.#ctx.index.store.usage(filter)).map(x => x.record)
  }

  /**
   * One page of the usage records on the ledger, filtered, in ledger order.
   *
   * @param given - Filters as {@link Usage.list}, plus `cursor` (from the previous page) and `limit` (1..1000,
   *   default 100).
   * @returns The page's records and the cursor of the next page (null on the last one).
   * @throws {@link DatapactError} INVALID_INPUT (bad filter, a cursor that is not one this method returned, a limit
   *   outside 1..1000), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   * @example
   * ```ts
   * let page = await bob.usage.listPage({ provider: alice.memberId, limit: 500 })
   * while (page.cursor) page = await bob.usage.listPage({ provider: alice.memberId, cursor: page.cursor })
   * ```
   */
  async listPage(given?: UsageFilter & PageOptions): Promise<Page<UsageRecord>> {
    const o = readOptions(given, 'filter', [...USAGE_FILTER_FIELDS, 'cursor', 'limit'])
    const filter = checkUsageFilter(o, 'filter')
    const page = checkPage(o.cursor, o.limit, 'filter')
    let afterSeq: number | undefined
    if (page.cursor !== undefined) {
      if (!/^u(0|[1-9][0-9]{0,15})$/.test(page.cursor) || !Number.isSafeInteger(Number(page.cursor.slice(1))))
        throw invalidArgument('filter.cursor', 'a cursor returned by usage.listPage', describe(page.cursor))
      afterSeq = Number(page.cursor.slice(1))
    }
    await this.#ctx.index.sync()
    const found = await this.#ctx.index.store.usage({
      ...filter,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      limit: page.limit + 1,
    })
    const items = found.slice(0, page.limit)
    return {
      items: items.map(x => x.record),
      cursor: found.length > page.limit ? `u${items.at(-1)!.seq}` : null,
    }
  }
}

const USAGE_FILTER_FIELDS = ['datasetId', 'provider', 'consumer', 'period'] as const

function checkUsageFilter(
  f: Partial<Record<(typeof USAGE_FILTER_FIELDS)[number], unknown>>,
  path: string,
): UsageFilter {
  // Only the filter's own fields: a page's cursor and limit are not part of it.
  const { datasetId, provider, consumer, period } = f
  return checkUsageFields({ datasetId, provider, consumer, period }, path) as UsageFilter
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = map.get(key)
  if (!p) {
    p = load()
    map.set(key, p)
  }
  return p
}

/** SHA-256 of this member's key wrap of a version (zeros when it has none). */
async function ownWrapHash(ctx: ClientContext, datasetId: DatasetId, version: number): Promise<Digest> {
  const wrapped = await ctx.ledger.query('getKeyWrap', { datasetId, number: version, member: ctx.me })
  return (wrapped ? sha256(wrapped) : new Uint8Array(32)) as Digest
}
