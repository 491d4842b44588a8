import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type {
  EventPage,
  LedgerAdapter,
  LedgerEvent,
  LedgerEventRecord,
  SubmitResult,
  SubscribeOptions,
} from '@datapact/core'
import { DatapactError, LedgerError } from '@datapact/core'
import { decode, encode, records, schema } from '@datapact/core/codec'
import {
  executeQuery,
  executeRule,
  type QueryArgs,
  type QueryName,
  type QueryResults,
  type StatePort,
  type WriteArgs,
  type WriteRuleName,
} from '@datapact/core/rules'

/** Options of {@link MemoryLedger}. */
export interface MemoryLedgerOptions {
  /** Ledger time in whole seconds; defaults to the wall clock. Inject one to test expiry. */
  clock?: () => number
  /** When set, the ledger is loaded from this file if it exists and saved to it after every commit. */
  file?: string
  /**
   * The member that bootstraps the consortium (its first admin), fixed for this ledger: nobody else can take the
   * bootstrap. Default: whoever joins first.
   */
  admin?: string
}

const snapshotSchema = schema.object({
  format: schema.literal('datapact-memory-ledger/1'),
  state: schema.array(schema.object({ key: schema.string(2048, 1), value: schema.bytes({}) }), 100_000_000),
  events: schema.array(records.eventRecord, 100_000_000),
})

const wallClock = () => Math.floor(Date.now() / 1000)

