import { randomBytes } from '@noble/hashes/utils.js'
import { storeName } from '../codec/records.js'
import { DatapactError } from '../errors.js'
import { bytesToHex, concatList } from '../internal/bytes.js'
import type { PayloadStore } from '../ledger/index.js'
import { checkGetArguments, storedChunks } from './checks.js'

/**
 * A payload store in this process's memory: for tests, demos, and as the model of a store implementation.
 * `tamper` and `drop` let tests play the part of a compromised or failing store.
 */
export class MemoryPayloadStore implements PayloadStore {
  readonly name: string
  readonly #payloads = new Map<string, Uint8Array[]>()

  /**
   * Creates an empty store.
   *
   * @param name - The store's name (default `memory`).
   * @throws {@link DatapactError} INVALID_INPUT when `name` is not a store name (lowercase letters, digits, `.`, `_`, `-`).
   */
  constructor(name = 'memory') {
    storeName.check(name, 'name')
    this.name = name
  }

  async put(chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const stored: Uint8Array[] = []
    for await (const c of storedChunks(chunks)) stored.push(c)
    const address = bytesToHex(randomBytes(16))
    this.#payloads.set(address, stored)
    return address
  }

  async *get(address: string, chunkCount: number): AsyncIterable<Uint8Array> {
    checkGetArguments(address, chunkCount)
    const chunks = this.#payloads.get(address)
    if (!chunks)
      throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${address}`, { details: { address } })
    // One copy a chunk as it is read (a reader may not change what is stored), not the whole payload up front.
    for (const c of chunks.slice(0, chunkCount)) yield c.slice()
  }

  /** Test hook: canonical bytes of everything stored (addresses in order, each chunk with its length). */
  snapshot(): Uint8Array {
    const parts: Uint8Array[] = []
    const enc = new TextEncoder()
    for (const address of [...this.#payloads.keys()].sort()) {
      parts.push(enc.encode(`${address}:${this.#payloads.get(address)!.length};`))
      for (const c of this.#payloads.get(address)!) parts.push(enc.encode(`${c.length}:`), c)
    }
    return concatList(parts)
  }

  /** Test hook: applies `edit` to the stored chunk list of `address` (flip bits, drop, reorder, append). */
  tamper(address: string, edit: (chunks: Uint8Array[]) => Uint8Array[]): void {
    const chunks = this.#payloads.get(address)
    if (!chunks) throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${address}`)
    this.#payloads.set(address, edit(chunks.map(c => c.slice())))
  }
}
