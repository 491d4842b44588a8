import {
  checkCurrenciesKey,
  checkEntitiesQuery,
  checkIndexAppend,
  checkUsageQuery,
  DatapactError,
  type DatasetId,
  type Digest,
  type IndexedEntity,
  type IndexedEntityKind,
  type IndexedUsage,
  type IndexPosition,
  type IndexStore,
  type LedgerEventRecord,
  type MemberId,
  type Nonce,
  type UsageQuery,
  type UsageRecord,
  usageOf,
} from '@datapact/core'
import Database from 'better-sqlite3'

/** Options of {@link SqliteIndexStore}. */
export interface SqliteIndexStoreOptions {
  /** How long a write waits for another connection's lock before failing, in ms (default 10 000). */
  busyTimeout?: number
}

/**
 * The schema version this code writes. A database of version 1 (usage only, before datasets and grants were kept)
 * is emptied and read again from the ledger's first event; one of a later version is refused rather than misread.
 */
const SCHEMA = 2

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  schema INTEGER NOT NULL,
  cursor TEXT,
  events INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
  seq INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  consumer TEXT NOT NULL,
  period INTEGER NOT NULL,
  currency TEXT NOT NULL,
  dataset TEXT NOT NULL,
  version INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  amount TEXT NOT NULL,
  at INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  grant_seq INTEGER NOT NULL,
  wrap_hash BLOB NOT NULL
);
-- statements: one key, in ledger order
CREATE INDEX IF NOT EXISTS usage_by_statement ON usage (provider, consumer, period, currency, seq);
-- usage lists by one party or one dataset, in ledger order
CREATE INDEX IF NOT EXISTS usage_by_provider ON usage (provider, seq);
CREATE INDEX IF NOT EXISTS usage_by_consumer ON usage (consumer, seq);
CREATE INDEX IF NOT EXISTS usage_by_dataset ON usage (dataset, seq);
-- datasets and grants as the events leave them: canonical CBOR under the dataset id, or datasetId/grantee
CREATE TABLE IF NOT EXISTS entities (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (id, schema, cursor, events) VALUES (1, ${SCHEMA}, NULL, 0);
`

/** A stored row: written only from records the client decoded from the ledger, so its ids are typed as such. */
interface UsageRow {
  seq: number
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
  dataset: DatasetId
  version: number
  bytes: number
  amount: string
  at: number
  nonce: Nonce
  grant_seq: number
  wrap_hash: Uint8Array
}

const FILTERS = [
  ['provider', 'provider'],
  ['consumer', 'consumer'],
  ['period', 'period'],
  ['currency', 'currency'],
  ['datasetId', 'dataset'],
  ['afterSeq', 'seq'],
] as const

const unavailable = (what: string, cause: unknown) =>
  new DatapactError('LEDGER_UNAVAILABLE', `the SQLite index could not ${what}: check the database file`, { cause })

const fromRow = (x: UsageRow): IndexedUsage => ({
  seq: x.seq,
  record: {
    datasetId: x.dataset,
    version: x.version,
    consumer: x.consumer,
    provider: x.provider,
    bytes: x.bytes,
    amount: BigInt(x.amount),
    currency: x.currency,
    period: x.period,
    at: x.at,
    nonce: x.nonce,
    grantSeq: x.grant_seq,
    wrapHash: new Uint8Array(x.wrap_hash) as Digest,
  },
})

/**
 * The member-side index in an SQLite database file (better-sqlite3, WAL journal): usage records with the indexes
 * statements and lists need, stored page by page together with the ledger cursor in one transaction, so a client
 * opened on the same file later resumes where the last one stopped.
 *
 * One file per member and ledger: the stored cursor belongs to the node it was read from.
 *
 * @example
 * ```ts
 * import { SqliteIndexStore } from '@datapact/index-sqlite'
 * const index = new SqliteIndexStore('./alice-index.sqlite')
 * const alice = await Datapact.open({ ledger, keys, index })
 * const st = await alice.billing.statement({ consumer: bob.memberId })   // reads only that statement's records
 * await alice.close()
 * await index.close()
 * ```
 */
export class SqliteIndexStore implements IndexStore {
  /** Always `sqlite`. */
  readonly kind = 'sqlite'
  readonly #db: Database.Database
  readonly #position: Database.Statement<[], { cursor: string | null; events: number }>
  readonly #insert: Database.Statement<UsageRow>
  readonly #move: Database.Statement<[string, number, string | null]>
  readonly #currencies: Database.Statement<[string, string, number], { currency: string }>
  readonly #queries = new Map<string, Database.Statement<unknown[], UsageRow>>()
  readonly #upsert: Database.Statement<[string, string, Buffer]>
  readonly #entities: Database.Statement<[string, number, string], { key: string; value: Uint8Array }>
  readonly #append: (
    from: string | null,
    events: readonly LedgerEventRecord[],
    to: string,
    entities: readonly IndexedEntity[],
  ) => void
  #closed = false

  /**
   * Opens (or creates) the index in a database file.
   *
   * @param filename - The database file (`:memory:` for a throw-away one).
   * @param options - Lock wait.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `filename` is not a non-empty string or `busyTimeout` not a
   *   non-negative integer; LEDGER_UNAVAILABLE when the file cannot be opened as an SQLite database or holds an
   *   index of another schema version.
   */
  constructor(filename: string, options: SqliteIndexStoreOptions = {}) {
    if (typeof filename !== 'string' || filename.length === 0)
      throw new DatapactError('INVALID_INPUT', '"filename" must be a non-empty string', {
        details: { argument: 'filename', expected: 'a file name', got: typeof filename },
      })
    const busy = options.busyTimeout ?? 10_000
    if (!Number.isSafeInteger(busy) || busy < 0)
      throw new DatapactError('INVALID_INPUT', '"options.busyTimeout" must be a non-negative integer', {
        details: { argument: 'options.busyTimeout', expected: 'integer >= 0', got: String(busy) },
      })
    try {
      this.#db = new Database(filename, { timeout: busy })
      this.#db.pragma('journal_mode = WAL')
      this.#db.pragma('synchronous = NORMAL')
      this.#db.exec(DDL)
    } catch (cause) {
      throw unavailable('be opened', cause)
    }
    let schema = this.#db.prepare('SELECT schema FROM meta WHERE id = 1').get() as { schema: number }
    if (schema.schema === 1) {
      // Version 1 kept no datasets or grants: read everything again, with them.
      try {
        this.#db
          .transaction(() => {
            this.#db.exec('DELETE FROM usage; DELETE FROM entities;')
            this.#db.prepare('UPDATE meta SET schema = ?, cursor = NULL, events = 0 WHERE id = 1').run(SCHEMA)
          })
          .immediate()
      } catch (cause) {
        this.#db.close()
        throw unavailable('be upgraded from schema 1', cause)
      }
      schema = { schema: SCHEMA }
    }
    if (schema.schema !== SCHEMA) {
      this.#db.close()
      throw new DatapactError('LEDGER_UNAVAILABLE', `the SQLite index has schema ${schema.schema}, not ${SCHEMA}`, {
        details: { expected: SCHEMA, got: schema.schema },
      })
    }
    const db = this.#db
    this.#position = db.prepare('SELECT cursor, events FROM meta WHERE id = 1')
    this.#insert = db.prepare(
      `INSERT INTO usage (seq, provider, consumer, period, currency, dataset, version, bytes, amount, at, nonce,
         grant_seq, wrap_hash)
       VALUES (@seq, @provider, @consumer, @period, @currency, @dataset, @version, @bytes, @amount, @at, @nonce,
         @grant_seq, @wrap_hash)`,
    )
    this.#move = db.prepare('UPDATE meta SET cursor = ?, events = events + ? WHERE id = 1 AND cursor IS ?')
    this.#currencies = db.prepare(
      'SELECT DISTINCT currency FROM usage WHERE provider = ? AND consumer = ? AND period = ? ORDER BY currency',
    )
    // One transaction per page: the rows and the cursor commit together or not at all. IMMEDIATE takes the write
    // lock first, so the position read inside is the one the page is appended to.
    this.#upsert = db.prepare(
      'INSERT INTO entities (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value',
    )
    this.#entities = db.prepare('SELECT key, value FROM entities WHERE kind = ? AND substr(key, 1, ?) = ? ORDER BY key')
    this.#append = db.transaction(
      (from: string | null, events: readonly LedgerEventRecord[], to: string, entities: readonly IndexedEntity[]) => {
        const at = this.#position.get()!
        if (at.cursor !== from)
          throw new DatapactError('CONFLICT', 'the index moved on meanwhile: read its position again', {
            details: { argument: 'from' },
          })
        for (const { seq, record: x } of usageOf(events, at.events)) this.#insert.run(toRow(seq, x))
        for (const x of entities) this.#upsert.run(x.kind, x.key, Buffer.from(x.value))
        this.#move.run(to, events.length, from)
      },
    ).immediate
  }

  #open(): void {
    if (this.#closed) throw new DatapactError('CLOSED', 'this SQLite index was closed')
  }

  /**
   * Where the index stands.
   *
   * @returns The cursor and event count last committed.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the database cannot be read; CLOSED after `close()`.
   */
  async position(): Promise<IndexPosition> {
    this.#open()
    try {
      const { cursor, events } = this.#position.get()!
      return { cursor, events }
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * Appends a page of events with the datasets and grants it changed, and moves the cursor, in one transaction.
   *
   * @param from - The stored cursor the page follows.
   * @param events - The page.
   * @param to - The new cursor.
   * @param entities - The datasets and grants as the page leaves them.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (nothing stored) when an argument is malformed;
   *   CONFLICT (nothing stored) when the stored cursor is not `from`;
   *   LEDGER_UNAVAILABLE (nothing stored) when the database refuses the write; CLOSED after `close()`.
   */
  async append(
    from: string | null,
    events: readonly LedgerEventRecord[],
    to: string,
    entities: readonly IndexedEntity[] = [],
  ): Promise<void> {
    this.#open()
    const page = checkIndexAppend(from, events, to, entities)
    try {
      this.#append(page.from, page.events, page.to, page.entities)
    } catch (e) {
      if (e instanceof DatapactError) throw e
      throw unavailable('store a page of events', e)
    }
  }

  /**
   * The stored datasets or grants whose key starts with `prefix`, by key.
   *
   * @param kind - `dataset` or `grant`.
   * @param prefix - A key prefix (default: all).
   * @returns The entities.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an argument is malformed;
   *   LEDGER_UNAVAILABLE when the database cannot be read; CLOSED after `close()`.
   */
  async entities(kind: IndexedEntityKind, prefix = ''): Promise<IndexedEntity[]> {
    this.#open()
    checkEntitiesQuery(kind, prefix)
    try {
      return this.#entities
        .all(kind, prefix.length, prefix)
        .map(x => ({ kind, key: x.key, value: new Uint8Array(x.value) }))
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * Usage records matching a query, in ledger order, through the index that fits its filters.
   *
   * @param query - Filters and page.
   * @returns The records.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the query is malformed;
   *   LEDGER_UNAVAILABLE when the database cannot be read; CLOSED after `close()`.
   */
  async usage(query: UsageQuery): Promise<IndexedUsage[]> {
    this.#open()
    query = checkUsageQuery(query)
    const given = FILTERS.filter(([k]) => query[k] !== undefined)
    const shape = given.map(([k]) => k).join(',')
    let stmt = this.#queries.get(shape)
    try {
      if (!stmt) {
        const where = given.map(([, col]) => (col === 'seq' ? 'seq > ?' : `${col} = ?`))
        stmt = this.#db.prepare(
          `SELECT * FROM usage ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ? OFFSET ?`,
        ) as Database.Statement<unknown[], UsageRow>
        this.#queries.set(shape, stmt)
      }
      const rows = stmt.all(...given.map(([k]) => query[k]), query.limit ?? -1, query.offset ?? 0)
      return rows.map(fromRow)
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * The currencies of one provider, consumer and period.
   *
   * @param key - Provider, consumer, period.
   * @returns The distinct currencies, sorted.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the key is malformed;
   *   LEDGER_UNAVAILABLE when the database cannot be read; CLOSED after `close()`.
   */
  async currencies(key: { provider: MemberId; consumer: MemberId; period: number }): Promise<string[]> {
    this.#open()
    key = checkCurrenciesKey(key)
    try {
      return this.#currencies.all(key.provider, key.consumer, key.period).map(x => x.currency)
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * Closes the database (what was committed stays in the file). Later calls reject with CLOSED; closing again does
   * nothing.
   *
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the database cannot be closed cleanly.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#db.close()
    } catch (cause) {
      throw unavailable('be closed', cause)
    }
  }
}

function toRow(seq: number, x: UsageRecord): UsageRow {
  return {
    seq,
    provider: x.provider,
    consumer: x.consumer,
    period: x.period,
    currency: x.currency,
    dataset: x.datasetId,
    version: x.version,
    bytes: x.bytes,
    amount: x.amount.toString(),
    at: x.at,
    nonce: x.nonce,
    grant_seq: x.grantSeq,
    wrap_hash: Buffer.from(x.wrapHash.buffer, x.wrapHash.byteOffset, x.wrapHash.byteLength),
  }
}