const badOption = (argument: string, expected: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}`, { details: { argument, expected } })

function checkClock(clock: unknown): void {
  if (typeof clock !== 'function') throw badOption('clock', 'a function returning whole seconds')
}

/** Calls a subscriber; its failure must not turn a commit into a reported failure, nor stop other subscribers. */
function deliver(listener: (e: LedgerEventRecord) => void, event: LedgerEventRecord): void {
  try {
    listener(event)
  } catch {
    // The subscriber's own error; the ledger has committed regardless.
  }
}

/**
 * An in-memory ledger: the consortium's rules (core's ledger program) run in process, many members share one
 * ledger, every call is an atomic transaction (a refused call leaves the state byte-identical), and every
 * committed transaction appends its events. Zero setup: the default for demos and for users' own tests.
 *
 * @example
 * ```ts
 * const ledger = new MemoryLedger()
 * const alice = await Datapact.open({ ledger: ledger.as(aliceKeys.memberId), keys: aliceKeys })
 * ```
 */
export class MemoryLedger {
  readonly #state = new Map<string, Uint8Array>()
  readonly #events: LedgerEventRecord[] = []
  readonly #listeners = new Set<(e: LedgerEventRecord) => void>()
  #clock: () => number
  readonly #file: string | undefined
  readonly #admin: string | null
  #queue: Promise<unknown> = Promise.resolve()
  #txCount = 0

  constructor(options: MemoryLedgerOptions = {}) {
    if (typeof options !== 'object' || options === null) throw badOption('options', 'an object')
    if (options.clock !== undefined) checkClock(options.clock)
    if (options.file !== undefined && (typeof options.file !== 'string' || options.file.length === 0))
      throw badOption('options.file', 'a file path')
    if (options.admin !== undefined) records.memberId.check(options.admin, 'options.admin')
    this.#clock = options.clock ?? wallClock
    this.#file = options.file
    this.#admin = options.admin ?? null
    if (this.#file) {
      let bytes: Uint8Array | undefined
      try {
        bytes = readFileSync(this.#file)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
      if (bytes) this.restore(bytes)
    }
  }

  /**
   * A connection to this ledger acting as `memberId` (the identity a real ledger would authenticate).
   *
   * @param memberId - The member identity; printable ASCII, no spaces.
   * @returns A {@link LedgerAdapter}; closing it does not affect the ledger or other connections.
   */
  as(memberId: string): LedgerAdapter {
    records.memberId.check(memberId, 'memberId')
    return new MemoryConnection(this, memberId)
  }

  /** Replaces the clock (seconds). */
  setClock(clock: () => number): void {
    checkClock(clock)
    this.#clock = clock
  }

  /** Current ledger time in seconds. */
  now(): number {
    return this.#clock()
  }

  /** Canonical bytes of the whole ledger (state and events). Equal ledgers give equal bytes. */
  snapshot(): Uint8Array {
    const state = [...this.#state.keys()].sort().map(key => ({ key, value: this.#state.get(key)! }))
    return encode(snapshotSchema, { format: 'datapact-memory-ledger/1', state, events: this.#events })
  }

  /** Replaces the whole ledger with a snapshot taken by {@link MemoryLedger.snapshot}. */
  restore(snapshot: Uint8Array): void {
    const s = decode(snapshotSchema, snapshot, 'snapshot')
    this.#state.clear()
    for (const { key, value } of s.state) this.#state.set(key, value)
    this.#events.length = 0
    this.#events.push(...s.events)
    this.#txCount = this.#events.length === 0 ? 0 : Number(this.#events.at(-1)!.txId.slice(3))
  }

  /**
   * Direct, rule-free access to the stored state and events, for tests that forge history beneath the rules
   * (to prove the audit verifier catches it). Never use it in an application.
   */
  unsafeInternals(): { state: Map<string, Uint8Array>; events: LedgerEventRecord[] } {
    return { state: this.#state, events: this.#events }
  }

  /** @internal Runs one rule as one atomic transaction, serialised with all others. */
  submit(caller: string, rule: WriteRuleName, args: unknown): Promise<SubmitResult> {
    const run = this.#queue.then(async () => {
      const tx = new TxPort(this.#state, caller, this.#clock(), this.#admin)
      await executeRule(tx, rule, args as never)
      const txId = `tx-${++this.#txCount}`
      tx.commit()
      // The history keeps its own copies: a caller that later mutates an argument's bytes cannot rewrite it.
      const events = structuredClone(tx.events)
      const committed = events.map(
        (event, i): LedgerEventRecord => ({
          cursor: String(this.#events.length + i + 1),
          txId,
          at: tx.time,
          caller,
          event,
        }),
      )
      this.#events.push(...committed)
      if (this.#file) this.#save()
      for (const e of committed) for (const l of this.#listeners) deliver(l, e)
      return { txId, events: structuredClone(events) }
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** @internal */
  query(caller: string, name: QueryName, args: unknown): Promise<unknown> {
    return executeQuery(new TxPort(this.#state, caller, this.#clock(), this.#admin), name, args as never)
  }

  /** @internal */
  readEvents(after: string | null | undefined, limit: number): EventPage {
    const start = after ? Number(after) : 0
    if (!Number.isSafeInteger(start) || start < 0)
      throw new DatapactError('INVALID_INPUT', '"after" must be a cursor returned by readEvents', {
        details: { argument: 'after' },
      })
    const events = this.#events.slice(start, start + limit)
    return { events, cursor: events.at(-1)?.cursor ?? after ?? null }
  }

  /** @internal */
  subscribe(listener: (e: LedgerEventRecord) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #save(): void {
    const tmp = `${this.#file}.tmp`
    writeFileSync(tmp, this.snapshot())
    renameSync(tmp, this.#file!)
  }
}

/** The port of one transaction: reads see its own writes; nothing reaches the ledger until commit. */
class TxPort implements StatePort {
  readonly #base: Map<string, Uint8Array>
  readonly #writes = new Map<string, Uint8Array | undefined>()
  readonly #caller: string
  readonly events: LedgerEvent[] = []
  readonly time: number
  readonly #admin: string | null

  constructor(base: Map<string, Uint8Array>, caller: string, time: number, admin: string | null) {
    this.#base = base
    this.#caller = caller
    this.time = time
    this.#admin = admin
  }
  genesisAdmin() {
    return this.#admin
  }

  async get(key: string) {
    return this.#writes.has(key) ? this.#writes.get(key) : this.#base.get(key)
  }
  async put(key: string, value: Uint8Array) {
    this.#writes.set(key, value.slice())
  }
  async delete(key: string) {
    this.#writes.set(key, undefined)
  }
  async range(prefix: string) {
    const keys = new Set<string>()
    for (const k of this.#base.keys()) if (k.startsWith(prefix)) keys.add(k)
    for (const k of this.#writes.keys()) if (k.startsWith(prefix)) keys.add(k)
    const out: Array<[string, Uint8Array]> = []
    for (const k of [...keys].sort()) {
      const v = await this.get(k)
      if (v !== undefined) out.push([k, v])
    }
    return out
  }
  caller() {
    return this.#caller
  }
  now() {
    return this.time
  }
  emit(event: LedgerEvent) {
    this.events.push(event)
  }
  commit() {
    for (const [k, v] of this.#writes) v === undefined ? this.#base.delete(k) : this.#base.set(k, v)
  }
}

class MemoryConnection implements LedgerAdapter {
  readonly kind = 'memory'
  readonly memberId: string
  readonly #ledger: MemoryLedger
  #closed = false
  readonly #unsubscribes = new Set<() => void>()

  constructor(ledger: MemoryLedger, memberId: string) {
    this.#ledger = ledger
    this.memberId = memberId
  }

  #open(): void {
    if (this.#closed)
      throw new LedgerError('CLOSED', `the connection of ${this.memberId} is closed`, { ledger: 'memory' })
  }

  async submit<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): Promise<SubmitResult> {
    this.#open()
    return this.#ledger.submit(this.memberId, rule, args)
  }

  async query<N extends QueryName>(name: N, args: QueryArgs[N]): Promise<QueryResults[N]> {
    this.#open()
    return (await this.#ledger.query(this.memberId, name, args)) as QueryResults[N]
  }

  async readEvents(options: { after?: string | null; limit?: number } = {}): Promise<EventPage> {
    this.#open()
    return this.#ledger.readEvents(options.after, options.limit ?? 10_000)
  }

  subscribe(listener: (event: LedgerEventRecord) => void, options: SubscribeOptions = {}): () => void {
    this.#open()
    let off = () => {}
    let stopped = false
    const start = () => {
      if (stopped) return
      // Replay and registration happen in one synchronous step, between commits: no gap, no repeat.
      if (options.after !== undefined) {
        let after = options.after
        for (;;) {
          const page = this.#ledger.readEvents(after, 10_000)
          if (page.events.length === 0) break
          for (const e of page.events) deliver(listener, e)
          after = page.cursor
        }
      }
      off = this.#ledger.subscribe(listener)
    }
    if (options.after === undefined) start()
    else queueMicrotask(start)
    const unsubscribe = () => {
      stopped = true
      off()
      this.#unsubscribes.delete(unsubscribe)
    }
    this.#unsubscribes.add(unsubscribe)
    return unsubscribe
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const off of this.#unsubscribes) off()
    this.#unsubscribes.clear()
  }
}
