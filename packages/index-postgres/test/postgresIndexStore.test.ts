import { createMemoryHarness } from '@datapact/adapter-memory'
import { Datapact, type DatasetId, toMemberId } from '@datapact/core'
import { datasetEntity, usagePage as page, TERMS, testBytes, world } from '@datapact/core/testing'
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

/**
 * Makes the server itself refuse the `nth` record inserted into the usage table of `prefix` from now on (a real
 * trigger; a sequence counts the inserts, across rollbacks). Drop it with `DROP TRIGGER fail_nth ON <prefix>usage`.
 */
const failInsert = (prefix: string, nth: number) =>
  admin.query(`
    CREATE SEQUENCE ${prefix}inserts;
    CREATE FUNCTION ${prefix}fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('${prefix}inserts') = ${nth} THEN RAISE EXCEPTION 'forced failure on record ${nth}'; END IF;
        RETURN NEW;
      END $$;
    CREATE TRIGGER fail_nth BEFORE INSERT ON ${prefix}usage FOR EACH ROW EXECUTE FUNCTION ${prefix}fail();`)

// The store contract (restart, sharing, racing appends, amounts, random queries, CLOSED) runs in
// conformance.test.ts; these are PostgreSQL's own cases.
describe('PostgresIndexStore', () => {
  it('rolls back the records and the cursor together when the server fails a page half-way', async () => {
    const w = await world(createMemoryHarness())
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(100) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    const meter = (n: number) =>
      w.consumer.client.usage.record(Array.from({ length: n }, () => ({ datasetId: id, version: 1 })))
    const prefix = fresh()
    await meter(2)
    const index = new PostgresIndexStore({ pool: admin, prefix })
    const a = await Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, index })
    const statement = () => a.billing.statement({ consumer: w.consumer.id })
    expect((await statement()).count).toBe(2)
    const before = await index.position()
    await meter(3)
    // A real trigger makes the server itself refuse the 2nd record of the next page, after the 1st was inserted
    // in the same transaction (a sequence counts across the rollback).
    await failInsert(prefix, 2)
    const failed = await statement().catch(e => e)
    expect(failed).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(String(failed.cause?.message)).toContain('forced failure on record 2')
    expect(await index.position()).toEqual(before)
    expect(await index.usage({})).toHaveLength(2) // the record inserted before the failure was rolled back with it
    await admin.query(`DROP TRIGGER fail_nth ON ${prefix}usage`)

    // The same after every record: the cursor update fails, the page's records go with it.
    await admin.query(`
      CREATE FUNCTION ${prefix}fail_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'forced failure of the cursor'; END $$;
      CREATE TRIGGER fail_cursor BEFORE UPDATE ON ${prefix}meta FOR EACH ROW EXECUTE FUNCTION ${prefix}fail_cursor();`)
    await expect(statement()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(await index.position()).toEqual(before)
    expect(await index.usage({})).toHaveLength(2)
    await admin.query(`DROP TRIGGER fail_cursor ON ${prefix}meta`)

    const st = await statement()
    // The same statement as the world's own client, whose memory index never failed: neither skipped nor doubled.
    expect(st).toEqual(await w.provider.client.billing.statement({ consumer: w.consumer.id }))
    expect(st.count).toBe(5)
    await index.close()
  })

  it('creates its tables once when several stores start at once', async () => {
    const prefix = fresh()
    const stores = Array.from({ length: 4 }, () => new PostgresIndexStore({ pool: admin, prefix }))
    await Promise.all(stores.map(x => x.ready()))
    const positions = await Promise.all(stores.map(x => x.position()))
    expect(positions).toEqual(stores.map(() => ({ cursor: null, events: 0 })))
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '${prefix}%' AND relkind IN ('r', 'i')`,
    )
    expect(rows[0].n).toBe(3 + 3 + 4) // three tables, their primary keys, four indexes
    for (const x of stores) await x.close()
  })

  it('appends a page of 12,000 records (three INSERT batches) in one transaction', async () => {
    const prefix = fresh()
    const index = new PostgresIndexStore({ pool: admin, prefix })
    await index.ready()
    const amounts = Array.from({ length: 12_000 }, (_, i) => BigInt(i) * 10n ** 20n)
    // The server refuses the 7,001st record (in the second batch): the first batch goes too.
    await failInsert(prefix, 7001)
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

  it('keeps its tables in a given schema, and works for a role that may not create tables', async () => {
    await admin.query('CREATE SCHEMA member_a')
    const owner = new PostgresIndexStore({ pool: admin, schema: 'member_a', prefix: 'idx_' })
    await owner.append(null, page(0, [5n]), 'one')
    await owner.close()
    const { rows } = await admin.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'member_a' ORDER BY 1`,
    )
    expect(rows.map(x => x.table_name)).toEqual(['idx_entities', 'idx_meta', 'idx_usage'])
    // A service role with DML rights only (no CREATE on the schema) uses the tables created beforehand.
    await admin.query(`
      CREATE ROLE index_writer LOGIN;
      GRANT USAGE ON SCHEMA member_a TO index_writer;
      GRANT SELECT, INSERT, UPDATE ON member_a.idx_meta, member_a.idx_usage, member_a.idx_entities TO index_writer;`)
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

  it('refuses tables of a later schema version, and a schema that does not exist yet (until it does)', async () => {
    const prefix = fresh()
    const first = new PostgresIndexStore({ pool: admin, prefix })
    await first.ready()
    await first.close()
    await admin.query(`UPDATE ${prefix}meta SET schema = 3`)
    const newer = new PostgresIndexStore({ pool: admin, prefix })
    await expect(newer.position()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE', details: { got: '3' } })
    const later = new PostgresIndexStore({ pool: admin, schema: 'later_schema' })
    const e = await later.ready().catch(x => x)
    expect(e).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect(e.cause).toBeInstanceOf(Error)
    // A failed start is not remembered: once the schema exists, the same store opens.
    await admin.query('CREATE SCHEMA later_schema')
    await later.append(null, page(0, [3n]), 'c')
    expect(await later.position()).toEqual({ cursor: 'c', events: 1 })
  })

  it('reads everything again from tables of schema 1, which kept no datasets or grants', async () => {
    const prefix = fresh()
    const old = new PostgresIndexStore({ pool: admin, prefix })
    await old.append(null, page(0, [5n, 6n]), 'two')
    await old.close()
    // Tables as version 1 left them: no entities table, schema 1.
    await admin.query(`DROP TABLE ${prefix}entities; UPDATE ${prefix}meta SET schema = 1`)
    const upgraded = new PostgresIndexStore({ pool: admin, prefix })
    expect(await upgraded.position()).toEqual({ cursor: null, events: 0 })
    expect(await upgraded.usage({})).toEqual([])
    const d = datasetEntity('d'.repeat(64) as DatasetId)
    await upgraded.append(null, page(0, [5n]), 'one', [d])
    expect(await upgraded.entities('dataset')).toEqual([d])
    await upgraded.close()
    const { rows } = await admin.query(`SELECT schema FROM ${prefix}meta`)
    expect(rows).toEqual([{ schema: 2 }])
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
        () => index.currencies({ provider: toMemberId('p1'), consumer: toMemberId('c1'), period: 2 }),
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
        () => s.currencies({ provider: toMemberId('p'), consumer: toMemberId('c'), period: 0 }),
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
