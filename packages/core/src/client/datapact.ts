import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import { memberId, storeName } from '../codec/records.js'
import { checkMemberKeys, type MemberKeys } from '../crypto/index.js'
import type { MemberId } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import {
  assertOptionalBoolean,
  assertOptionalSignal,
  describe,
  invalidArgument,
  readOptions,
  readParams,
} from '../internal/assert.js'
import { equalBytes } from '../internal/bytes.js'
import type { LedgerAdapter, PayloadStore } from '../ledger/index.js'
import { type IndexStore, LedgerIndex, MemoryIndexStore } from '../ledgerIndex/index.js'
import { type AuditOptions, type AuditProgress, type AuditReport, newAuditProgress, verifyLedger } from './audit.js'
import { Billing } from './billing.js'
import type { ClientContext } from './context.js'
import { Data } from './data.js'
import { Datasets } from './datasets.js'
import { Events } from './events.js'
import { Grants } from './grants.js'
import { LedgerPayloadStore } from './ledgerStore.js'
import { Members } from './members.js'
import {
  createTelemetry,
  instrumentArea,
  instrumentLedger,
  instrumentStore,
  type Logger,
  type Telemetry,
  traced,
} from './telemetry.js'
import { Usage } from './usage.js'

/** Options of {@link Datapact.open}. */
export interface DatapactOptions {
  /** A ledger connection acting as this member (MemoryLedger.as, EvmLedger, FabricLedger). */
  ledger: LedgerAdapter
  /** This member's keys (envelope key pair; see `generateMemberKeys` and the keystore). */
  keys: MemberKeys
  /** Extra payload stores by name; the ledger-backed store `ledger` is always there. */
  stores?: PayloadStore[]
  /** Where new versions go by default (default `ledger`). */
  defaultStore?: string
  /**
   * Where the client reports (pino, console, or any `debug/info/warn/error(obj, msg)`): a debug line per ledger call
   * and operation, a warning per refusal, an error per INTEGRITY / LEDGER_UNAVAILABLE / INTERNAL failure. Never keys,
   * plaintext or payloads. Default: silent.
   */
  logger?: Logger
  /**
   * The OpenTelemetry tracer provider for the spans around every ledger call, store read and write and client
   * operation (`datapact.*`; attributes are ids, names, counts and codes, never secrets). Default: the global one,
   * a no-op unless the application installs an SDK.
   */
  tracerProvider?: TracerProvider
  /**
   * The OpenTelemetry meter provider for the counters `datapact.bytes` (plaintext read and published, by
   * `datapact.direction`), `datapact.accesses` (metered accesses recorded) and `datapact.refusals` (by
   * `datapact.code`). Default: the global one, a no-op unless the application installs an SDK.
   */
  meterProvider?: MeterProvider
  /**
   * The member-side index statements, usage lists and their pages read (see docs/index.md): a persistent one, such
   * as `SqliteIndexStore` from `@datapact/index-sqlite` or `PostgresIndexStore` from `@datapact/index-postgres`,
   * resumes from its stored cursor. Default: a fresh {@link MemoryIndexStore}, which catches up from genesis on the
   * first read. The caller owns it: close it after the client.
   */
  index?: IndexStore
}

/**
 * The Datapact client of one member: catalog, data, access, usage, billing and audit over one ledger connection.
 *
 * @example
 * ```ts
 * const ledger = new MemoryLedger()
 * const alice = await Datapact.open({ ledger: ledger.as('alice'), keys: generateMemberKeys() })
 * await alice.members.join({ name: 'Alice Data Ltd', roles: ['provider'] })
 * const { id } = await alice.datasets.register({ title: 'Prices', terms: { pricePerAccess: 100n, currency: 'CNY' }, data })
 * ```
 */
