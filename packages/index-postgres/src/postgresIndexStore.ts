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
  usageOf,
} from '@datapact/core'
import { Pool, type PoolClient, type PoolConfig } from 'pg'

/** Options of {@link PostgresIndexStore}: where the server is (`pool` or `connection`) and where the tables go. */
export interface PostgresIndexStoreOptions {
  /**
   * A pool the caller owns: `close()` leaves it open, and the caller listens to its `error` events as node-postgres
   * requires. Give exactly one of `pool` and `connection`.
   */
  pool?: Pool
  /**
   * A connection string (`postgres://user:password@host:port/database`) or a node-postgres pool configuration: the
   * store opens its own pool (with a 10 s connection timeout unless the configuration sets one) and ends it in
   * `close()`. Give exactly one of `pool` and `connection`.
   */
  connection?: string | PoolConfig
  /** The PostgreSQL schema that holds the tables; it must exist (default `public`). */
  schema?: string
  /**
   * The prefix of the store's table and index names (default `datapact_index_`): one prefix per member and ledger,
   * as the stored cursor belongs to the node it was read from.
   */
  prefix?: string
}

/**
 * The schema version this code writes. Tables of version 1 (usage only, before datasets and grants were kept) are
 * emptied and read again from the ledger's first event; those of a later version are refused rather than misread.
 */
