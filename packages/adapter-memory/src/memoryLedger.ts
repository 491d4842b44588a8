import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type {
  EventPage,
  LedgerAdapter,
  LedgerEvent,
  LedgerEventRecord,
  MemberId,
  SubmitResult,
  SubscribeOptions,
} from '@datapact/core'
import { checkReadEventsOptions, DatapactError, LedgerError, subscribeSafely } from '@datapact/core'
import { decode, encode, records, schema } from '@datapact/core/codec'
import {
  executeQuery,
  executeRule,
  isQuery,
  isWriteRule,
  type QueryArgs,
  type QueryName,
  type QueryResults,
  roundTripArgs,
  roundTripResult,
  type StatePort,
  type WriteArgs,
  type WriteRuleName,
} from '@datapact/core/rules'

/** Options of {@link MemoryLedger}. */
export interface MemoryLedgerOptions {
  /** Ledger time in whole seconds; defaults to the wall clock. Inject one to test expiry. */
  clock?: () => number
  /**
   * When set, the ledger is loaded from this file if it exists and saved to it after every commit. Several
   * processes (or instances) may use one file in turn: before each call, a ledger whose file was replaced by
   * another writer since it last read or wrote it reloads it first. Calls must not overlap across processes (the
   * file has no lock): two writers at the same instant can lose one's transaction.
   */
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

const unknownRule = (name: unknown, what: string) =>
  new DatapactError('INVALID_INPUT', `unknown ${what}`, {
    details: { argument: 'rule', expected: `the name of a ${what}`, got: typeof name },
  })

const badOption = (argument: string, expected: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}`, { details: { argument, expected } })

/** The options, read once: a plain object with only `clock` and `file` (a throwing getter is INVALID_INPUT). */
function readLedgerOptions(given: unknown): MemoryLedgerOptions {
  try {
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw badOption('options', 'an object')
    const proto = Object.getPrototypeOf(given)
    if (proto !== Object.prototype && proto !== null) throw badOption('options', 'a plain object')
    const out: Record<string, unknown> = {}
    for (const k of Reflect.ownKeys(given)) {
      if (k !== 'clock' && k !== 'file' && k !== 'admin')
        throw badOption('options', 'an object with only clock, file and admin')
      out[k] = (given as Record<string, unknown>)[k]
    }
    return out as MemoryLedgerOptions
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw badOption('options', 'an object that can be read')
  }
}

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

/** Identifies one version of a file: a rename by another writer gives a new inode, a rewrite a new size or mtime. */
function stampOf(file: string): string {
  const s = statSync(file, { bigint: true })
  return `${s.ino}:${s.size}:${s.mtimeNs}`
}

const CURSOR = /^(0|[1-9][0-9]{0,15})$/

/** What the constructor's read of `options.file` failed with, as a typed error (never the raw Node error). */
function fileError(e: unknown, operation: 'read' | 'write'): DatapactError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  const path = code === 'EISDIR' || code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EINVAL'
  const what = operation === 'read' ? 'cannot be read' : 'cannot be written'
  if (operation === 'read' && path)
    return new DatapactError('INVALID_INPUT', `"options.file" ${what} (${code}): give the path of a file`, {
      details: { argument: 'options.file', expected: 'the path of a ledger file', got: String(code) },
      cause: e,
    })
  return new LedgerError(
    'LEDGER_UNAVAILABLE',
    `the ledger file ${what}${code ? ` (${code})` : ''}${operation === 'write' ? ': the transaction was not committed' : ''}`,
    {
      ledger: 'memory',
      cause: e,
      details: { operation: `${operation} ledger file`, ...(code ? { errno: code } : {}) },
    },
  )
}

/**
 * An in-memory ledger: the consortium's rules (core's ledger program) run in process, many members share one
 * ledger, every call is an atomic transaction (a refused call leaves the state byte-identical), and every
 * committed transaction appends its events. Zero setup: the default for demos and for users' own tests.
 *
 * @example
 * ```ts
 * const ledger = new MemoryLedger()
 * const alice = await Datapact.open({ ledger: ledger.as('mem:alice'), keys: generateMemberKeys() })
 * ```
 */
export class MemoryLedger {
  readonly #state = new Map<string, Uint8Array>()
  readonly #events: LedgerEventRecord[] = []
  readonly #listeners = new Set<(e: LedgerEventRecord) => void>()
  #clock: () => number
  readonly #file: string | undefined
  readonly #admin: MemberId | null
  #queue: Promise<unknown> = Promise.resolve()
  #txCount = 0
  /** The file as this ledger last read or wrote it (inode, size, mtime); another value means another writer. */
  #fileStamp: string | null = null

  /**
   * Creates an empty ledger, or one restored from `options.file` when that file exists.
   *
   * @param given - Clock and persistence file.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an option has the wrong type, or the file is not a snapshot
   *   this version can restore; the file system's error when the file exists but cannot be read.
   */
  constructor(given: MemoryLedgerOptions = {}) {
    const options = readLedgerOptions(given)
    if (options.clock !== undefined) checkClock(options.clock)
    if (
      options.file !== undefined &&
      (typeof options.file !== 'string' || options.file.length === 0 || options.file.includes('\0'))
    )
      throw badOption('options.file', 'a file path (non-empty, without NUL characters)')
    this.#admin = options.admin === undefined ? null : records.memberId.check(options.admin, 'options.admin')
    this.#clock = options.clock ?? wallClock
    this.#file = options.file
    if (this.#file) this.#load()
  }

  /** Reads the file (absent: an empty ledger) and remembers its stamp. */
  #load(): void {
    const file = this.#file!
    let bytes: Uint8Array | undefined
    let stamp: string | null = null
    try {
      stamp = stampOf(file)
      bytes = readFileSync(file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, 'read')
    }
    if (bytes)
      try {
        this.restore(bytes)
      } catch (cause) {
        throw new DatapactError('INTEGRITY', 'the ledger file is not a Datapact memory ledger snapshot', {
          details: { argument: 'options.file', length: bytes.length },
          cause,
        })
      }
    this.#fileStamp = stamp
  }

  /** Reloads the file when another process (or instance) replaced it since this ledger last read or wrote it. */
  #refresh(): void {
    if (!this.#file) return
    let stamp: string | null
    try {
      stamp = stampOf(this.#file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, 'read')
      stamp = null
    }
    if (stamp !== null && stamp !== this.#fileStamp) this.#load()
  }

  /**
   * A connection to this ledger acting as `memberId` (the identity a real ledger would authenticate).
   *
   * @param memberId - The member identity; printable ASCII, no spaces.
   * @returns A {@link LedgerAdapter}; closing it does not affect the ledger or other connections.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `memberId` is not a member id.
   */
  as(memberId: string): LedgerAdapter {
    return new MemoryConnection(this, records.memberId.check(memberId, 'memberId'))
  }

  /**
   * Replaces the clock (seconds).
   *
   * @param clock - Returns the ledger time in whole seconds.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `clock` is not a function.
   */
  setClock(clock: () => number): void {
    checkClock(clock)
    this.#clock = clock
  }

  /** Current ledger time in seconds. @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the clock misbehaves. */
  now(): number {
    return this.#time()
  }

  /** Canonical bytes of the whole ledger (state and events). Equal ledgers give equal bytes. */
  snapshot(): Uint8Array {
    const state = [...this.#state.keys()].sort().map(key => ({ key, value: this.#state.get(key)! }))
    return encode(snapshotSchema, { format: 'datapact-memory-ledger/1', state, events: this.#events })
  }

  /**
   * Replaces the whole ledger with a snapshot taken by {@link MemoryLedger.snapshot}.
   *
   * @param snapshot - The snapshot bytes.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `snapshot` is not a canonical snapshot of this format (the ledger is unchanged).
   */
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

  /**
   * @internal Runs one rule as one atomic transaction, serialised with all others. The arguments travel as the
   * canonical bytes a real ledger's transaction carries (encoded now, decoded strictly), so this ledger accepts
   * exactly what Fabric and EVM can carry. With a file, the new snapshot is written before the commit: a write
   * that fails refuses the transaction (LEDGER_UNAVAILABLE) and nothing changes.
   */
  submit(caller: MemberId, rule: WriteRuleName, args: unknown): Promise<SubmitResult> {
    let decoded: unknown
    try {
      if (!isWriteRule(rule)) return Promise.reject(unknownRule(rule, 'write rule'))
      decoded = roundTripArgs(rule, args)
    } catch (e) {
      return Promise.reject(e)
    }
    const run = this.#queue.then(async () => {
      this.#refresh()
      const tx = new TxPort(this.#state, caller, this.#time(), this.#admin)
      await executeRule(tx, rule, decoded as never)
      const txId = `tx-${this.#txCount + 1}`
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
      const undo = tx.commit()
      this.#events.push(...committed)
      this.#txCount++
      if (this.#file) {
        try {
          this.#save()
        } catch (cause) {
          // Nothing committed that is not on disk: put the state and the history back as they were.
          for (const [k, v] of undo.reverse()) v === undefined ? this.#state.delete(k) : this.#state.set(k, v)
          this.#events.length -= committed.length
          this.#txCount--
          throw fileError(cause, 'write')
        }
      }
      for (const e of committed) for (const l of this.#listeners) deliver(l, e)
      return { txId, events: structuredClone(events) }
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** @internal Evaluates a query; arguments and result pass through their canonical bytes, as on a real ledger. */
  async query(caller: MemberId, name: QueryName, args: unknown): Promise<unknown> {
    if (!isQuery(name)) throw unknownRule(name, 'query')
    const decoded = roundTripArgs(name, args)
    this.#refresh()
    const result = await executeQuery(
      new TxPort(this.#state, caller, this.#time(), this.#admin),
      name,
      decoded as never,
    )
    return roundTripResult(name, result)
  }

  /** @internal `after` and `limit` are checked by the caller ({@link checkReadEventsOptions}). */
  readEvents(after: string | null, limit: number): EventPage {
    this.#refresh()
    const start = after === null ? 0 : CURSOR.test(after) ? Number(after) : -1
    if (!Number.isSafeInteger(start) || start < 0)
      throw new DatapactError('INVALID_INPUT', '"after" must be a cursor returned by readEvents', {
        details: { argument: 'options.after', expected: 'a cursor returned by readEvents', got: 'another string' },
      })
    const events = this.#events.slice(start, start + limit)
    return { events, cursor: events.at(-1)?.cursor ?? after ?? null }
  }

  /** Ledger time from the clock, checked: a clock that throws or returns anything but whole seconds is refused. */
  #time(): number {
    let t: unknown
    try {
      t = this.#clock()
    } catch (cause) {
      throw new DatapactError('INVALID_INPUT', 'the clock of the memory ledger threw', {
        details: { argument: 'options.clock' },
        cause,
      })
    }
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0)
      throw new DatapactError('INVALID_INPUT', 'the clock of the memory ledger must return whole seconds', {
        details: { argument: 'options.clock', expected: 'a safe integer >= 0', got: typeof t },
      })
    return t
  }

  /** @internal */
  subscribe(listener: (e: LedgerEventRecord) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #save(): void {
    // A temporary name of its own: another process saving at the same time never writes into this file.
    const tmp = `${this.#file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    try {
      writeFileSync(tmp, this.snapshot())
      renameSync(tmp, this.#file!)
    } catch (e) {
      rmSync(tmp, { force: true })
      throw e
    }
    this.#fileStamp = stampOf(this.#file!)
  }
}

/** The port of one transaction: reads see its own writes; nothing reaches the ledger until commit. */
class TxPort implements StatePort {
  readonly #base: Map<string, Uint8Array>
  readonly #writes = new Map<string, Uint8Array | undefined>()
  readonly #caller: MemberId
  readonly events: LedgerEvent[] = []
  readonly time: number
  readonly #admin: MemberId | null

  constructor(base: Map<string, Uint8Array>, caller: MemberId, time: number, admin: MemberId | null) {
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
  /** Applies the writes; returns what each key held before, to undo them. */
  commit(): Array<[string, Uint8Array | undefined]> {
    const undo: Array<[string, Uint8Array | undefined]> = []
    for (const [k, v] of this.#writes) {
      undo.push([k, this.#base.get(k)])
      v === undefined ? this.#base.delete(k) : this.#base.set(k, v)
    }
    return undo
  }
}

class MemoryConnection implements LedgerAdapter {
  readonly kind = 'memory'
  readonly memberId: MemberId
  readonly #ledger: MemoryLedger
  #closed = false
  readonly #unsubscribes = new Set<() => void>()

  constructor(ledger: MemoryLedger, memberId: MemberId) {
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

  async readEvents(options?: { after?: string | null; limit?: number }): Promise<EventPage> {
    this.#open()
    const { after, limit } = checkReadEventsOptions(options)
    return this.#ledger.readEvents(after, limit)
  }

  /**
   * Follows the ledger's events (see {@link LedgerAdapter.subscribe}). Never throws: bad arguments (INVALID_INPUT)
   * or a closed connection (CLOSED) reach `options.onError` on a later microtask and nothing is delivered.
   */
  subscribe(listener: (event: LedgerEventRecord) => void, options?: SubscribeOptions): () => void {
    return subscribeSafely(listener, options, ({ listener: deliverTo, after, onError }) => {
      this.#open()
      // A malformed cursor is refused now, not inside the replay below.
      if (after !== undefined && after !== null) this.#ledger.readEvents(after, 1)
      let off = () => {}
      let stopped = false
      const start = () => {
        if (stopped) return
        try {
          // Replay and registration happen in one synchronous step, between commits: no gap, no repeat.
          if (after !== undefined) {
            let cursor = after
            for (;;) {
              const page = this.#ledger.readEvents(cursor, 10_000)
              if (page.events.length === 0) break
              for (const e of page.events) deliver(deliverTo, e)
              cursor = page.cursor
            }
          }
          off = this.#ledger.subscribe(deliverTo)
        } catch (e) {
          onError(e instanceof DatapactError ? e : new DatapactError('INTERNAL', 'the replay failed', { cause: e }))
        }
      }
      if (after === undefined) start()
      else queueMicrotask(start)
      const unsubscribe = () => {
        stopped = true
        off()
        this.#unsubscribes.delete(unsubscribe)
      }
      this.#unsubscribes.add(unsubscribe)
      return unsubscribe
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const off of this.#unsubscribes) off()
    this.#unsubscribes.clear()
  }
}