export class Datapact {
  /** This member's ledger identity. */
  readonly memberId: MemberId
  /** The consortium: join, admit, roles, settings, envelope key rotation. */
  readonly members: Members
  /** The catalog: register datasets, publish versions, update, retire, list. */
  readonly datasets: Datasets
  /** Access: grant, revoke, re-key and read grants. */
  readonly grants: Grants
  /** Data: fetch and stream a version, verified against the ledger, decrypted and metered. */
  readonly data: Data
  /** Usage records: record accesses (one or a batch) and list them. */
  readonly usage: Usage
  /** Billing: deterministic statements and their settlement on the ledger. */
  readonly billing: Billing
  /** Ledger events as typed, decoded domain objects: `events.on('UsageRecorded', ...)`, `events.stream()`. */
  readonly events: Events
  /** The audit: replays the ledger's events from this member's node and checks every invariant. */
  readonly audit: {
    /**
     * Replays the events and checks the invariants (versions contiguous, grants issued by the owner, usage inside
     * an active grant and quota, amounts matching terms, settlements matching totals, and with `payloads` the
     * stored ciphertext against the anchored Merkle roots). Incremental: the first audit of a client replays from
     * genesis, later ones go on from the last verified cursor with the same model (so they check the new events
     * against the whole history); `full: true` replays from genesis again. The ledger state is compared with the
     * model on every call.
     *
     * @param options - `payloads: true` also fetches and checks every payload this member can read; `full: true`
     *   replays from genesis.
     * @returns The report: counts, the cursor reached and the violations found (an empty list when `ok`).
     * @throws {@link DatapactError} INVALID_INPUT when `options` is not an object, `payloads` or `full` not a boolean
     *   or `signal` not an AbortSignal; LEDGER_UNAVAILABLE when the ledger cannot be read, CLOSED when its connection
     *   was closed; ABORTED when `options.signal` fired.
     */
    verify(options?: AuditOptions): Promise<AuditReport>
  }
  readonly #ctx: ClientContext
  readonly #subscriptions = new Set<(error: DatapactError) => void>()
  #audit: AuditProgress = newAuditProgress()
  #auditTail: Promise<unknown> = Promise.resolve()

  private constructor(ctx: ClientContext, telemetry: Telemetry) {
    this.#ctx = ctx
    this.memberId = ctx.me
    this.members = new Members(ctx)
    this.datasets = new Datasets(ctx)
    this.grants = new Grants(ctx)
    this.usage = new Usage(ctx)
    this.data = new Data(ctx, this.usage)
    this.billing = new Billing(ctx)
    this.events = new Events(ctx.ledger, this.#subscriptions)
    this.audit = {
      verify: options =>
        traced(telemetry, 'audit.verify', {}, async () => {
          const o = readOptions(options, 'options', ['payloads', 'full', 'signal'])
          assertOptionalBoolean(o.payloads, 'options.payloads')
          assertOptionalBoolean(o.full, 'options.full')
          assertOptionalSignal(o.signal, 'options.signal')
          const checked: AuditOptions = {
            ...(o.payloads === undefined ? {} : { payloads: o.payloads }),
            ...(o.signal === undefined ? {} : { signal: o.signal }),
          }
          const full = o.full === true
          // Audits of one client run one after another over one model; a full one starts a fresh model.
          const run = this.#auditTail.then(() => {
            if (full) this.#audit = newAuditProgress()
            return verifyLedger(ctx, checked, this.#audit)
          })
          this.#auditTail = run.catch(() => undefined)
          return run
        }),
    }
    // Spans, counters and log lines around every public method (own properties; the classes stay as they are).
    for (const [name, area] of Object.entries({
      members: this.members,
      datasets: this.datasets,
      grants: this.grants,
      data: this.data,
      usage: this.usage,
      billing: this.billing,
    }))
      instrumentArea(area, name, telemetry)
  }