const SCHEMA = 2
/** Records per INSERT: a page of 5,000 events is one statement; larger pages take a few. */
const INSERT_BATCH = 5000
/** Lowercase SQL identifiers (no quoting surprises in psql); the prefix leaves room for the longest suffix. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
const MAX_PREFIX = 40

/** A stored row: written only from records the client decoded from the ledger, so its ids are typed as such. */
interface UsageRow {
  seq: string
  provider: MemberId
  consumer: MemberId
  period: string
  currency: string
  dataset: DatasetId
  version: number
  bytes: string
  amount: string
  at: string
  nonce: Nonce
  grant_seq: string
  wrap_hash: Buffer
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
  new DatapactError(
    'LEDGER_UNAVAILABLE',
    `the PostgreSQL index could not ${what}: check that the server runs and the connection settings`,
    { cause },
  )

const invalid = (argument: string, expected: string, got: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}, got ${got}`, {
    details: { argument, expected, got },
  })

const typeName = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x)

const fromRow = (x: UsageRow): IndexedUsage => ({
  seq: Number(x.seq),
  record: {
    datasetId: x.dataset,
    version: x.version,
    consumer: x.consumer,
    provider: x.provider,
    bytes: Number(x.bytes),
    amount: BigInt(x.amount),
    currency: x.currency,
    period: Number(x.period),
    at: Number(x.at),
    nonce: x.nonce,
    grantSeq: Number(x.grant_seq),
    wrapHash: new Uint8Array(x.wrap_hash) as Digest,
  },
})

/** The SQL of one store: its tables' names, quoted, and the statements over them. */
function statements(schema: string, prefix: string) {
  const name = (x: string) => `"${schema}"."${prefix}${x}"`
  const meta = name('meta')
  const usage = name('usage')
  const entities = name('entities')
  return {
    // The advisory lock's key: stores of other prefixes create their tables without waiting for this one.
    lock: `datapact-index:${schema}.${prefix}`,
    exists: `SELECT to_regclass('${meta}') IS NOT NULL AND to_regclass('${usage}') IS NOT NULL
      AND to_regclass('${entities}') IS NOT NULL AS exists`,
    ddl: `
CREATE TABLE IF NOT EXISTS ${meta} (
  id smallint PRIMARY KEY CHECK (id = 1),
  schema integer NOT NULL,
  cursor text,
  events bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${usage} (
  seq bigint PRIMARY KEY,
  provider text NOT NULL,
  consumer text NOT NULL,
  period bigint NOT NULL,
  currency text NOT NULL,
  dataset text NOT NULL,
  version integer NOT NULL,
  bytes bigint NOT NULL,
  amount numeric NOT NULL CHECK (scale(amount) = 0),
  at bigint NOT NULL,
  nonce text NOT NULL,
  grant_seq bigint NOT NULL,
  wrap_hash bytea NOT NULL
);
-- statements: one key, in ledger order
CREATE INDEX IF NOT EXISTS "${prefix}usage_by_statement" ON ${usage} (provider, consumer, period, currency, seq);
-- usage lists by one party or one dataset, in ledger order
CREATE INDEX IF NOT EXISTS "${prefix}usage_by_provider" ON ${usage} (provider, seq);
CREATE INDEX IF NOT EXISTS "${prefix}usage_by_consumer" ON ${usage} (consumer, seq);
CREATE INDEX IF NOT EXISTS "${prefix}usage_by_dataset" ON ${usage} (dataset, seq);
-- datasets and grants as the events leave them: canonical CBOR under the dataset id, or datasetId/grantee
CREATE TABLE IF NOT EXISTS ${entities} (
  kind text NOT NULL,
  key text COLLATE "C" NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (kind, key)
);
INSERT INTO ${meta} (id, schema, cursor, events) VALUES (1, ${SCHEMA}, NULL, 0) ON CONFLICT (id) DO NOTHING;
`,
    schema: `SELECT schema FROM ${meta} WHERE id = 1`,
    // Version 1 kept no datasets or grants: read everything again, with them.
    upgrade: `DELETE FROM ${usage}; DELETE FROM ${entities};
      UPDATE ${meta} SET schema = ${SCHEMA}, cursor = NULL, events = 0 WHERE id = 1`,
    upsert: `INSERT INTO ${entities} (kind, key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
      ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value`,
    entities: `SELECT key, value FROM ${entities} WHERE kind = $1 AND left(key, $2) = $3 ORDER BY key`,
    position: `SELECT cursor, events FROM ${meta} WHERE id = 1`,
    lockPosition: `SELECT cursor, events FROM ${meta} WHERE id = 1 FOR UPDATE`,
    // One statement per batch: the columns travel as 13 arrays, whatever the number of records.
    insert: `INSERT INTO ${usage} (seq, provider, consumer, period, currency, dataset, version, bytes, amount, at,
        nonce, grant_seq, wrap_hash)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
        $7::integer[], $8::bigint[], $9::numeric[], $10::bigint[], $11::text[], $12::bigint[], $13::bytea[])`,
    move: `UPDATE ${meta} SET cursor = $1, events = events + $2 WHERE id = 1`,
    // "C": byte order, the order of the other stores' sort, whatever the database's collation.
    currencies: `SELECT DISTINCT currency COLLATE "C" AS currency FROM ${usage}
      WHERE provider = $1 AND consumer = $2 AND period = $3 ORDER BY 1`,
    usage: (where: string[], n: number) =>
      `SELECT * FROM ${usage} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq
        LIMIT $${n + 1} OFFSET $${n + 2}`,
  }
}

/**
 * The member-side index in a PostgreSQL database (node-postgres): usage records with the indexes statements and
 * lists need, stored page by page together with the ledger cursor in one transaction, so a client opened on the
 * same tables later resumes where the last one stopped, and the processes of a service can share them (a page
 * appended by one is skipped by the others, which carry on from the stored cursor).
 *
 * The tables (`<prefix>meta`, `<prefix>usage`) are created on first use when missing, under an advisory lock so
 * that stores starting at once do not race; a role without CREATE can use tables created beforehand. One prefix per
 * member and ledger: the stored cursor belongs to the node it was read from.
 *
 * @example
 * ```ts
 * import { PostgresIndexStore } from '@datapact/index-postgres'
 * const index = new PostgresIndexStore({ connection: process.env.DATABASE_URL, prefix: 'alice_' })
 * await index.ready() // optional: fail at start-up rather than at the first statement
 * const alice = await Datapact.open({ ledger, keys, index })
 * const st = await alice.billing.statement({ consumer: bob.memberId }) // reads only that statement's records
 * await alice.close()
 * await index.close()
 * ```
 */
export class PostgresIndexStore implements IndexStore {
  /** Always `postgres`. */
  readonly kind = 'postgres'
  readonly #pool: Pool
  readonly #ownsPool: boolean
  readonly #sql: ReturnType<typeof statements>
  #ready: Promise<void> | undefined
  #closed = false

  /**
   * Prepares the index over a pool or a connection; nothing is sent to the server before the first call.
   *
   * @param options - The pool or connection, the schema and the table prefix.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `options` is not an
   *   object, gives both or neither of `pool` and `connection`, `pool` is not a node-postgres pool, `connection` is
   *   not a non-empty string or an object, or `schema` or `prefix` is not a lowercase SQL identifier
   *   (`[a-z_][a-z0-9_]*`; a prefix of at most 40 characters).
   */
  constructor(options: PostgresIndexStoreOptions) {
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      throw invalid('options', 'an object', typeName(options))
    const { pool, connection } = options
    if ((pool === undefined) === (connection === undefined))
      throw invalid('options', 'exactly one of "pool" and "connection"', pool === undefined ? 'neither' : 'both')
    const schema = options.schema ?? 'public'
    const prefix = options.prefix ?? 'datapact_index_'
    if (typeof schema !== 'string' || !IDENTIFIER.test(schema) || schema.length > 63)
      throw invalid('options.schema', 'a lowercase SQL identifier', describeName(schema))
    if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix) || prefix.length > MAX_PREFIX)
      throw invalid(
        'options.prefix',
        `a lowercase SQL identifier of at most ${MAX_PREFIX} characters`,
        describeName(prefix),
      )
    if (pool !== undefined) {
      const p = pool as Partial<Pool> | null
      if (typeof p !== 'object' || p === null || typeof p.connect !== 'function' || typeof p.query !== 'function')
        throw invalid('options.pool', 'a node-postgres Pool', typeName(pool))
      this.#pool = pool
      this.#ownsPool = false
    } else {
      if (typeof connection === 'string' ? connection.length === 0 : typeof connection !== 'object' || !connection)
        throw invalid('options.connection', 'a connection string or a pool configuration', typeName(connection))
      const config: PoolConfig = typeof connection === 'string' ? { connectionString: connection } : { ...connection }
      this.#pool = new Pool({ connectionTimeoutMillis: 10_000, ...config })
      // An idle connection the server drops emits `error` on the pool; the next call reports it (a new connection
      // that fails), so it must not crash the process.
      this.#pool.on('error', () => undefined)
      this.#ownsPool = true
    }
    this.#sql = statements(schema, prefix)
  }

  #open(): void {
    if (this.#closed) throw new DatapactError('CLOSED', 'this PostgreSQL index was closed')
  }

  /**
   * Connects, creates the tables when they are missing and checks their schema version. Every other method does it
   * first, so calling it is optional: a service calls it at start-up to fail early. After a failure the next call
   * tries again.
   *
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the server cannot be
   *   reached, refuses the tables (no CREATE privilege and no tables yet), or holds an index of another schema
   *   version; CLOSED after `close()`.
   */
  async ready(): Promise<void> {
    this.#open()
    this.#ready ??= this.#init().catch(e => {
      this.#ready = undefined
      throw e
    })
    return this.#ready
  }

  async #init(): Promise<void> {
    let schema: number
    try {
      schema = await this.#transaction(async c => {
        // Two stores of one prefix starting at once would race in CREATE TABLE IF NOT EXISTS (a unique violation in
        // the catalog): the lock makes the second wait and then find the tables.
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [this.#sql.lock])
        const { rows } = await c.query<{ exists: boolean }>(this.#sql.exists)
        if (!rows[0]?.exists) await c.query(this.#sql.ddl)
        const found = await c.query<{ schema: number }>(this.#sql.schema)
        const version = found.rows[0]?.schema ?? Number.NaN
        if (version !== 1) return version
        await c.query(this.#sql.upgrade)
        return SCHEMA
      })
    } catch (cause) {
      throw unavailable('be opened', cause)
    }
    if (schema !== SCHEMA)
      throw new DatapactError('LEDGER_UNAVAILABLE', `the PostgreSQL index has schema ${schema}, not ${SCHEMA}`, {
        details: { expected: SCHEMA, got: String(schema) },
      })
  }

  /** Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
  async #transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    // A connection that breaks while checked out emits `error` on the client; without a listener that would crash
    // the process. The failing query reports it.
    let broken: unknown
    const onError = (e: unknown) => {
      broken = e
    }
    client.on('error', onError)
    try {
      await client.query('BEGIN')
      try {
        const result = await fn(client)
        await client.query('COMMIT')
        return result
      } catch (e) {
        await client.query('ROLLBACK').catch(r => {
          broken ??= r
        })
        throw e
      }
    } catch (e) {
      if (!(e instanceof DatapactError)) broken ??= e
      throw e
    } finally {
      client.off('error', onError)
      // A connection that failed is dropped rather than handed to the next caller.
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true)
    }
  }

  /**
   * Where the index stands.
   *
   * @returns The cursor and event count last committed.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the server cannot be
   *   reached or read; CLOSED after `close()`.
   */
  async position(): Promise<IndexPosition> {
    await this.ready()
    try {
      const { rows } = await this.#pool.query<{ cursor: string | null; events: string }>(this.#sql.position)
      const at = rows[0]!
      return { cursor: at.cursor, events: Number(at.events) }
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * Appends a page of events and moves the cursor, in one transaction that first locks the stored position
   * (`SELECT ... FOR UPDATE`), so of two stores appending after the same cursor one stores its page and the other
   * gets CONFLICT.
   *
   * @param from - The stored cursor the page follows.
   * @param events - The page.
   * @param to - The new cursor.
   * @param entities - The datasets and grants as the page leaves them.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (nothing stored) when an
   *   argument is malformed; CONFLICT (nothing stored) when the stored cursor is not `from`; LEDGER_UNAVAILABLE (nothing stored) when the server cannot be reached or refuses the
   *   write; CLOSED after `close()`.
   */
  async append(
    from: string | null,
    events: readonly LedgerEventRecord[],
    to: string,
    entities: readonly IndexedEntity[] = [],
  ): Promise<void> {
    this.#open()
    const page = checkIndexAppend(from, events, to, entities)
    await this.ready()
    // One row a kind and key, the last given (one INSERT ... ON CONFLICT may not touch a row twice).
    const latest = new Map(page.entities.map(x => [`${x.kind}\u0000${x.key}`, x]))
    try {
      await this.#transaction(async c => {
        const { rows } = await c.query<{ cursor: string | null; events: string }>(this.#sql.lockPosition)
        const at = rows[0]!
        if (at.cursor !== page.from)
          throw new DatapactError('CONFLICT', 'the index moved on meanwhile: read its position again', {
            details: { argument: 'from' },
          })
        const records = usageOf(page.events, Number(at.events))
        for (let i = 0; i < records.length; i += INSERT_BATCH)
          await c.query(this.#sql.insert, columns(records.slice(i, i + INSERT_BATCH)))
        if (latest.size > 0) {
          const rows = [...latest.values()]
          await c.query(this.#sql.upsert, [
            rows.map(x => x.kind),
            rows.map(x => x.key),
            rows.map(x => Buffer.from(x.value)),
          ])
        }
        await c.query(this.#sql.move, [page.to, page.events.length])
      })
    } catch (e) {
      if (e instanceof DatapactError) throw e
      throw unavailable('store a page of events', e)
    }
  }

  /**
   * The stored datasets or grants whose key starts with `prefix`, by key (byte order).
   *
   * @param kind - `dataset` or `grant`.
   * @param prefix - A key prefix (default: all).
   * @returns The entities.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an argument is malformed;
   *   LEDGER_UNAVAILABLE when the server cannot be reached or read; CLOSED after `close()`.
   */
  async entities(kind: IndexedEntityKind, prefix = ''): Promise<IndexedEntity[]> {
    this.#open()
    checkEntitiesQuery(kind, prefix)
    await this.ready()
    try {
      const { rows } = await this.#pool.query<{ key: string; value: Buffer }>(this.#sql.entities, [
        kind,
        prefix.length,
        prefix,
      ])
      return rows.map(x => ({ kind, key: x.key, value: new Uint8Array(x.value) }))
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
   *   LEDGER_UNAVAILABLE when the server cannot be reached or read; CLOSED after `close()`.
   */
  async usage(query: UsageQuery): Promise<IndexedUsage[]> {
    this.#open()
    query = checkUsageQuery(query)
    await this.ready()
    const given = FILTERS.filter(([k]) => query[k] !== undefined)
    const where = given.map(([, col], i) => (col === 'seq' ? `seq > $${i + 1}` : `${col} = $${i + 1}`))
    try {
      const { rows } = await this.#pool.query<UsageRow>(this.#sql.usage(where, given.length), [
        ...given.map(([k]) => query[k]),
        query.limit ?? null,
        query.offset ?? 0,
      ])
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
   *   LEDGER_UNAVAILABLE when the server cannot be reached or read; CLOSED after `close()`.
   */
  async currencies(key: { provider: MemberId; consumer: MemberId; period: number }): Promise<string[]> {
    this.#open()
    key = checkCurrenciesKey(key)
    await this.ready()
    try {
      const { rows } = await this.#pool.query<{ currency: string }>(this.#sql.currencies, [
        key.provider,
        key.consumer,
        key.period,
      ])
      return rows.map(x => x.currency)
    } catch (cause) {
      throw unavailable('be read', cause)
    }
  }

  /**
   * Closes the store (what was committed stays in the database): ends the pool it opened from `connection`, and
   * leaves a caller's `pool` open. Later calls reject with CLOSED; closing again does nothing.
   *
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when its own pool cannot be
   *   ended cleanly.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!this.#ownsPool) return
    try {
      await this.#pool.end()
    } catch (cause) {
      throw unavailable('be closed', cause)
    }
  }
}

/** A batch of records as the 13 column arrays of the INSERT ... SELECT FROM unnest(...). */
function columns(records: readonly IndexedUsage[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 13 }, () => new Array(records.length))
  records.forEach(({ seq, record: x }, i) => {
    const row = [
      seq,
      x.provider,
      x.consumer,
      x.period,
      x.currency,
      x.datasetId,
      x.version,
      x.bytes,
      x.amount.toString(),
      x.at,
      x.nonce,
      x.grantSeq,
      Buffer.from(x.wrapHash.buffer, x.wrapHash.byteOffset, x.wrapHash.byteLength),
    ]
    for (let c = 0; c < 13; c++) cols[c]![i] = row[c]
  })
  return cols
}

/** A rejected name for an error's details: the name itself (cut at 70 characters) or its type. */
function describeName(x: unknown): string {
  return typeof x === 'string' ? `"${x.slice(0, 70)}"` : typeName(x)
}
