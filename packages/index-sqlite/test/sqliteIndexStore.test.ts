import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLedger } from '@datapact/adapter-memory'
import {
  buildStatement,
  Datapact,
  generateMemberKeys,
  type LedgerAdapter,
  type LedgerEventRecord,
  MemoryIndexStore,
  toDatasetId,
  toDigest,
  toMemberId,
  toNonce,
  type UsageQuery,
  type UsageRecord,
} from '@datapact/core'
import { TERMS, testBytes } from '@datapact/core/testing'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteIndexStore } from '../src/index.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'datapact-index-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

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

describe('SqliteIndexStore', () => {
  it('resumes from its stored cursor after a restart: close, reopen, new events, the same statement', async () => {
    const s = await story()
    const file = join(dir, 'alice.sqlite')
    await s.meter(3)
    const first = observed(s.alice.ledger)
    const index = new SqliteIndexStore(file)
    const a1 = await Datapact.open({ ledger: first.ledger, keys: s.alice.keys, index })
    const st1 = await a1.billing.statement({ consumer: s.b.memberId })
    expect(st1).toEqual(await s.replayed())
    expect(st1.count).toBe(3)
    expect(first.reads[0]).toBeNull() // an empty index reads from genesis
    const stopped = (await index.position()).cursor
    await index.close()

    await s.meter(2)
    const second = observed(s.alice.ledger)
    const reopened = new SqliteIndexStore(file)
    expect((await reopened.position()).cursor).toBe(stopped)
    const a2 = await Datapact.open({ ledger: second.ledger, keys: s.alice.keys, index: reopened })
    const st2 = await a2.billing.statement({ consumer: s.b.memberId })
    expect(second.reads[0]).toBe(stopped) // resumed where it stopped, not from genesis
    expect(st2).toEqual(await s.replayed())
    expect(st2.count).toBe(5)
    expect(await a2.usage.list({ consumer: s.b.memberId })).toHaveLength(5)
    await reopened.close()
  })

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

  it('lets two clients share one index file: the second one carries on from where the first stored', async () => {
    const s = await story()
    const file = join(dir, 'shared.sqlite')
    const i1 = new SqliteIndexStore(file)
    const i2 = new SqliteIndexStore(file)
    const c1 = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index: i1 })
    const c2 = await Datapact.open({ ledger: s.alice.ledger, keys: s.alice.keys, index: i2 })
    await s.meter(2)
    const [x, y] = await Promise.all([
      c1.billing.statement({ consumer: s.b.memberId }),
      c2.billing.statement({ consumer: s.b.memberId }),
    ])
    expect(x).toEqual(y)
    expect(x.count).toBe(2)
    await expect(i1.append(null, [], 'x')).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await i1.usage({})).toHaveLength(2)
    await i1.close()
    await i2.close()
  })

  it('answers every query as the memory index does (random pages and queries)', async () => {
    const [p1, p2, c1, c2, c3] = [
      toMemberId('p1'),
      toMemberId('p2'),
      toMemberId('c1'),
      toMemberId('c2'),
      toMemberId('c3'),
    ]
    const [d1, d2] = [toDatasetId('d1'.repeat(32)), toDatasetId('d2'.repeat(32))]
    const record = fc.record({
      provider: fc.constantFrom(p1, p2),
      consumer: fc.constantFrom(c1, c2, c3),
      datasetId: fc.constantFrom(d1, d2),
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
        provider: fc.constantFrom(p1, p2),
        consumer: fc.constantFrom(c1, c2, c3),
        datasetId: fc.constantFrom(d1, d2),
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
        // An in-memory database per run: the same SQL and indexes as a file, without the file system's cost.
        const sqlite = new SqliteIndexStore(':memory:')
        const memory = new MemoryIndexStore()
        let cursor: string | null = null
        let n = 0
        for (const page of pages) {
          const events = page.map((e, i): LedgerEventRecord => {
            const at = 1000 + n + i
            const common = { cursor: String(n + i), txId: `t${n}`, at, caller: c1 }
            if (e.type === 'MemberLeft') return { ...common, event: { type: 'MemberLeft', member: c1 } }
            const rec: UsageRecord = {
              ...e.x,
              version: 1,
              at,
              nonce: toNonce((n + i).toString(16).padStart(32, '0')),
              grantSeq: 1,
              wrapHash: toDigest(new Uint8Array(32).fill(i)),
            }
            return { ...common, event: { type: 'UsageRecorded', record: rec } }
          })
          n += events.length
          const to = String(n)
          await sqlite.append(cursor, events, to)
          await memory.append(cursor, events, to)
          cursor = to
        }
        expect(await sqlite.position()).toEqual(await memory.position())
        expect(await sqlite.usage(q)).toEqual(await memory.usage(q))
        expect(await sqlite.usage({})).toEqual(await memory.usage({}))
        const key = { provider: p1, consumer: c1, period: 0 }
        expect(await sqlite.currencies(key)).toEqual(await memory.currencies(key))
        await sqlite.close()
      }),
      { numRuns: 60, seed: 0x5eed },
    )
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
