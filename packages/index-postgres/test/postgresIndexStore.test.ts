import { MemoryLedger } from '@datapact/adapter-memory'
import {
  buildStatement,
  Datapact,
  generateMemberKeys,
  type LedgerAdapter,
  type LedgerEventRecord,
  MemoryIndexStore,
  type UsageQuery,
  type UsageRecord,
} from '@datapact/core'
import { TERMS, testBytes } from '@datapact/core/testing'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresIndexStore, type PostgresIndexStoreOptions } from '../src/index.js'
import { startPostgres } from '../src/testing/index.js'
import { freshDatabase } from './database.js'

let url: string
let admin: pg.Pool
let prefixes = 0
/** A table prefix no other test of this file uses. */
const fresh = () => `t${++prefixes}_`
beforeAll(async () => {
  url = await freshDatabase()
  admin = new pg.Pool({ connectionString: url, max: 2 })
  admin.on('error', () => undefined)
})
afterAll(() => admin.end())

/** Every `after` cursor a ledger connection was asked to read from: the index's resume point, observed. */
function observed(ledger: LedgerAdapter): { ledger: LedgerAdapter; reads: Array<string | null | undefined> } {
  const reads: Array<string | null | undefined> = []
  const readEvents: LedgerAdapter['readEvents'] = options => {
    reads.push(options?.after)
    return ledger.readEvents(options)
  }
  const wrapped = new Proxy(ledger, {
    get(target, key) {
      if (key === 'readEvents') return readEvents
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { ledger: wrapped, reads }
}

async function story() {
  const ledger = new MemoryLedger()
  const alice = { ledger: ledger.as('alice'), keys: generateMemberKeys() }
  const bob = { ledger: ledger.as('bob'), keys: generateMemberKeys() }
  const a = await Datapact.open(alice)
  await a.members.join({ name: 'Alice', roles: ['provider'] })
  const b = await Datapact.open(bob)
  await b.members.join({ name: 'Bob', roles: ['consumer'] })
  const { id } = await a.datasets.register({ title: 'T', terms: TERMS, data: testBytes(100) })
  await a.grants.grant(id, b.memberId)
  const meter = (n: number) => b.usage.record(Array.from({ length: n }, () => ({ datasetId: id, version: 1 })))
  /** The statement of a full replay from genesis, to compare with. */
  const replayed = async () => {
    const events: LedgerEventRecord[] = []
    for (let after: string | null = null; ; ) {
      const page = await alice.ledger.readEvents({ after, limit: 1000 })
      if (page.events.length === 0) break
      events.push(...page.events)
      after = page.cursor
    }
    const records = events.flatMap(({ event: e }) => (e.type === 'UsageRecorded' ? [e.record] : []))
    const key = { provider: a.memberId, consumer: b.memberId, period: records[0]!.period, currency: 'CNY' }
    return buildStatement(key, 30 * 86400, records, await alice.ledger.query('getSettlement', key))
  }
  return { alice, a, b, id, meter, replayed }
}

/** A page of synthetic events after `n` earlier ones: usage records (with the given amounts) and other events. */
function page(n: number, amounts: Array<bigint | null>): LedgerEventRecord[] {
  return amounts.map((amount, i): LedgerEventRecord => {
    const at = 1000 + n + i
    const common = { cursor: String(n + i), txId: `t${n}`, at, caller: 'c1' }
    if (amount === null) return { ...common, event: { type: 'MemberLeft', member: 'c1' } }
    const record: UsageRecord = {
      datasetId: 'd1',
      version: 1,
      consumer: 'c1',
      provider: 'p1',
      bytes: 1 << 30,
      amount,
      currency: 'CNY',
      period: 2,
      at,
      nonce: (n + i).toString(16).padStart(32, '0'),
      grantSeq: 1,
      wrapHash: new Uint8Array(32).fill(i),
    }
    return { ...common, event: { type: 'UsageRecorded', record } }
  })
}

describe('PostgresIndexStore', () => {
  it('resumes from its stored cursor after a restart: close, reopen, new events, the same statement', async () => {
    const s = await story()
    const prefix = fresh()
    await s.meter(3)
    const first = observed(s.alice.ledger)
    const index = new PostgresIndexStore({ connection: url, prefix })
    const a1 = await Datapact.open({ ledger: first.ledger, keys: s.alice.keys, index })
    const st1 = await a1.billing.statement({ consumer: s.b.memberId })
    expect(st1).toEqual(await s.replayed())
    expect(st1.count).toBe(3)
    expect(first.reads[0]).toBeNull() // an empty index reads from genesis
    const stopped = (await index.position()).cursor
    await index.close()

    await s.meter(2)
    const second = observed(s.alice.ledger)
    const reopened = new PostgresIndexStore({ connection: { connectionString: url }, prefix })
    expect((await reopened.position()).cursor).toBe(stopped)
    const a2 = await Datapact.open({ ledger: second.ledger, keys: s.alice.keys, index: reopened })
    const st2 = await a2.billing.statement({ consumer: s.b.memberId })
    expect(second.reads[0]).toBe(stopped) // resumed where it stopped, not from genesis
    expect(st2).toEqual(await s.replayed())
    expect(st2.count).toBe(5)
    expect(await a2.usage.list({ consumer: s.b.memberId })).toHaveLength(5)
    await reopened.close()
  })

  it('rolls back the records and the cursor together when the server fails a page half-way', async () => {
    const s = await story()
    const prefix = fresh()
    await s.meter(2)
    const index = new PostgresIndexStore({ pool: admin, prefix })
    const a = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index })
    expect((await a.billing.statement({ consumer: s.b.memberId })).count).toBe(2)
    const before = await index.position()
    await s.meter(3)
    // A real trigger makes the server itself refuse the 2nd record of the next page, after the 1st was inserted
    // in the same transaction (a sequence counts across the rollback).
    await admin.query(`
      CREATE SEQUENCE ${prefix}inserts;
      CREATE FUNCTION ${prefix}fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('${prefix}inserts') = 2 THEN RAISE EXCEPTION 'forced failure on the 2nd record'; END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER fail_nth BEFORE INSERT ON ${prefix}usage FOR EACH ROW EXECUTE FUNCTION ${prefix}fail();`)
    const failed = await a.billing.statement({ consumer: s.b.memberId }).catch(e => e)
    expect(failed).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(String(failed.cause?.message)).toContain('forced failure on the 2nd record')
    expect(await index.position()).toEqual(before)
    expect(await index.usage({})).toHaveLength(2) // the record inserted before the failure was rolled back with it
    await admin.query(`DROP TRIGGER fail_nth ON ${prefix}usage`)

    // The same after every record: the cursor update fails, the page's records go with it.
    await admin.query(`
      CREATE FUNCTION ${prefix}fail_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'forced failure of the cursor'; END $$;
      CREATE TRIGGER fail_cursor BEFORE UPDATE ON ${prefix}meta FOR EACH ROW EXECUTE FUNCTION ${prefix}fail_cursor();`)
    await expect(a.billing.statement({ consumer: s.b.memberId })).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    })
    expect(await index.position()).toEqual(before)
    expect(await index.usage({})).toHaveLength(2)
    await admin.query(`DROP TRIGGER fail_cursor ON ${prefix}meta`)

    const st = await a.billing.statement({ consumer: s.b.memberId })
    expect(st).toEqual(await s.replayed())
    expect(st.count).toBe(5) // neither skipped nor counted twice
    await index.close()
  })

  it('lets two clients share one index: the stale one gets CONFLICT and stores nothing', async () => {
    const s = await story()
    const prefix = fresh()
    const i1 = new PostgresIndexStore({ connection: url, prefix })
    const i2 = new PostgresIndexStore({ connection: url, prefix })
    const c1 = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index: i1 })
    const c2 = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index: i2 })
    await s.meter(2)
    const [x, y] = await Promise.all([
      c1.billing.statement({ consumer: s.b.memberId }),
      c2.billing.statement({ consumer: s.b.memberId }),
    ])
    expect(x).toEqual(y)
    expect(x.count).toBe(2)
    const at = await i1.position()
    await expect(i1.append(null, [], 'x')).rejects.toMatchObject({ code: 'CONFLICT' })
    // A stale store appending a page with records after an old cursor: refused, nothing of it stored.
    await expect(i2.append('0', page(at.events, [1n, 2n]), 'y')).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await i1.position()).toEqual(at)
    expect(await i1.usage({})).toHaveLength(2)
    expect(await i2.usage({})).toEqual(await i1.usage({}))
    await i1.close()
    await i2.close()
  })

  it('creates its tables once when several stores start at once', async () => {
    const prefix = fresh()
    const stores = Array.from({ length: 4 }, () => new PostgresIndexStore({ pool: admin, prefix }))
    await Promise.all(stores.map(x => x.ready()))
    const positions = await Promise.all(stores.map(x => x.position()))
    expect(positions).toEqual(stores.map(() => ({ cursor: null, events: 0 })))
    // Of four appends after the same cursor, exactly one is stored.
    const results = await Promise.allSettled(stores.map((x, i) => x.append(null, page(0, [BigInt(i)]), `to${i}`)))
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' })
    expect(await stores[0]!.usage({})).toHaveLength(1)
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '${prefix}%' AND relkind IN ('r', 'i')`,
    )
    expect(rows[0].n).toBe(2 + 2 + 4) // two tables, their primary keys, four indexes
    for (const x of stores) await x.close()
  })

  it('keeps amounts beyond 2^63 and the other fields exactly', async () => {
    const index = new PostgresIndexStore({ pool: admin, prefix: fresh() })
    const amounts = [0n, (1n << 63n) - 1n, 1n << 63n, 1n << 64n, (1n << 100n) + 7n, 10n ** 40n]
    const events = page(0, [...amounts, null])
    await index.append(null, events, 'end')
    const stored = await index.usage({})
    expect(stored.map(x => x.record.amount)).toEqual(amounts)
    expect(stored).toEqual(
      events.flatMap((e, seq) => (e.event.type === 'UsageRecorded' ? [{ seq, record: e.event.record }] : [])),
    )
    expect(await index.position()).toEqual({ cursor: 'end', events: amounts.length + 1 })
    await index.close()
  })

  it('appends a page of 12,000 records (three INSERT batches) in one transaction', async () => {
    const prefix = fresh()
    const index = new PostgresIndexStore({ pool: admin, prefix })
    await index.ready()
    const amounts = Array.from({ length: 12_000 }, (_, i) => BigInt(i) * 10n ** 20n)
    // The server refuses the 7,001st record (in the second batch): the first batch goes too.
    await admin.query(`
      CREATE SEQUENCE ${prefix}inserts;
      CREATE FUNCTION ${prefix}fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('${prefix}inserts') = 7001 THEN RAISE EXCEPTION 'forced failure'; END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER fail_nth BEFORE INSERT ON ${prefix}usage FOR EACH ROW EXECUTE FUNCTION ${prefix}fail();`)
    await expect(index.append(null, page(0, amounts), 'a')).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(await index.position()).toEqual({ cursor: null, events: 0 })
    expect(await index.usage({})).toEqual([])
    await admin.query(`DROP TRIGGER fail_nth ON ${prefix}usage`)
    await index.append(null, page(0, amounts), 'a')
    expect(await index.usage({ afterSeq: 11_990 })).toHaveLength(9)
    const some = await index.usage({ offset: 4999, limit: 2 })
    expect(some.map(x => [x.seq, x.record.amount])).toEqual([
      [4999, 4999n * 10n ** 20n],
      [5000, 5000n * 10n ** 20n],
    ])
    expect((await index.position()).events).toBe(12_000)
    await index.close()
  })

  it('answers every query as the memory index does (random pages and queries)', async () => {
    const record = fc.record({
      provider: fc.constantFrom('p1', 'p2'),
      consumer: fc.constantFrom('c1', 'c2', 'c3'),
      datasetId: fc.constantFrom('d1', 'd2'),
      period: fc.integer({ min: 0, max: 2 }),
      currency: fc.constantFrom('CNY', 'EUR'),
      amount: fc.bigInt({ min: 0n, max: (1n << 100n) - 1n }),
      bytes: fc.nat(1 << 30),
    })
    const event = fc.oneof(
      record.map(x => ({ type: 'UsageRecorded' as const, x })),
      fc.constant({ type: 'MemberLeft' as const }),
    )
    const query: fc.Arbitrary<UsageQuery> = fc.record(
      {
        provider: fc.constantFrom('p1', 'p2'),
        consumer: fc.constantFrom('c1', 'c2', 'c3'),
        datasetId: fc.constantFrom('d1', 'd2'),
        period: fc.integer({ min: 0, max: 2 }),
        currency: fc.constantFrom('CNY', 'EUR'),
        afterSeq: fc.integer({ min: -1, max: 40 }),
        offset: fc.nat(5),
        limit: fc.integer({ min: 1, max: 10 }),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(event, { maxLength: 8 }), { maxLength: 6 }), query, async (pages, q) => {
        // Fresh tables per run: the same SQL and indexes as a member's.
        const postgres = new PostgresIndexStore({ pool: admin, prefix: fresh() })
        const memory = new MemoryIndexStore()
        let cursor: string | null = null
        let n = 0
        for (const p of pages) {
          const events = p.map((e, i): LedgerEventRecord => {
            const at = 1000 + n + i
            const common = { cursor: String(n + i), txId: `t${n}`, at, caller: 'c1' }
            if (e.type === 'MemberLeft') return { ...common, event: { type: 'MemberLeft', member: 'c1' } }
            const rec: UsageRecord = {
              ...e.x,
              version: 1,
              at,
              nonce: (n + i).toString(16).padStart(32, '0'),
              grantSeq: 1,
              wrapHash: new Uint8Array(32).fill(i),
            }
            return { ...common, event: { type: 'UsageRecorded', record: rec } }
          })
          n += events.length
          const to = String(n)
          await postgres.append(cursor, events, to)
          await memory.append(cursor, events, to)
          cursor = to
        }
        expect(await postgres.position()).toEqual(await memory.position())
        expect(await postgres.usage(q)).toEqual(await memory.usage(q))
        expect(await postgres.usage({})).toEqual(await memory.usage({}))
        const key = { provider: 'p1', consumer: 'c1', period: 0 }
        expect(await postgres.currencies(key)).toEqual(await memory.currencies(key))
        await postgres.close()
      }),
      { numRuns: 40, seed: 0x5eed },
    )
  })

  it('keeps its tables in a given schema, and works for a role that may not create tables', async () => {
    await admin.query('CREATE SCHEMA member_a')
    const owner = new PostgresIndexStore({ pool: admin, schema: 'member_a', prefix: 'idx_' })
    await owner.append(null, page(0, [5n]), 'one')
    await owner.close()
    const { rows } = await admin.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'member_a' ORDER BY 1`,
    )
    expect(rows.map(x => x.table_name)).toEqual(['idx_meta', 'idx_usage'])
    // A service role with DML rights only (no CREATE on the schema) uses the tables created beforehand.
    await admin.query(`
      CREATE ROLE index_writer LOGIN;
      GRANT USAGE ON SCHEMA member_a TO index_writer;
      GRANT SELECT, INSERT, UPDATE ON member_a.idx_meta, member_a.idx_usage TO index_writer;`)
    const service = new URL(url)
    service.username = 'index_writer'
    const writer = new PostgresIndexStore({ connection: service.toString(), schema: 'member_a', prefix: 'idx_' })
    await writer.append('one', page(1, [6n]), 'two')
    expect((await writer.usage({})).map(x => x.record.amount)).toEqual([5n, 6n])
    // The same role without the tables: refused with LEDGER_UNAVAILABLE, not a crash.
    const creator = new PostgresIndexStore({ connection: service.toString(), schema: 'member_a', prefix: 'other_' })
    await expect(creator.ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    await writer.close()
    await creator.close()
  })

  it('refuses tables of another schema version, and a schema that does not exist yet (until it does)', async () => {
    const prefix = fresh()
    const first = new PostgresIndexStore({ pool: admin, prefix })
    await first.ready()
    await first.close()
    await admin.query(`UPDATE ${prefix}meta SET schema = 2`)
    const newer = new PostgresIndexStore({ pool: admin, prefix })
    await expect(newer.position()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE', details: { got: '2' } })
    const later = new PostgresIndexStore({ pool: admin, schema: 'later_schema' })
    const e = await later.ready().catch(x => x)
    expect(e).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(e.cause).toBeInstanceOf(Error)
    // A failed start is not remembered: once the schema exists, the same store opens.
    await admin.query('CREATE SCHEMA later_schema')
    await later.append(null, page(0, [3n]), 'c')
    expect(await later.position()).toEqual({ cursor: 'c', events: 1 })
  })

  it('reports LEDGER_UNAVAILABLE with the cause when the server stops, or when nothing listens', async () => {
    const server = await startPostgres()
    try {
      const index = new PostgresIndexStore({ connection: await server.createDatabase() })
      await index.append(null, page(0, [1n]), 'a')
      expect(await index.position()).toEqual({ cursor: 'a', events: 1 })
      await server.stop()
      for (const call of [
        () => index.position(),
        () => index.append('a', page(1, [2n]), 'b'),
        () => index.usage({}),
        () => index.currencies({ provider: 'p1', consumer: 'c1', period: 2 }),
      ]) {
        const e = await call().catch(x => x)
        expect(e).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
        expect(e.cause).toBeInstanceOf(Error)
      }
      await index.close()
    } finally {
      await server.stop()
    }
    // Nothing listens (the stopped server's port).
    const nowhere = new PostgresIndexStore({ connection: { host: '127.0.0.1', port: server.port, user: 'postgres' } })
    await expect(nowhere.ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    await expect(nowhere.usage({})).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    await nowhere.close()
  })

  it('rejects every call after close with CLOSED, and leaves a caller pool open', async () => {
    const own = new PostgresIndexStore({ connection: url, prefix: fresh() })
    await own.ready()
    const shared = new PostgresIndexStore({ pool: admin, prefix: fresh() })
    await shared.ready()
    for (const s of [own, shared]) {
      await s.close()
      await s.close() // again: nothing
      for (const call of [
        () => s.ready(),
        () => s.position(),
        () => s.append(null, [], 'x'),
        () => s.usage({}),
        () => s.currencies({ provider: 'p', consumer: 'c', period: 0 }),
      ])
        await expect(call()).rejects.toMatchObject({ code: 'CLOSED' })
    }
    expect((await admin.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('refuses bad options with INVALID_INPUT before any connection', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'postgres://x',
      [],
      {},
      { pool: admin, connection: url },
      { pool: {} },
      { pool: null },
      { connection: '' },
      { connection: 42 },
      { connection: null },
      { connection: url, schema: 'Public' },
      { connection: url, schema: 'a;drop table x' },
      { connection: url, schema: '' },
      { connection: url, prefix: 'x-y' },
      { connection: url, prefix: '1x' },
      { connection: url, prefix: 'p'.repeat(41) },
      { connection: url, prefix: 7 },
    ]
    const shown = (x: unknown) => JSON.stringify(x, (_, v) => (v === admin ? '<pool>' : v)) ?? String(x)
    for (const options of bad) {
      const before = shown(options)
      expect(() => new PostgresIndexStore(options as PostgresIndexStoreOptions), before).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          details: expect.objectContaining({ argument: expect.any(String) }),
        }),
      )
      expect(shown(options)).toBe(before)
    }
  })
})
