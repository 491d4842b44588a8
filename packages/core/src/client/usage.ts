import * as r from '../codec/records.js'
import { array, object } from '../codec/schema.js'
import type { Dataset, Grant, UsageRecord, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { readOptions } from '../internal/assert.js'
import { priceOf } from '../rules/index.js'
import { type ClientContext, requireDataset, requireVersion } from './context.js'
import { readAllEvents } from './events.js'
import { createNonceSequence } from './nonces.js'

/** One access to meter: a version of a dataset this member holds a grant on. */
export interface Access {
  datasetId: string
  version: number
}

/** Proof that an access was metered: the ledger transaction and the record it committed. */
export interface Receipt {
  txId: string
  record: UsageRecord
}

export interface UsageFilter {
  datasetId?: string
  provider?: string
  consumer?: string
  period?: number
}

const accessList = array(object({ datasetId: r.datasetId, version: r.versionNumber }), r.LIMITS.usageBatch, 1)

/** Usage: meter accesses on the ledger and read the records back. */
export class Usage {
  readonly #ctx: ClientContext
  readonly #nonce = createNonceSequence()

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Records accesses as this member (the consumer) in one transaction: all or nothing. Amounts come from the
   * terms (or the grant's price) and bytes from each version's size; the ledger checks both.
   *
   * @param accesses - 1 to 1000 accesses.
   * @returns One receipt per access, in order, sharing the transaction id.
   * @throws {@link DatapactError} ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED, QUOTA_EXCEEDED, NOT_FOUND,
   *   AMOUNT_MISMATCH (terms changed meanwhile), INVALID_INPUT.
   */
  async record(accesses: Access[]): Promise<Receipt[]> {
    const list = accessList.check(accesses, 'accesses')
    const ctx = this.#ctx
    const datasets = new Map<string, Promise<Dataset>>()
    const grants = new Map<string, Promise<Grant | null>>()
    const versions = new Map<string, Promise<Version>>()
    const claims = await Promise.all(
      list.map(async a => {
        const ds = cached(datasets, a.datasetId, () => requireDataset(ctx, a.datasetId))
        const grant = cached(grants, a.datasetId, () =>
          ctx.ledger.query('getGrant', { datasetId: a.datasetId, grantee: ctx.me }),
        )
        const v = cached(versions, `${a.datasetId}/${a.version}`, () => requireVersion(ctx, a.datasetId, a.version))
        const [d, g, version] = await Promise.all([ds, grant, v])
        if (!g)
          throw new DatapactError('ACCESS_DENIED', `${ctx.me} holds no grant on dataset ${a.datasetId}`, {
            details: { datasetId: a.datasetId },
          })
        return {
          datasetId: a.datasetId,
          version: a.version,
          bytes: version.size,
          amount: priceOf(d.terms, g, version.size),
          nonce: this.#nonce(),
        }
      }),
    )
    const { txId, events } = await ctx.ledger.submit('recordUsage', { records: claims })
    return events.flatMap(e => (e.type === 'UsageRecorded' ? [{ txId, record: e.record }] : []))
  }

  /** Usage records on the ledger, filtered; replayed from the ledger's events on this member's node. */
  async list(given?: UsageFilter): Promise<UsageRecord[]> {
    const filter = readOptions(given, 'filter', ['datasetId', 'provider', 'consumer', 'period']) as UsageFilter
    if (filter.datasetId !== undefined) r.datasetId.check(filter.datasetId, 'filter.datasetId')
    if (filter.provider !== undefined) r.memberId.check(filter.provider, 'filter.provider')
    if (filter.consumer !== undefined) r.memberId.check(filter.consumer, 'filter.consumer')
    if (filter.period !== undefined) r.time.check(filter.period, 'filter.period')
    const out: UsageRecord[] = []
    for (const { event: e } of await readAllEvents(this.#ctx.ledger)) {
      if (e.type !== 'UsageRecorded') continue
      const rec = e.record
      if (filter.datasetId !== undefined && rec.datasetId !== filter.datasetId) continue
      if (filter.provider !== undefined && rec.provider !== filter.provider) continue
      if (filter.consumer !== undefined && rec.consumer !== filter.consumer) continue
      if (filter.period !== undefined && rec.period !== filter.period) continue
      out.push(rec)
    }
    return out
  }
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = map.get(key)
  if (!p) {
    p = load()
    map.set(key, p)
  }
  return p
}
