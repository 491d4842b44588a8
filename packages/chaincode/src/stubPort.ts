import type { MemberId } from '@datapact/core'
import type { LedgerEvent, StatePort } from '@datapact/core/rules'
import type { Context } from 'fabric-contract-api'

type ChaincodeStub = Context['stub']

/**
 * core's key-value port over the Fabric chaincode stub, for one transaction.
 *
 * Fabric's reads see committed state only, never the transaction's own writes, while the port promises that reads
 * see earlier writes. So writes go to an overlay that `get` and `range` consult first, and reach the stub only in
 * {@link StubPort.flush}, once the rule has succeeded. The stub records every committed read (with its version) and
 * every range scan in the read-write set, so MVCC catches a concurrent change to anything the rule looked at.
 */
export class StubPort implements StatePort {
  readonly events: LedgerEvent[] = []
  readonly #stub: ChaincodeStub
  readonly #caller: MemberId
  readonly #now: number
  // key -> new value, or undefined for a delete
  readonly #overlay = new Map<string, Uint8Array | undefined>()
  // Committed values already read. The peer holds its state still while a transaction simulates, so a second read
  // of a key would return the same bytes: skip the round trip (a batch of usage records reads the same version often).
  readonly #read = new Map<string, Uint8Array | undefined>()

  constructor(stub: ChaincodeStub, caller: MemberId) {
    this.#stub = stub
    this.#caller = caller
    this.#now = Number(stub.getTxTimestamp().seconds)
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.#overlay.has(key)) return this.#overlay.get(key)
    if (this.#read.has(key)) return this.#read.get(key)
    const bytes = await this.#stub.getState(key)
    // The shim answers a missing key with empty bytes; core never stores empty values.
    const value = bytes.length === 0 ? undefined : bytes
    this.#read.set(key, value)
    return value
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#overlay.set(key, value.slice())
  }

  async delete(key: string): Promise<void> {
    this.#overlay.set(key, undefined)
  }

  async range(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const entries = new Map<string, Uint8Array>()
    // Core's keys are printable ASCII, so every key with this prefix sorts below prefix + U+FFFF.
    for await (const { key, value } of this.#stub.getStateByRange(prefix, `${prefix}\uffff`))
      if (key.startsWith(prefix)) entries.set(key, value)
    for (const [key, value] of this.#overlay)
      if (key.startsWith(prefix)) value === undefined ? entries.delete(key) : entries.set(key, value)
    // The same order as the memory ledger (JS string order; byte order for core's ASCII keys).
    return [...entries.keys()].sort().map(key => [key, entries.get(key)!])
  }

  caller(): MemberId {
    return this.#caller
  }

  /** The genesis admin named by the chaincode server's `DATAPACT_GENESIS_ADMIN` (a member id), if any. */
  genesisAdmin(): MemberId | null {
    // Taken as given, as before: it is only ever compared with the caller's id.
    return (process.env.DATAPACT_GENESIS_ADMIN || null) as MemberId | null
  }

  now(): number {
    return this.#now
  }

  emit(event: LedgerEvent): void {
    this.events.push(event)
  }

  /** Writes the overlay to the stub, in key order. */
  async flush(): Promise<void> {
    for (const key of [...this.#overlay.keys()].sort()) {
      const value = this.#overlay.get(key)
      if (value === undefined) await this.#stub.deleteState(key)
      else await this.#stub.putState(key, value)
    }
  }
}
