import type { LedgerEvent, MemberId } from '../domain/index.js'

/**
 * The key-value port the ledger program runs over. The memory ledger implements it over a map inside one
 * atomic transaction; the Fabric chaincode over the chaincode stub. Implementations must be deterministic:
 * the same calls in the same state give the same results on every node.
 */
export interface StatePort {
  /** The value stored at `key`, or undefined. Reads see this transaction's own earlier writes. */
  get(key: string): Promise<Uint8Array | undefined>
  /** Writes `value` at `key` in this transaction (visible to later reads of the same transaction). */
  put(key: string, value: Uint8Array): Promise<void>
  /** Deletes `key` in this transaction. */
  delete(key: string): Promise<void>
  /** Every entry whose key starts with `prefix`, in ascending key order. */
  range(prefix: string): Promise<Array<[string, Uint8Array]>>
  /** The authenticated identity that submitted the transaction. */
  caller(): MemberId
  /** Ledger time of the transaction, whole seconds since the Unix epoch. */
  now(): number
  /** Records an event; it becomes visible only if the transaction commits. */
  emit(event: LedgerEvent): void
  /**
   * The one member that may bootstrap the consortium, fixed when the ledger was deployed (so no later transaction
   * can take the bootstrap); undefined or null: the first member to join bootstraps it.
   */
  genesisAdmin?(): MemberId | null
}