  /**
   * Opens a client for the member the ledger connection acts as. When that member is on the ledger, its envelope
   * key there must be the one of `keys`: a client with another member's (or an old, rotated) key set is refused here
   * rather than failing later at every fetch.
   *
   * @param options - Ledger connection, keys, payload stores.
   * @returns The client.
   * @throws {@link DatapactError} INVALID_INPUT on a missing ledger, keys that are not a usable MemberKeys, keys
   *   that do not match the member's envelope key on the ledger (`details.argument` `options.keys`), two stores with
   *   one name, an unknown default store, an `index` that is not an IndexStore, a logger without
   *   `debug/info/warn/error`, a tracer or meter provider without `getTracer` / `getMeter`; LEDGER_UNAVAILABLE when
   *   the ledger cannot be read.
   */
  static async open(options: DatapactOptions): Promise<Datapact> {
    const o = readParams(options, 'options', [
      'ledger',
      'keys',
      'stores',
      'defaultStore',
      'index',
      'logger',
      'tracerProvider',
      'meterProvider',
    ])
    const raw = o.ledger as LedgerAdapter
    let id: unknown
    try {
      if (
        typeof raw !== 'object' ||
        raw === null ||
        typeof raw.submit !== 'function' ||
        typeof raw.query !== 'function' ||
        typeof raw.readEvents !== 'function'
      )
        throw invalidArgument('options.ledger', 'a LedgerAdapter', describe(raw))
      id = raw.memberId
    } catch (e) {
      if (e instanceof DatapactError) throw e
      throw invalidArgument('options.ledger', 'a LedgerAdapter', 'a value that throws when read')
    }
    const me = memberId.check(id, 'options.ledger.memberId')
    const keys = checkMemberKeys(o.keys, 'options.keys')
    const telemetry = createTelemetry(me, o)
    const ledger = instrumentLedger(raw, telemetry)
    const stores = new Map<string, PayloadStore>([
      ['ledger', instrumentStore(new LedgerPayloadStore(ledger), telemetry)],
    ])
    const given = o.stores
    let isArray = false
    try {
      isArray = Array.isArray(given) && Object.getPrototypeOf(given) === Array.prototype
    } catch {
      isArray = false
    }
    if (given !== undefined && !isArray)
      throw invalidArgument('options.stores', 'array of PayloadStore', describe(given))
    const list = (given ?? []) as unknown[]
    for (let i = 0; i < list.length; i++) {
      const s = list[i] as PayloadStore | undefined
      let name: unknown
      try {
        if (typeof s !== 'object' || s === null || typeof s.put !== 'function' || typeof s.get !== 'function')
          throw invalidArgument(`options.stores[${i}]`, 'a PayloadStore', describe(s))
        name = s.name
      } catch (e) {
        if (e instanceof DatapactError) throw e
        throw invalidArgument(`options.stores[${i}]`, 'a PayloadStore', 'a value that throws when read')
      }
      storeName.check(name, `options.stores[${i}].name`)
      if (stores.has(name as string))
        throw new DatapactError('INVALID_INPUT', `two payload stores are named "${name as string}"`, {
          details: { argument: 'options.stores' },
        })
      stores.set(name as string, instrumentStore(s!, telemetry))
    }
    const defaultStore = o.defaultStore ?? 'ledger'
    if (typeof defaultStore !== 'string' || !stores.has(defaultStore))
      throw invalidArgument('options.defaultStore', 'the name of a given store', describe(defaultStore))
    const index = o.index ?? new MemoryIndexStore()
    let isIndex = false
    try {
      const x = index as IndexStore
      isIndex =
        typeof x === 'object' &&
        x !== null &&
        ['position', 'append', 'usage', 'currencies', 'entities', 'close'].every(
          k => typeof (x as unknown as Record<string, unknown>)[k] === 'function',
        )
    } catch {
      isIndex = false
    }
    if (!isIndex) throw invalidArgument('options.index', 'an IndexStore', describe(index))
    const member = await ledger.query('getMember', { member: me })
    if (member?.status === 'active' && !equalBytes(member.envelopeKey, keys.envelope.publicKey))
      throw new DatapactError(
        'INVALID_INPUT',
        `the keys given do not match the envelope key of member ${member.id} on the ledger: open with that member's keys (after a rotation, the new ones)`,
        { details: { argument: 'options.keys', expected: `the envelope key of ${member.id}`, got: 'another key' } },
      )
    return new Datapact(
      {
        ledger,
        keys,
        stores,
        defaultStore,
        me,
        index: new LedgerIndex(ledger, index as IndexStore),
      },
      telemetry,
    )
  }

  /**
   * Closes the ledger connection. The ledger and every other member carry on. Calls made after it fail with CLOSED;
   * event subscriptions (`events.on`, `events.stream`) end with CLOSED.
   *
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the adapter cannot close its connection cleanly.
   */
  async close(): Promise<void> {
    try {
      await this.#ctx.ledger.close()
    } finally {
      // The event subscriptions end with CLOSED (their streams throw it, their onError hears it).
      const closed = new DatapactError('CLOSED', `the client of ${this.memberId} was closed`)
      for (const end of [...this.#subscriptions]) end(closed)
      this.#subscriptions.clear()
    }
  }
}
