/**
 * Helpers for tests of chunk streams: payload stores, encryption and framing.
 */

export { concatList as concatChunks } from '../internal/bytes.js'

/**
 * Reads a stream of chunks to its end.
 *
 * @param stream - The chunks.
 * @returns Every chunk, in order.
 */
export async function collect(stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const chunk of stream) out.push(chunk)
  return out
}

/**
 * Streams `data` in pieces of `size` bytes (the last one shorter), as views of `data`.
 *
 * @param data - The bytes.
 * @param size - Bytes a piece.
 */
export async function* pieces(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

/**
 * Streams one chunk of each given size, chunk `i` filled with the byte `i + 1`.
 *
 * @param sizes - The chunks' lengths.
 */
export async function* chunksOfSizes(sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  for (const [i, n] of sizes.entries()) yield new Uint8Array(n).fill(i + 1)
}
