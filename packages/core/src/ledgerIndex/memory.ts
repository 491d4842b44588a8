import type { LedgerEventRecord, MemberId } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { checkCurrenciesKey, checkEntitiesQuery, checkIndexAppend, checkUsageQuery } from './checks.js'
import {
  type IndexedEntity,
  type IndexedEntityKind,
  type IndexedUsage,
  type IndexPosition,
  type IndexStore,
  matchesUsage,
  type UsageQuery,
  usageOf,
} from './store.js'

const keyOf = (provider: string, consumer: string, period: number) => `${provider}|${consumer}|${period}`

/** A record as the caller gets it: its own copy, as a database store returns fresh rows (wrapHash is its one array). */
const copyOf = ({ seq, record }: IndexedUsage): IndexedUsage => ({
  seq,
  record: { ...record, wrapHash: record.wrapHash.slice() as typeof record.wrapHash },
})

/**
 * The index kept in process memory: the default of `Datapact.open` when no `index` is given. It starts empty at
 * every open (the first read catches up from genesis, as a replay does) and then reads only the new events.
 *
 * @example
 * ```ts
 * const client = await Datapact.open({ ledger, keys, index: new MemoryIndexStore() })
 * ```
 */
export class MemoryIndexStore implements IndexStore {
  /** Always `memory`. */
  readonly kind = 'memory'
  #cursor: string | null = null
  #events = 0
  #closed = false
  readonly #all: IndexedUsage[] = []
  readonly #byKey = new Map<string, IndexedUsage[]>()
  readonly #entities = new Map<IndexedEntityKind, Map<string, Uint8Array>>()

  #open(): void {
    if (this.#closed) throw new DatapactError('CLOSED', 'this index store was closed')
  }

  /**
   * Where the index stands.
   *
   * @returns The cursor and event count.
   * @throws {@link DatapactError} CLOSED after `close()`.
   */
  async position(): Promise<IndexPosition> {
    this.#open()
    return { cursor: this.#cursor, events: this.#events }
  }

  /**
   * Appends a page of events with the datasets and grants it changed, and moves the cursor (atomic: nothing can
   * interleave in one process).
   *
   * @param from - The stored cursor the page follows.
   * @param events - The page.
   * @param to - The new cursor.
   * @param entities - The datasets and grants as the page leaves them.
   * @throws {@link DatapactError} INVALID_INPUT (nothing stored) when an argument is malformed; CONFLICT when the stored cursor is not
   *   `from`; CLOSED after `close()`.
   */
  async append(
    from: string | null,
    events: readonly LedgerEventRecord[],
    to: string,
    entities: readonly IndexedEntity[] = [],
  ): Promise<void> {
    this.#open()
    const page = checkIndexAppend(from, events, to, entities)
    if (page.from !== this.#cursor)
      throw new DatapactError('CONFLICT', 'the index moved on meanwhile: read its position again', {
        details: { argument: 'from' },
      })
    for (const x of usageOf(page.events, this.#events)) {
      this.#all.push(x)
      const k = keyOf(x.record.provider, x.record.consumer, x.record.period)
      const list = this.#byKey.get(k)
      if (list) list.push(x)
      else this.#byKey.set(k, [x])
    }
    for (const x of page.entities) {
      const byKey = this.#entities.get(x.kind) ?? new Map<string, Uint8Array>()
      this.#entities.set(x.kind, byKey)
      byKey.set(x.key, x.value)
    }
    this.#events += page.events.length
    this.#cursor = page.to
  }

  /**
   * The stored datasets or grants whose key starts with `prefix`, by key.
   *
   * @param kind - `dataset` or `grant`.
   * @param prefix - A key prefix (default: all).
   * @returns The entities (copies of the stored bytes).
   * @throws {@link DatapactError} INVALID_INPUT when an argument is malformed; CLOSED after `close()`.
   */
  async entities(kind: IndexedEntityKind, prefix = ''): Promise<IndexedEntity[]> {
    this.#open()
    checkEntitiesQuery(kind, prefix)
    const out: IndexedEntity[] = []
    for (const [key, value] of this.#entities.get(kind) ?? [])
      if (key.startsWith(prefix)) out.push({ kind, key, value: value.slice() })
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  /**
   * Usage records matching a query, in ledger order.
   *
   * @param query - Filters and page.
   * @returns The records (copies: changing them changes nothing stored).
   * @throws {@link DatapactError} INVALID_INPUT when the query is malformed; CLOSED after `close()`.
   */
  async usage(query: UsageQuery): Promise<IndexedUsage[]> {
    this.#open()
    query = checkUsageQuery(query)
    const source =
      query.provider !== undefined && query.consumer !== undefined && query.period !== undefined
        ? (this.#byKey.get(keyOf(query.provider, query.consumer, query.period)) ?? [])
        : this.#all
    const out: IndexedUsage[] = []
    let skip = query.offset ?? 0
    const limit = query.limit ?? Number.POSITIVE_INFINITY
    for (const x of source) {
      if (out.length >= limit) break
      if (!matchesUsage(query, x)) continue
      if (skip > 0) skip--
      else out.push(copyOf(x))
    }
    return out
  }

  /**
   * The currencies of one provider, consumer and period.
   *
   * @param key - Provider, consumer, period.
   * @returns The distinct currencies, sorted.
   * @throws {@link DatapactError} INVALID_INPUT when the key is malformed; CLOSED after `close()`.
   */
  async currencies(key: { provider: MemberId; consumer: MemberId; period: number }): Promise<string[]> {
    this.#open()
    key = checkCurrenciesKey(key)
    const list = this.#byKey.get(keyOf(key.provider, key.consumer, key.period)) ?? []
    return [...new Set(list.map(x => x.record.currency))].sort()
  }

  /**
   * Drops the index. Later calls reject with CLOSED.
   */
  async close(): Promise<void> {
    this.#closed = true
  }
}
