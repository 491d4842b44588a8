import type { Arbitrary } from 'fast-check'
import { readAllEvents } from '../client/events.js'
import { buildStatement, Datapact } from '../client/index.js'
import { decode, encode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import type {
  Dataset,
  DatasetId,
  Digest,
  Grant,
  LedgerEventRecord,
  MemberId,
  Nonce,
  UsageRecord,
} from '../domain/index.js'
import { MAX_AMOUNT } from '../internal/assert.js'
import type { LedgerAdapter } from '../ledger/index.js'
import {
  grantKey,
  type IndexedEntity,
  type IndexStore,
  MemoryIndexStore,
  type UsageQuery,
} from '../ledgerIndex/index.js'
import { fastCheck } from './fastCheck.js'
import { TERMS, testBytes, world } from './fixtures.js'
import type { LedgerHarness } from './harness.js'
import { bindRunner, type ConformanceRunner } from './runner.js'

// The index stores check what they are given as a ledger would have written it, so the fixtures' ids are valid
// ledger ids: short member ids, and dataset ids of 64 hex characters ending in the given tag (`d1` ...).
const member = (id: string) => id as MemberId
const dataset = (tag: string) => tag.padStart(64, '0') as DatasetId
const nonceOf = (n: number) => n.toString(16).padStart(32, '0') as Nonce
const digestOf = (fill: number) => new Uint8Array(32).fill(fill) as Digest

/** What an index store gives {@link describeIndexStoreConformance}: a fresh ledger, and its stores by name. */
export interface IndexStoreHarness {
  /** A fresh, empty ledger for this test. */
  readonly ledger: LedgerHarness
  /**
   * Opens the index store named `name`. Opening a name again, after closing or while open, reaches the same stored
   * index (the file or tables a restarted process, or a second process, opens); another name is another, empty,
   * index. The suite closes what it opened.
   */
  open(name: string): IndexStore | Promise<IndexStore>
  /** Removes what the setup made for this test (the ledger harness's teardown included). */
  teardown(): Promise<void>
}

/** Options of {@link describeIndexStoreConformance}. */
export interface IndexStoreConformanceOptions {
  /** Per-test timeout in ms. Default 60 s. */
  timeout?: number
  /** Runs of the random pages and queries compared with {@link MemoryIndexStore}. Default 40. */
  propertyRuns?: number
  /** The test runner's functions; default: the runner's globals (jest, or vitest with `globals: true`). */
  runner?: ConformanceRunner
}

/**
 * A page of synthetic ledger events to append to an index store directly, after `n` earlier events: for each
 * amount a `UsageRecorded` event (provider `p1`, consumer `c1`, dataset `d1`, period 2, CNY), for each null a
 * `MemberLeft` event. Event `i` has the cursor `String(n + i)`.
 *
 * @param n - Events before this page (the first event's `seq`).
 * @param amounts - One entry per event.
 * @returns The events.
 */
export function usagePage(n: number, amounts: ReadonlyArray<bigint | null>): LedgerEventRecord[] {
  return amounts.map((amount, i): LedgerEventRecord => {
    const at = 1000 + n + i
    const common = { cursor: String(n + i), txId: `t${n}`, at, caller: member('c1') }
    if (amount === null) return { ...common, event: { type: 'MemberLeft', member: member('c1') } }
    const record: UsageRecord = {
      datasetId: dataset('d1'),
      version: 1,
      consumer: member('c1'),
      provider: member('p1'),
      bytes: 1 << 30,
      amount,
      currency: 'CNY',
      period: 2,
      at,
      nonce: nonceOf(n + i),
      grantSeq: 1,
      wrapHash: digestOf(i),
    }
    return { ...common, event: { type: 'UsageRecorded', record } }
  })
}

/**
 * A dataset as an index store is given it: its canonical bytes under its id (owner `p1`, title `T`).
 *
 * @param id - The dataset id.
 * @param description - Its description (default empty): a long one makes a large value.
 * @returns The entity.
 */
export function datasetEntity(id: DatasetId, description = ''): IndexedEntity {
  const value: Dataset = {
    id,
    owner: member('p1'),
    metadata: { title: 'T', description, tags: [], mediaType: '', schema: '' },
    terms: { pricePerAccess: 1n, pricePerByte: 0n, currency: 'CNY', licence: '' },
    listed: true,
    status: 'active',
    latestVersion: 1,
    grantCount: 0,
    createdAt: 1000,
  }
  return { kind: 'dataset', key: id, value: encode(r.dataset, value) }
}

/**
 * A grant as an index store is given it: its canonical bytes under `datasetId/grantee` (sequence 1, active).
 *
 * @param datasetId - The dataset.
 * @param grantee - The grantee's member id.
 * @param used - Accesses used so far (default 0).
 * @returns The entity.
 */
export function grantEntity(datasetId: DatasetId, grantee: string, used = 0): IndexedEntity {
  const value: Grant = {
    datasetId,
    grantee: member(grantee),
    seq: 1,
    scope: { kind: 'all', version: 0 },
    expiresAt: null,
    maxAccesses: null,
    priceOverride: null,
    terms: { pricePerAccess: 1n, pricePerByte: 0n, currency: 'CNY' },
    used,
    state: 'active',
    grantedAt: 1000,
    revokedAt: null,
    lastUsedAt: null,
  }
  return { kind: 'grant', key: grantKey(datasetId, value.grantee), value: encode(r.grant, value) }
}

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

/**
 * The index-store conformance suite: the {@link IndexStore} contract every store keeps (memory, SQLite,
 * PostgreSQL). A client resumes from the stored cursor after a restart and gives the statement of a full replay;
 * stores sharing one index append each page once (CONFLICT, nothing stored, for a stale cursor); amounts of any
 * size and every field come back exactly; random pages and queries give what {@link MemoryIndexStore} gives; calls
 * after `close()` reject with CLOSED. Run it beside {@link describeLedgerConformance} with the store under every
 * client; a store's own failure cases (a database failing half-way, a server gone) stay in its own tests.
 *
 * @param name - The store, shown in test titles.
 * @param setup - Creates a fresh ledger and a place for the stores of each test.
 * @param options - Timeout, property runs and the test runner.
 * @throws `Error` when no runner is given and the runner's globals are not defined; when the property case runs
 *   without fast-check installed. The tests themselves fail with the runner's assertion errors.
 * @example
 * ```ts
 * describeIndexStoreConformance('sqlite', async () => ({
 *   ledger: createMemoryHarness(),
 *   open: name => new SqliteIndexStore(join(dir, `${name}.sqlite`)),
 *   teardown: async () => {},
 * }), { runner: { describe, it, expect, beforeEach, afterEach } })
 * ```
 */
export function describeIndexStoreConformance(
  name: string,
  setup: () => Promise<IndexStoreHarness>,
  options: IndexStoreConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 60_000
  const { describe, it, expect, beforeEach, afterEach } = bindRunner(options.runner, timeout)
  describe(`index store conformance: ${name}`, () => {
    let h: IndexStoreHarness
    let opened: IndexStore[]
    beforeEach(async () => {
      h = await setup()
      opened = []
    }, timeout)
    afterEach(async () => {
      for (const s of opened) await s.close().catch(() => undefined)
      await h?.teardown()
    }, timeout)
    const open = async (name: string) => {
      const s = await h.open(name)
      opened.push(s)
      return s
    }

    /** The standard world with one dataset granted to the consumer, metering, and the replayed statement. */
    const story = async () => {
      const w = await world(h.ledger)
      const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(100) })
      await w.provider.client.grants.grant(id, w.consumer.id)
      const meter = (n: number) =>
        w.consumer.client.usage.record(Array.from({ length: n }, () => ({ datasetId: id, version: 1 })))
      const { periodSeconds } = await w.provider.client.members.settings()
      /** The statement of a full replay from genesis, to compare with. */
      const replayed = async () => {
        const records = (await readAllEvents(w.regulator.ledger)).flatMap(({ event: e }) =>
          e.type === 'UsageRecorded' ? [e.record] : [],
        )
        const key = { provider: w.provider.id, consumer: w.consumer.id, period: records[0]!.period, currency: 'CNY' }
        return buildStatement(key, periodSeconds, records, await w.regulator.ledger.query('getSettlement', key))
      }
      return { w, meter, replayed }
    }

    it('resumes from its stored cursor after a restart: close, reopen, new events, the same statement', async () => {
      const { w, meter, replayed } = await story()
      await meter(3)
      const first = observed(w.provider.ledger)
      const index = await open('provider')
      const c1 = await Datapact.open({ ledger: first.ledger, keys: w.provider.keys, index })
      const st1 = await c1.billing.statement({ consumer: w.consumer.id })
      expect(st1).toEqual(await replayed())
      expect(st1.count).toBe(3)
      expect(first.reads[0]).toBeNull() // an empty index reads from genesis
      const stopped = (await index.position()).cursor
      // The client stays open (closing it would close the world's ledger connection it shares); the store closes.
      await index.close()

      await meter(2)
      const second = observed(w.provider.ledger)
      const reopened = await open('provider')
      expect((await reopened.position()).cursor).toBe(stopped)
      const c2 = await Datapact.open({ ledger: second.ledger, keys: w.provider.keys, index: reopened })
      const st2 = await c2.billing.statement({ consumer: w.consumer.id })
      expect(second.reads[0]).toBe(stopped) // resumed where it stopped, not from genesis
      expect(st2).toEqual(await replayed())
      expect(st2.count).toBe(5)
      expect(await c2.usage.list({ consumer: w.consumer.id })).toHaveLength(5)
    })

    it('lets two clients share one index: the stale one gets CONFLICT and stores nothing', async () => {
      const { w, meter } = await story()
      const i1 = await open('shared')
      const i2 = await open('shared')
      const c1 = await Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, index: i1 })
      const c2 = await Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, index: i2 })
      await meter(2)
      const [x, y] = await Promise.all([
        c1.billing.statement({ consumer: w.consumer.id }),
        c2.billing.statement({ consumer: w.consumer.id }),
      ])
      expect(x).toEqual(y)
      expect(x.count).toBe(2)
      const at = await i1.position()
      await expect(i1.append(null, [], 'x')).rejects.toMatchObject({ code: 'CONFLICT' })
      // A stale store appending a page with records after an old cursor: refused, nothing of it stored.
      await expect(i2.append('0', usagePage(at.events, [1n, 2n]), 'y')).rejects.toMatchObject({
        code: 'CONFLICT',
      })
      expect(await i1.position()).toEqual(at)
      expect(await i1.usage({})).toHaveLength(2)
      expect(await i2.usage({})).toEqual(await i1.usage({}))
    })

    it('stores a page once when several stores append after the same cursor at once', async () => {
      const stores = await Promise.all([1, 2, 3, 4].map(() => open('raced')))
      const results = await Promise.allSettled(
        stores.map((x, i) => x.append(null, usagePage(0, [BigInt(i)]), `to${i}`)),
      )
      expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' })
      const winner = results.findIndex(r => r.status === 'fulfilled')
      for (const x of stores) {
        expect(await x.position()).toEqual({ cursor: `to${winner}`, events: 1 })
        expect((await x.usage({})).map(u => u.record.amount)).toEqual([BigInt(winner)])
      }
    })

    it('keeps datasets and grants by kind and key: the last value given wins, read by key prefix in key order', async () => {
      const index = await open('entities')
      const [d1, d2, d3] = [dataset('d1'), dataset('d2'), dataset('d3')]
      await index.append(null, usagePage(0, [1n]), 'a', [
        grantEntity(d2, 'bob'),
        grantEntity(d1, 'bob', 2),
        datasetEntity(d1),
        grantEntity(d1, 'alice', 4),
        grantEntity(d1, 'Zed', 5),
      ])
      const large = datasetEntity(d2, '数据'.repeat(r.LIMITS.description / 2))
      await index.append('a', [], 'b', [grantEntity(d1, 'bob', 6), large])
      const grants = async (prefix?: string) =>
        (await index.entities('grant', prefix)).map(x => [x.key, decode(r.grant, x.value).used])
      // Key order is UTF-16 code unit order: 'Zed' before 'alice', whatever the locale says.
      expect(await grants()).toEqual([
        [`${d1}/Zed`, 5],
        [`${d1}/alice`, 4],
        [`${d1}/bob`, 6],
        [`${d2}/bob`, 0],
      ])
      expect(await grants(`${d1}/`)).toEqual([
        [`${d1}/Zed`, 5],
        [`${d1}/alice`, 4],
        [`${d1}/bob`, 6],
      ])
      const datasets = await index.entities('dataset')
      expect(datasets.map(x => x.key)).toEqual([d1, d2])
      expect(datasets[1]).toEqual(large) // every byte of a value of over 12 KB
      expect(await index.entities('grant', 'nobody/')).toEqual([])
      // A refused page stores none of its entities either.
      await expect(index.append('a', [], 'c', [datasetEntity(d3)])).rejects.toMatchObject({ code: 'CONFLICT' })
      expect(await index.entities('dataset')).toHaveLength(2)
      expect(await index.position()).toEqual({ cursor: 'b', events: 1 })
    })

    it('refuses malformed arguments with INVALID_INPUT and changes nothing; keeps no reference to what it was given', async () => {
      const index = await open('malformed')
      const events = usagePage(0, [1n, null])
      await index.append(null, events, 'a', [datasetEntity(dataset('d1'))])
      const before = { position: await index.position(), usage: await index.usage({}) }
      const entitiesBefore = await index.entities('dataset')
      const valid = usagePage(2, [2n])[0]!
      const usage = (change: (record: Record<string, unknown>) => void) => {
        const record: Record<string, unknown> = { ...(valid.event as { record: UsageRecord }).record }
        change(record)
        return [{ ...valid, event: { type: 'UsageRecorded', record } }]
      }
      const badAppends: Array<[string, unknown[]]> = [
        ['from', [5, [], 'b']],
        ['from', ['', [], 'b']],
        ['events', ['a', 'not events', 'b']],
        ['events', ['a', [null], 'b']],
        ['events', ['a', [{ ...valid, cursor: undefined }], 'b']],
        ['events', ['a', [{ ...valid, event: { type: 'NoSuchEvent' } }], 'b']],
        ['events', ['a', usage(x => (x.datasetId = 'd1')), 'b']],
        ['events', ['a', usage(x => (x.amount = MAX_AMOUNT + 1n)), 'b']],
        ['events', ['a', usage(x => (x.amount = 5)), 'b']],
        ['events', ['a', usage(x => (x.wrapHash = 'not bytes')), 'b']],
        ['events', ['a', usage(x => (x.extra = 1)), 'b']],
        ['to', ['a', [], null]],
        ['to', ['a', [], 'x'.repeat(129)]],
        ['entities', ['a', [], 'b', 'not entities']],
        ['entities', ['a', [], 'b', [{ ...datasetEntity(dataset('d2')), kind: 'member' }]]],
        ['entities', ['a', [], 'b', [{ ...datasetEntity(dataset('d2')), key: dataset('d3') }]]],
        ['entities', ['a', [], 'b', [{ ...datasetEntity(dataset('d2')), value: 'bytes' }]]],
        ['entities', ['a', [], 'b', [{ ...datasetEntity(dataset('d2')), value: Uint8Array.of(1, 2, 3) }]]],
        ['entities', ['a', [], 'b', [{ ...grantEntity(dataset('d2'), 'bob'), kind: 'dataset' }]]],
      ]
      /** How a call was refused, labelled so that a failure names the call. */
      const refusal = async (call: string, run: () => Promise<unknown>) => {
        type Refused = { code?: string; details?: { argument?: string } } | undefined
        const e = await run().then(
          () => undefined,
          (x: unknown) => x as Refused,
        )
        return { call, code: e?.code, argument: e?.details?.argument?.split(/[.[]/)[0] }
      }
      const append = (index.append as (...a: unknown[]) => Promise<void>).bind(index)
      for (const [argument, args] of badAppends)
        expect(await refusal(`append ${argument}`, () => append(...args))).toEqual({
          call: `append ${argument}`,
          code: 'INVALID_INPUT',
          argument,
        })
      const invalid = async (call: string, run: () => Promise<unknown>) =>
        expect(await refusal(call, run)).toMatchObject({ call, code: 'INVALID_INPUT' })
      for (const q of [
        'query',
        null,
        { limit: -1 },
        { offset: 1.5 },
        { afterSeq: -2 },
        { provider: 5 },
        { datasetId: 'd1' },
        { currency: 'cny' },
        { period: -1 },
        { unknown: 1 },
      ])
        await invalid(`usage ${JSON.stringify(q)}`, () => index.usage(q as UsageQuery))
      for (const [kind, prefix] of [
        ['member', ''],
        ['dataset', 5],
        ['grant', 'x'.repeat(600)],
      ] as const)
        await invalid(`entities ${kind} ${prefix}`, () => index.entities(kind as 'grant', prefix as string))
      for (const key of [
        undefined,
        {},
        { provider: 'p1', consumer: 'c1' },
        { provider: 'p1', consumer: 'c1', period: 'x' },
      ])
        await invalid(`currencies ${JSON.stringify(key)}`, () => index.currencies(key as never))
      expect(await index.position()).toEqual(before.position)
      expect(await index.usage({})).toEqual(before.usage)
      expect(await index.entities('dataset')).toEqual(entitiesBefore)
      // What the store keeps is its own: changing the given events and bytes afterwards changes nothing stored.
      const given = events[0]!.event as { record: UsageRecord }
      given.record.amount = 99n
      given.record.wrapHash.fill(0xff)
      expect(await index.usage({})).toEqual(before.usage)
      expect(before.usage[0]!.record.amount).toBe(1n)
    })

    it('hands out copies: changing what usage and entities return changes nothing stored', async () => {
      const index = await open('copies')
      await index.append(null, usagePage(0, [7n, 8n]), 'a', [datasetEntity(dataset('d1'))])
      const first = await index.usage({})
      first[0]!.seq = 99
      first[0]!.record.amount = 1n
      first[0]!.record.consumer = member('mallory')
      first[0]!.record.wrapHash.fill(0xee)
      first.pop()
      ;(await index.entities('dataset'))[0]!.value.fill(0)
      const again = await index.usage({})
      expect(again.map(x => [x.seq, x.record.amount, x.record.consumer, x.record.wrapHash[0]])).toEqual([
        [0, 7n, 'c1', 0],
        [1, 8n, 'c1', 1],
      ])
      expect(await index.usage({ consumer: member('c1'), provider: member('p1'), period: 2 })).toEqual(again)
      expect(await index.entities('dataset')).toEqual([datasetEntity(dataset('d1'))])
    })

    it('keeps amounts beyond 2^63, up to the largest a ledger takes, and every other field of a record exactly', async () => {
      const index = await open('amounts')
      const amounts = [0n, (1n << 63n) - 1n, 1n << 63n, 1n << 64n, (1n << 100n) + 7n, MAX_AMOUNT]
      const events = usagePage(0, [...amounts, null])
      await index.append(null, events, 'end')
      const stored = await index.usage({})
      expect(stored.map(x => x.record.amount)).toEqual(amounts)
      expect(stored).toEqual(
        events.flatMap((e, seq) => (e.event.type === 'UsageRecorded' ? [{ seq, record: e.event.record }] : [])),
      )
      expect(await index.position()).toEqual({ cursor: 'end', events: amounts.length + 1 })
    })

    it('answers every query as the memory index does (random pages and queries)', async () => {
      const fc = fastCheck()
      const record = fc.record({
        provider: fc.constantFrom(member('p1'), member('p2')),
        consumer: fc.constantFrom(member('c1'), member('c2'), member('c3')),
        datasetId: fc.constantFrom(dataset('d1'), dataset('d2')),
        period: fc.integer({ min: 0, max: 2 }),
        currency: fc.constantFrom('CNY', 'EUR'),
        amount: fc.bigInt({ min: 0n, max: (1n << 100n) - 1n }),
        bytes: fc.nat(1 << 30),
      })
      const event = fc.oneof(
        record.map(x => ({ type: 'UsageRecorded' as const, x })),
        fc.constant({ type: 'MemberLeft' as const }),
      )
      const query = fc.record(
        {
          provider: fc.constantFrom(member('p1'), member('p2')),
          consumer: fc.constantFrom(member('c1'), member('c2'), member('c3')),
          datasetId: fc.constantFrom(dataset('d1'), dataset('d2')),
          period: fc.integer({ min: 0, max: 2 }),
          currency: fc.constantFrom('CNY', 'EUR'),
          afterSeq: fc.integer({ min: -1, max: 40 }),
          offset: fc.nat(5),
          limit: fc.integer({ min: 1, max: 10 }),
        },
        { requiredKeys: [] },
      ) as Arbitrary<UsageQuery>
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(event, { maxLength: 8 }), { maxLength: 6 }), query, async (pages, q) => {
          const store = await open(`random${++run}`)
          const memory = new MemoryIndexStore()
          let cursor: string | null = null
          let n = 0
          for (const page of pages) {
            const events = page.map((e, i): LedgerEventRecord => {
              const at = 1000 + n + i
              const common = { cursor: String(n + i), txId: `t${n}`, at, caller: member('c1') }
              if (e.type === 'MemberLeft') return { ...common, event: { type: 'MemberLeft', member: member('c1') } }
              const rec: UsageRecord = {
                ...e.x,
                version: 1,
                at,
                nonce: nonceOf(n + i),
                grantSeq: 1,
                wrapHash: digestOf(i),
              }
              return { ...common, event: { type: 'UsageRecorded', record: rec } }
            })
            n += events.length
            const to = String(n)
            await store.append(cursor, events, to)
            await memory.append(cursor, events, to)
            cursor = to
          }
          expect(await store.position()).toEqual(await memory.position())
          expect(await store.usage(q)).toEqual(await memory.usage(q))
          expect(await store.usage({})).toEqual(await memory.usage({}))
          const key = { provider: member('p1'), consumer: member('c1'), period: 0 }
          expect(await store.currencies(key)).toEqual(await memory.currencies(key))
          await store.close()
        }),
        { numRuns: options.propertyRuns ?? 40, seed: 0x5eed },
      )
    })

    it('rejects every call after close with CLOSED; closing again does nothing', async () => {
      const s = await open('closed')
      await s.append(null, usagePage(0, [1n]), 'a')
      await s.close()
      await s.close()
      for (const call of [
        () => s.position(),
        () => s.append('a', [], 'b'),
        () => s.usage({}),
        () => s.currencies({ provider: member('p1'), consumer: member('c1'), period: 2 }),
      ])
        await expect(call()).rejects.toMatchObject({ code: 'CLOSED' })
      const again = await open('closed')
      expect(await again.position()).toEqual({ cursor: 'a', events: 1 })
    })
  })
}
