import { ownBytes } from '../codec/schema.js'
import { DatapactError } from '../errors.js'
import { describe, invalidArgument } from '../internal/assert.js'

const ADDRESS = /^[\x21-\x7e]{1,128}$/

/** The checks every bundled store makes on `get`: an address string and a chunk count in 1..2^32-1. */
export function checkGetArguments(address: unknown, chunkCount: unknown): void {
  if (typeof address !== 'string' || !ADDRESS.test(address))
    throw invalidArgument('address', 'a store address (1..128 printable ASCII characters)', describe(address))
  if (typeof chunkCount !== 'number' || !Number.isSafeInteger(chunkCount) || chunkCount < 1 || chunkCount > 0xffff_ffff)
    throw invalidArgument('chunkCount', 'integer in 1..4294967295', describe(chunkCount))
}

/**
 * The chunks a store is given on `put`, checked as they arrive: an (async) iterable of non-empty Uint8Array (a
 * ciphertext chunk is never empty), each copied;
 * anything else is INVALID_INPUT (and the store keeps nothing of it). What the source itself throws passes through.
 */
export async function* storedChunks(chunks: unknown): AsyncGenerator<Uint8Array, void, undefined> {
  let iterable: AsyncIterable<unknown> | Iterable<unknown>
  try {
    const c = chunks as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null
    // Bytes are iterable (of numbers), but they are one chunk, not a source of chunks.
    if (
      typeof c !== 'object' ||
      c === null ||
      ArrayBuffer.isView(c) ||
      c instanceof Uint8Array ||
      (typeof c[Symbol.asyncIterator] !== 'function' && typeof c[Symbol.iterator] !== 'function')
    )
      throw invalidArgument('chunks', 'an (async) iterable of Uint8Array', describe(chunks))
    iterable = c as AsyncIterable<unknown>
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument('chunks', 'an (async) iterable of Uint8Array', 'a value that throws when read')
  }
  // A failure of the source itself is the caller's own error and reaches it unchanged.
  let i = 0
  const check = (chunk: unknown): Uint8Array => {
    const bytes = ownBytes(chunk)
    if (bytes === undefined || bytes.length === 0)
      throw invalidArgument(`chunks[${i}]`, 'a non-empty Uint8Array', describe(chunk))
    i++
    return bytes
  }
  // A sync iterable is read without awaiting its items: `await` would call a `then` getter a Proxy may throw from.
  if (typeof (iterable as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function')
    for await (const chunk of iterable as AsyncIterable<unknown>) yield check(chunk)
  else for (const chunk of iterable as unknown as Iterable<unknown>) yield check(chunk)
}
