import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLedger } from '@datapact/adapter-memory'
import { buildStatement, Datapact, generateMemberKeys, type LedgerEventRecord } from '@datapact/core'
import { TERMS, testBytes } from '@datapact/core/testing'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteIndexStore } from '../src/index.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'datapact-index-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

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

// The store contract (restart, sharing, random queries, CLOSED) runs in conformance.test.ts; these are SQLite's own.
describe('SqliteIndexStore', () => {
  it('leaves the index consistent when the database fails between the records and the cursor', async () => {
    const s = await story()
    const file = join(dir, 'alice.sqlite')
    await s.meter(2)
    const index = new SqliteIndexStore(file)
    const a = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index })
    expect((await a.billing.statement({ consumer: s.b.memberId })).count).toBe(2)
    const before = await index.position()
    await s.meter(3)
    // A second connection to the same file makes the database itself fail the cursor update of the next page,
    // after that page's records were inserted in the same transaction.
    const other = new Database(file)
    other.exec(`CREATE TRIGGER fail_cursor BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'forced'); END`)
    await expect(a.billing.statement({ consumer: s.b.memberId })).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    })
    expect(await index.position()).toEqual(before)
    expect(await index.usage({})).toHaveLength(2) // the records of the failed page were rolled back with it
    other.exec('DROP TRIGGER fail_cursor')
    other.close()
    const st = await a.billing.statement({ consumer: s.b.memberId })
    expect(st).toEqual(await s.replayed())
    expect(st.count).toBe(5) // neither skipped nor counted twice
    await index.close()
  })

  it('reads everything again from a file of schema 1, which kept no datasets or grants; refuses a later one', async () => {
    const { alice, a, b, meter } = await story()
    await meter(2)
    const file = join(dir, 'old.sqlite')
    const old = new SqliteIndexStore(file)
    const client = await Datapact.open({ ...alice, index: old })
    expect((await client.usage.list()).length).toBe(2)
    await old.close() // the client stays open: closing it would close alice's ledger connection
    // The file as version 1 left it: no entities table, schema 1.
    const db = new Database(file)
    db.exec('DROP TABLE entities; UPDATE meta SET schema = 1')
    db.close()
    const upgraded = new SqliteIndexStore(file)
    expect(await upgraded.position()).toEqual({ cursor: null, events: 0 })
    const again = await Datapact.open({ ...alice, index: upgraded })
    expect((await again.usage.list()).length).toBe(2)
    expect((await again.datasets.catalog()).map(d => d.owner)).toEqual([a.memberId])
    expect((await again.grants.list()).map(g => [g.grantee, g.used])).toEqual([[b.memberId, 2]])
    await upgraded.close()
    const later = new Database(file)
    later.exec('UPDATE meta SET schema = 3')
    later.close()
    expect(() => new SqliteIndexStore(file)).toThrow(expect.objectContaining({ code: 'LEDGER_UNAVAILABLE' }))
  })

  it('refuses bad arguments and calls after close with typed errors', async () => {
    expect(() => new SqliteIndexStore('')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => new SqliteIndexStore(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => new SqliteIndexStore(':memory:', { busyTimeout: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    expect(() => new SqliteIndexStore(join(dir, 'no', 'such', 'dir', 'x.sqlite'))).toThrow(
      expect.objectContaining({ code: 'LEDGER_UNAVAILABLE' }),
    )
    const s = new SqliteIndexStore(':memory:')
    await s.close()
    await expect(s.position()).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(s.usage({})).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
