import type { LedgerEvent, LedgerEventRecord, MemberId } from '../domain/index.js'
import type { QueryArgs, QueryName, QueryResults, WriteArgs, WriteRuleName } from '../rules/index.js'

/** What a committed transaction reports back. */
export interface SubmitResult {
  /** Backend transaction id (memory sequence, EVM tx hash, Fabric tx id). */
  txId: string
  /** The events the transaction emitted, in order. */
  events: LedgerEvent[]
}

/** A page of events read back from the ledger. */
export interface EventPage {
  events: LedgerEventRecord[]
  /** Pass as `after` to read on; null when the page is empty and there was no cursor yet. */
  cursor: string | null
}

/** Options of {@link LedgerAdapter.subscribe}. */
export interface SubscribeOptions {
  /** Deliver the events after this cursor first (null: from the first event). Absent: only events from now on. */
  readonly after?: string | null
  /**
   * Called with every failure of the subscription, asynchronously: bad arguments (INVALID_INPUT), a closed
   * connection (CLOSED), a backend that cannot be reached (LEDGER_UNAVAILABLE). `subscribe` itself never throws.
   */
  readonly onError?: (error: import('../errors.js').DatapactError) => void
}

/**
 * A connection to one ledger as one member. Adapters implement this; the {@link Datapact} client uses nothing else.
 *
 * Implementers: `submit` resolves only once the transaction is committed (final on this node) and rejects with a
 * {@link DatapactError} whose code the rules gave (a refused call changes nothing), or LEDGER_UNAVAILABLE when
 * the backend cannot be reached (cause attached). `query` reads this member's own node. `readEvents` returns
 * committed events in ledger order.
 */
export interface LedgerAdapter {
  /** `memory`, `evm`, `fabric`, ... */
  readonly kind: string
  /** The member this connection acts as. */
  readonly memberId: MemberId
  /**
   * Most bytes of ciphertext one `storePayload` transaction may carry on this ledger (EVM transactions are small);
   * the client's ledger-backed store splits uploads to fit. Absent: the client's default (2 MiB).
   */
  readonly maxPayloadBatchBytes?: number
  /**
   * Submits a write rule as a transaction and waits for its commit.
   *
   * @param rule - The write rule.
   * @param args - Its arguments (checked by the rule's schema on the ledger).
   * @returns The transaction id, the ledger time and the events it emitted.
   * @throws {@link DatapactError} with the code the rules refused with (INVALID_INPUT, NOT_FOUND, ACCESS_DENIED,
   *   CONFLICT, GRANT_REVOKED, GRANT_EXPIRED, QUOTA_EXCEEDED, AMOUNT_MISMATCH, NONCE_REUSED, SETTLEMENT_MISMATCH;
   *   see docs/rules.md), the call changing nothing; LEDGER_UNAVAILABLE when the backend cannot be reached or the
   *   outcome is unknown; CLOSED after `close()`.
   */
  submit<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): Promise<SubmitResult>
  /**
   * Evaluates a read-only query on this member's node.
   *
   * @param name - The query.
   * @param args - Its arguments.
   * @returns The query's result (null where a record does not exist).
   * @throws {@link DatapactError} INVALID_INPUT for arguments the query's schema refuses; LEDGER_UNAVAILABLE; CLOSED.
   */
  query<N extends QueryName>(name: N, args: QueryArgs[N]): Promise<QueryResults[N]>
  /**
   * Reads committed events after `after` (from the start when absent), at most `limit` (1..100000) of them.
   * Rejects with INVALID_INPUT for anything else (implementers: `checkReadEventsOptions` from `@datapact/core`).
   *
   * @param options - The cursor to read after and the page size.
   * @returns The events and the cursor to read on from.
   * @throws {@link DatapactError} INVALID_INPUT for a malformed cursor or limit; LEDGER_UNAVAILABLE; CLOSED.
   */
  readEvents(options?: { after?: string | null; limit?: number }): Promise<EventPage>
  /**
   * Calls `listener` for every event committed from now on, in ledger order; returns an unsubscribe function.
   * With `after` (a cursor from `readEvents`, or null for the first event) it first delivers every event after that
   * cursor, then live ones, without a gap or a repeat.
   * Never throws: a bad listener or options, or a closed connection, go to `options.onError` (asynchronously) and
   * the returned function does nothing. Implementers: use `subscribeSafely` from `@datapact/core`.
   *
   * @param listener - Called with each event. Implementers: an error the listener throws must not stop delivery.
   * @param options - Where to start (`after`), and `onError`.
   * @returns A function that stops delivery.
   */
  subscribe(listener: (event: LedgerEventRecord) => void, options?: SubscribeOptions): () => void
  /**
   * Releases the connection. Later calls reject with CLOSED.
   *
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the backend connection cannot be closed cleanly.
   */
  close(): Promise<void>
}

/**
 * A store of ciphertext chunks outside the ledger (a replicated file system, an object store, ...). The ledger
 * anchors each version's Merkle root and the client verifies it, so a store is trusted for availability only,
 * never for integrity.
 *
 * Implementers: `put` consumes the chunks in order and resolves with the address it filed them under (any
 * printable string up to 128 characters); `get` yields exactly the chunks stored at that address, in order, and
 * rejects with NOT_FOUND when it has none.
 */
export interface PayloadStore {
  /** The name versions refer to in their payload location. Lowercase letters, digits, `.`, `_`, `-`. */
  readonly name: string
  /**
   * Stores the chunks; resolves with their address.
   *
   * @param chunks - The ciphertext chunks, in order.
   * @returns The address (1..128 printable ASCII characters).
   * @throws {@link DatapactError} INVALID_INPUT when a chunk is not bytes; the store's own failure otherwise
   *   (LEDGER_UNAVAILABLE for the ledger store). The source's error is passed on.
   */
  put(chunks: AsyncIterable<Uint8Array>): Promise<string>
  /**
   * Reads the `chunkCount` chunks stored at `address`, in order.
   *
   * @param address - What `put` returned.
   * @param chunkCount - How many chunks the version has.
   * @returns The chunks.
   * @throws {@link DatapactError} NOT_FOUND when the store holds nothing at `address` (or fewer chunks).
   */
  get(address: string, chunkCount: number): AsyncIterable<Uint8Array>
}
