import type { DatasetId, LedgerEventRecord, MemberId, UsageRecord } from '../domain/index.js'

/** Where an index stands: the cursor of the last ledger event it applied, and how many events it applied. */
export interface IndexPosition {
  /** The `readEvents` cursor of the last event applied; null before the first. */
  cursor: string | null
  /** Events applied so far (every type, not only usage): the next event gets this number as its `seq`. */
  events: number
}

/** A usage record as an index holds it: its position among all events of the ledger (0-based), and the record. */
export interface IndexedUsage {
  seq: number
  record: UsageRecord
}

/**
 * What {@link IndexStore.usage} selects. Every given filter must match; records come in ledger order (ascending
 * `seq`), after `afterSeq`, skipping the first `offset` matches, at most `limit`.
 */
export interface UsageQuery {
  provider?: MemberId
  consumer?: MemberId
  datasetId?: DatasetId
  period?: number
  currency?: string
  /** Only records with a `seq` greater than this. */
  afterSeq?: number
  /** Skip this many matching records first (default 0). */
  offset?: number
  /** At most this many records (default: all). */
  limit?: number
}

/** The state an index keeps besides usage records: the catalog's datasets, and the grants. */
export type IndexedEntityKind = 'dataset' | 'grant'

/**
 * A dataset or a grant as an index stores it: under its key (a dataset's id; a grant's `datasetId/grantee`), its
 * canonical encoding (`encode` with the `dataset` or `grant` record schema of `@datapact/core/codec`). The store
 * keeps the bytes as given; the client encodes and decodes them.
 */
export interface IndexedEntity {
  kind: IndexedEntityKind
  key: string
  value: Uint8Array
}

/**
 * The storage of a member-side index: the usage records of this member's node, and its datasets and grants as its
 * events leave them, kept with the cursor they were read up to. The client (`Datapact.open({ index })`) follows the ledger's events and hands them over page by page;
 * statements and usage lists then read only the records they return, not the whole history.
 *
 * The API is asynchronous so that a store can live in a database server (PostgreSQL) as well as in process
 * (memory, SQLite). Implementers:
 * - `append` is atomic: the records of the page and the new cursor are stored together or not at all, so a crash
 *   between them can neither skip nor double-count a record. It refuses (CONFLICT, nothing stored) when the stored
 *   cursor is not `from`: another client sharing the store got there first.
 * - `usage` returns records in ascending `seq`, exactly as given to `append`.
 * - Every method checks its arguments first with the checks `@datapact/core` exports (`checkIndexAppend`,
 *   `checkUsageQuery`, `checkEntitiesQuery`, `checkCurrenciesKey`) and stores what they return:
 *   a malformed call is INVALID_INPUT and changes nothing. A closed store answers CLOSED before it looks at them.
 * - Throw {@link DatapactError} LEDGER_UNAVAILABLE (cause attached) when the database cannot be reached, CLOSED
 *   after `close()`.
 *
 * `@datapact/core` ships {@link MemoryIndexStore} (the default); `@datapact/index-sqlite` keeps it in SQLite,
 * `@datapact/index-postgres` in PostgreSQL.
 */
export interface IndexStore {
  /** `memory`, `sqlite`, `postgres`, ... */
  readonly kind: string
  /**
   * Where the index stands.
   *
   * @returns The cursor and event count last committed.
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE, CLOSED.
   */
  position(): Promise<IndexPosition>
  /**
   * Appends one page of events (in ledger order, following the stored cursor), stores the datasets and grants the
   * page changed, and moves the cursor to `to`, in one transaction.
   *
   * @param from - The cursor the caller read after (the stored one); null for the first page.
   * @param events - The page's events; the store keeps their usage records.
   * @param to - The cursor to store: the page's last event's cursor.
   * @param entities - The datasets and grants as the page leaves them (default: none): each replaces the stored one
   *   of its kind and key.
   * @throws {@link DatapactError} INVALID_INPUT (nothing stored) when an argument is malformed; CONFLICT (nothing
   *   stored) when the stored cursor is not `from`; LEDGER_UNAVAILABLE, CLOSED.
   */
  append(
    from: string | null,
    events: readonly LedgerEventRecord[],
    to: string,
    entities?: readonly IndexedEntity[],
  ): Promise<void>
  /**
   * The stored entities of a kind whose key starts with `prefix` (all of them without it), in ascending key order
   * (UTF-16 code units, which for ids and `datasetId/grantee` keys is byte order).
   *
   * @param kind - `dataset` or `grant`.
   * @param prefix - A key prefix, such as `datasetId/` for the grants of one dataset.
   * @returns The entities.
   * @throws {@link DatapactError} INVALID_INPUT when an argument is malformed; LEDGER_UNAVAILABLE, CLOSED.
   */
  entities(kind: IndexedEntityKind, prefix?: string): Promise<IndexedEntity[]>
  /**
   * Usage records matching a query, in ledger order.
   *
   * @param query - Filters and the page.
   * @returns The records with their positions.
   * @throws {@link DatapactError} INVALID_INPUT when an argument is malformed; LEDGER_UNAVAILABLE, CLOSED.
   */
  usage(query: UsageQuery): Promise<IndexedUsage[]>
  /**
   * The currencies of the usage records of one provider, consumer and period, sorted.
   *
   * @param key - Provider, consumer and period.
   * @returns The distinct currencies.
   * @throws {@link DatapactError} INVALID_INPUT when an argument is malformed; LEDGER_UNAVAILABLE, CLOSED.
   */
  currencies(key: { provider: MemberId; consumer: MemberId; period: number }): Promise<string[]>
  /**
   * Releases the store. Later calls reject with CLOSED.
   *
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when it cannot be released cleanly.
   */
  close(): Promise<void>
}

/** The usage records among a page of events, numbered from `first`. */
export function usageOf(events: readonly LedgerEventRecord[], first: number): IndexedUsage[] {
  const out: IndexedUsage[] = []
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!.event
    if (e.type === 'UsageRecorded') out.push({ seq: first + i, record: e.record })
  }
  return out
}

/** Whether a record matches every given filter of a query (the memory store's scan; SQL stores use WHERE). */
export function matchesUsage(q: UsageQuery, x: IndexedUsage): boolean {
  const rec = x.record
  return (
    (q.afterSeq === undefined || x.seq > q.afterSeq) &&
    (q.provider === undefined || rec.provider === q.provider) &&
    (q.consumer === undefined || rec.consumer === q.consumer) &&
    (q.datasetId === undefined || rec.datasetId === q.datasetId) &&
    (q.period === undefined || rec.period === q.period) &&
    (q.currency === undefined || rec.currency === q.currency)
  )
}
