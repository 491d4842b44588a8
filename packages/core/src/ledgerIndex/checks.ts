import { decode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import { array, bytes, int, literal, object, string } from '../codec/schema.js'
import type { LedgerEventRecord, MemberId } from '../domain/index.js'
import { assertOneOf, describe, invalidArgument, readParams } from '../internal/assert.js'
import { grantKey } from './entities.js'
import type { IndexedEntity, IndexedEntityKind, UsageQuery } from './store.js'

/**
 * The argument checks every {@link IndexStore} runs before it touches its storage, so that each store (memory,
 * SQLite, PostgreSQL, or one of yours) refuses the same malformed calls with the same INVALID_INPUT and stores
 * nothing. Each returns the checked arguments as fresh values: a caller who changes its own objects afterwards
 * cannot reach what the store keeps.
 */

const KINDS: readonly IndexedEntityKind[] = ['dataset', 'grant']
const { cursor } = r
const MAX_PAGE = 100_000
/** The longest key: a grant's `datasetId/grantee`. */
const MAX_KEY = 64 + 1 + r.LIMITS.memberId
// Genuine, dense arrays only (no holes, no extra properties, no Proxy that throws), as the codec's arrays.
const page = array(r.eventRecord, MAX_PAGE)
const prefixSchema = string(MAX_KEY)
const afterSeq = int(-1, Number.MAX_SAFE_INTEGER)
const count = int(0, Number.MAX_SAFE_INTEGER)
const entityList = array(
  object({ kind: literal(...KINDS), key: string(MAX_KEY, 1), value: bytes({ min: 1, max: 1 << 20 }) }),
  MAX_PAGE,
)

/** The arguments of {@link IndexStore.append}, checked. */
export interface CheckedAppend {
  from: string | null
  events: LedgerEventRecord[]
  to: string
  entities: IndexedEntity[]
}

/**
 * Checks the arguments of {@link IndexStore.append}: `from` a cursor or null, `events` an array of at most 100 000
 * ledger event records (every field as the ledger emits it), `to` a cursor, `entities` an array of datasets and grants
 * whose keys are the ones their canonical bytes name.
 *
 * @returns Fresh copies of the arguments.
 * @throws {@link DatapactError} INVALID_INPUT naming the first argument that is not so.
 */
export function checkIndexAppend(from: unknown, events: unknown, to: unknown, entities: unknown = []): CheckedAppend {
  const checkedFrom = from === null ? null : cursor.check(from, 'from')
  const checkedEvents = page.check(events, 'events')
  const checkedTo = cursor.check(to, 'to')
  const checkedEntities = entityList.check(entities, 'entities')
  checkedEntities.forEach((x, i) => {
    // The key is the one the bytes name, so a store can never hold a dataset or grant under another's key.
    const path = `entities[${i}]`
    let key: string
    if (x.kind === 'dataset') key = decode(r.dataset, x.value, `${path}.value`).id
    else {
      const g = decode(r.grant, x.value, `${path}.value`)
      key = grantKey(g.datasetId, g.grantee)
    }
    if (x.key !== key) throw invalidArgument(`${path}.key`, 'the key its value names', describe(x.key))
  })
  return { from: checkedFrom, events: checkedEvents, to: checkedTo, entities: checkedEntities }
}

const USAGE_QUERY_FIELDS = [
  'provider',
  'consumer',
  'datasetId',
  'period',
  'currency',
  'afterSeq',
  'offset',
  'limit',
] as const

/**
 * Checks a {@link UsageQuery}: only its known fields, each of its type (ids as the ledger writes them, integers
 * non-negative; `afterSeq` may be -1).
 *
 * @returns A fresh copy of the query.
 * @throws {@link DatapactError} INVALID_INPUT naming the first field that is not so.
 */
export function checkUsageQuery(query: unknown): UsageQuery {
  return checkUsageFields(readParams(query, 'query', USAGE_QUERY_FIELDS), 'query')
}

/**
 * Checks the fields of a usage query already read from the caller's object (`readOptions`), naming them under
 * `path`; the client's usage filters are checked here too.
 *
 * @returns A fresh query with exactly the given fields.
 * @throws {@link DatapactError} INVALID_INPUT naming the first field that is not so.
 */
export function checkUsageFields(
  q: Partial<Record<(typeof USAGE_QUERY_FIELDS)[number], unknown>>,
  path: string,
): UsageQuery {
  const out: UsageQuery = {}
  if (q.provider !== undefined) out.provider = r.memberId.check(q.provider, `${path}.provider`)
  if (q.consumer !== undefined) out.consumer = r.memberId.check(q.consumer, `${path}.consumer`)
  if (q.datasetId !== undefined) out.datasetId = r.datasetId.check(q.datasetId, `${path}.datasetId`)
  if (q.period !== undefined) out.period = r.time.check(q.period, `${path}.period`)
  if (q.currency !== undefined) out.currency = r.currency.check(q.currency, `${path}.currency`)
  if (q.afterSeq !== undefined) out.afterSeq = afterSeq.check(q.afterSeq, `${path}.afterSeq`)
  if (q.offset !== undefined) out.offset = count.check(q.offset, `${path}.offset`)
  if (q.limit !== undefined) out.limit = count.check(q.limit, `${path}.limit`)
  return out
}

/**
 * Checks the arguments of {@link IndexStore.entities}: a kind, and a key prefix of at most the longest key.
 *
 * @throws {@link DatapactError} INVALID_INPUT naming the argument.
 */
export function checkEntitiesQuery(kind: unknown, prefix: unknown): void {
  assertOneOf(kind, 'kind', KINDS)
  prefixSchema.check(prefix, 'prefix')
}

/**
 * Checks the key of {@link IndexStore.currencies}: provider, consumer and period.
 *
 * @returns A fresh copy of the key.
 * @throws {@link DatapactError} INVALID_INPUT naming the field.
 */
export function checkCurrenciesKey(key: unknown): { provider: MemberId; consumer: MemberId; period: number } {
  const k = readParams(key, 'key', ['provider', 'consumer', 'period'])
  return {
    provider: r.memberId.check(k.provider, 'key.provider'),
    consumer: r.memberId.check(k.consumer, 'key.consumer'),
    period: r.time.check(k.period, 'key.period'),
  }
}
