import { storeName } from '../codec/records.js'
import type { MemberKeys } from '../crypto/index.js'
import { DatapactError } from '../errors.js'
import { checkObject, invalidArgument } from '../internal/assert.js'
import type { LedgerAdapter, PayloadStore } from '../ledger/index.js'
import { type AuditOptions, type AuditReport, verifyLedger } from './audit.js'
import { Billing } from './billing.js'
import type { ClientContext } from './context.js'
import { Data } from './data.js'
import { Datasets } from './datasets.js'
import { Grants } from './grants.js'
import { LedgerPayloadStore } from './ledgerStore.js'
import { Members } from './members.js'
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
  readonly memberId: string
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
  /** The audit: replays the ledger's events from this member's node and checks every invariant. */
  readonly audit: {
    /**
     * Replays every event and checks the invariants (versions contiguous, grants issued by the owner, usage inside
     * an active grant and quota, amounts matching terms, settlements matching totals, and with `payloads` the
     * stored ciphertext against the anchored Merkle roots).
     *
     * @param options - `payloads: true` also fetches and checks every payload this member can read.
     * @returns The report: counts and the violations found (an empty list when `ok`).
     * @throws {@link DatapactError} INVALID_INPUT when `options` is not an object or `payloads` not a boolean;
     *   LEDGER_UNAVAILABLE when the ledger cannot be read, CLOSED when its connection was closed.
     */
    verify(options?: AuditOptions): Promise<AuditReport>
  }
  readonly #ctx: ClientContext

  private constructor(ctx: ClientContext) {
    this.#ctx = ctx
    this.memberId = ctx.me
    this.members = new Members(ctx)
    this.datasets = new Datasets(ctx)
    this.grants = new Grants(ctx)
    this.usage = new Usage(ctx)
    this.data = new Data(ctx, this.usage)
    this.billing = new Billing(ctx)
    this.audit = {
      verify: async (options = {}) => {
        checkObject(options, 'options')
        if (options.payloads !== undefined && typeof options.payloads !== 'boolean')
          throw invalidArgument('options.payloads', 'boolean', typeof options.payloads)
        return verifyLedger(ctx, options)
      },
    }
  }

  /**
   * Opens a client for the member the ledger connection acts as.
   *
   * @param options - Ledger connection, keys, payload stores.
   * @returns The client.
   * @throws {@link DatapactError} INVALID_INPUT on a missing ledger or keys, or two stores with one name.
   */
  static async open(options: DatapactOptions): Promise<Datapact> {
    checkObject(options, 'options')
    const { ledger, keys } = options
    if (typeof ledger?.submit !== 'function' || typeof ledger.query !== 'function')
      throw invalidArgument('options.ledger', 'a LedgerAdapter', typeof ledger)
    if (!(keys?.envelope?.publicKey instanceof Uint8Array))
      throw invalidArgument('options.keys', 'MemberKeys', typeof keys)
    const stores = new Map<string, PayloadStore>([['ledger', new LedgerPayloadStore(ledger)]])
    if (options.stores !== undefined && !Array.isArray(options.stores))
      throw invalidArgument('options.stores', 'array of PayloadStore', typeof options.stores)
    for (const [i, s] of (options.stores ?? []).entries()) {
      if (typeof s?.put !== 'function' || typeof s.get !== 'function')
        throw invalidArgument(`options.stores[${i}]`, 'a PayloadStore', typeof s)
      storeName.check(s.name, `options.stores[${i}].name`)
      if (stores.has(s.name))
        throw new DatapactError('INVALID_INPUT', `two payload stores are named "${s.name}"`, {
          details: { argument: 'options.stores' },
        })
      stores.set(s.name, s)
    }
    const defaultStore = options.defaultStore ?? 'ledger'
    if (!stores.has(defaultStore))
      throw invalidArgument('options.defaultStore', 'the name of a given store', defaultStore)
    return new Datapact({ ledger, keys, stores, defaultStore, me: ledger.memberId })
  }

  /**
   * Closes the ledger connection. The ledger and every other member carry on. Calls made after it fail with CLOSED.
   *
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the adapter cannot close its connection cleanly.
   */
  close(): Promise<void> {
    return this.#ctx.ledger.close()
  }
}
