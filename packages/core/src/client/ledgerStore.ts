import { randomBytes } from '@noble/hashes/utils.js'
import { LIMITS } from '../codec/records.js'
import { DatapactError } from '../errors.js'
import { invalidArgument } from '../internal/assert.js'
import { bytesToHex } from '../internal/bytes.js'
import type { LedgerAdapter, PayloadStore } from '../ledger/index.js'
import { checkGetArguments, storedChunks } from '../stores/checks.js'

/** Most chunks and bytes one storePayload transaction carries (gRPC and Fabric cap messages at a few MiB). */
const BATCH_CHUNKS = 32
const BATCH_BYTES = 2 * 1024 * 1024
/** About how many bytes one getPayload read returns: a few MiB, whatever the chunk size. */
const READ_BYTES = 4 * 1024 * 1024
/** Room each chunk takes in a transaction beyond its bytes (length prefixes, ABI offsets and padding). */
const CHUNK_OVERHEAD = 128

/**
 * The ledger-backed payload store: ciphertext chunks in the ledger's own state, so every member's node holds them
 * and a consumer fetches with the provider offline. Chunks go up in ordered batches under a random upload id.
 */
export class LedgerPayloadStore implements PayloadStore {
  readonly name = 'ledger'
  readonly #ledger: LedgerAdapter

  /**
   * Creates the store over a ledger connection (the client creates one for every `Datapact`).
   *
   * @param ledger - The ledger connection the chunks go through.
   * @throws {@link DatapactError} INVALID_INPUT when `ledger` is not a LedgerAdapter.
   */
  constructor(ledger: LedgerAdapter) {
    let ok = false
    try {
      ok =
        typeof ledger === 'object' &&
        ledger !== null &&
        typeof ledger.submit === 'function' &&
        typeof ledger.query === 'function'
    } catch (e) {
      if (e instanceof DatapactError) throw e
    }
    if (!ok) throw invalidArgument('ledger', 'a LedgerAdapter', 'something else')
    this.#ledger = ledger
  }

  async put(chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const upload = bytesToHex(randomBytes(32))
    let first = 0
    let batch: Uint8Array[] = []
    let size = 0
    let pending: Uint8Array[] | undefined
    // Hold one full batch back: only when the source ends do we know which batch is the last.
    const flush = async (last: boolean) => {
      if (!pending) return
      await this.#ledger.submit('storePayload', { upload, first, chunks: pending, last })
      first += pending.length
      pending = undefined
    }
    const maxBytes = Math.min(BATCH_BYTES, this.#ledger.maxPayloadBatchBytes ?? BATCH_BYTES)
    for await (const chunk of storedChunks(chunks)) {
      const cost = chunk.length + CHUNK_OVERHEAD
      if (batch.length === BATCH_CHUNKS || (batch.length > 0 && size + cost > maxBytes)) {
        await flush(false)
        pending = batch
        batch = []
        size = 0
      }
      batch.push(chunk)
      size += cost
    }
    if (batch.length > 0) {
      await flush(false)
      pending = batch
    }
    await flush(true)
    return upload
  }

  async *get(address: string, chunkCount: number): AsyncIterable<Uint8Array> {
    checkGetArguments(address, chunkCount)
    // The chunk size is not known here: the first read takes one chunk, and every later one as many as fit in
    // READ_BYTES at the largest chunk seen (at most the ledger's batch), so a read of 64 KiB chunks takes 63 of them
    // and one of 16 MiB chunks takes one: fewer round trips for small chunks, no message over the caps for large.
    let largest = 0
    let count = 1
    for (let first = 0; first < chunkCount; first += count) {
      if (first > 0) count = Math.max(1, Math.min(LIMITS.payloadBatch, Math.floor(READ_BYTES / largest)))
      count = Math.min(count, chunkCount - first)
      const chunks = await this.#ledger.query('getPayload', { upload: address, first, count })
      for (const c of chunks) largest = Math.max(largest, c.length)
      yield* chunks
    }
  }
}
