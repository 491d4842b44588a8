import { DatapactError } from '@datapact/core'
import { MAX_CHUNK_SIZE } from '@datapact/core/crypto'

/** Largest chunk a frame may carry: the largest ciphertext chunk of the payload format (chunk + 16-byte tag). */
export const MAX_FRAME_PAYLOAD = MAX_CHUNK_SIZE + 16

/**
 * Frames chunks as one byte stream: each chunk preceded by its 4-byte big-endian length (the layout of the
 * file-system store). A UnixFS file of these frames keeps the chunk boundaries the client needs while Kubo
 * splits the file into blocks of its own size.
 */
export async function* frameChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    if (!(c instanceof Uint8Array) || c.length > MAX_FRAME_PAYLOAD)
      throw new DatapactError(
        'INVALID_INPUT',
        `a payload chunk must be a Uint8Array of at most ${MAX_FRAME_PAYLOAD} bytes`,
        {
          details: { argument: 'chunks', expected: `Uint8Array(<= ${MAX_FRAME_PAYLOAD})`, got: describe(c) },
        },
      )
    const frame = new Uint8Array(4 + c.length)
    new DataView(frame.buffer).setUint32(0, c.length, false)
    frame.set(c, 4)
    yield frame
  }
}

const describe = (v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : typeof v)

/**
 * Reads at most `count` frames back out of a byte stream cut anywhere. Memory holds one chunk and the piece it
 * ends in. A length above {@link MAX_FRAME_PAYLOAD} or a stream ending inside a frame is INTEGRITY (the bytes are
 * not a framed payload); a stream ending between frames just ends early (the caller counts chunks).
 *
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY on a frame that cannot be a chunk.
 */
export async function* unframeChunks(bytes: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  if (count <= 0) return
  const queue = new ByteQueue()
  let need = 4
  let chunk: Uint8Array | null = null
  let filled = 0
  let produced = 0
  for await (const piece of bytes) {
    let at = 0
    while (at < piece.length) {
      if (chunk === null) {
        // Reading a length prefix, which may straddle pieces.
        const take = Math.min(need, piece.length - at)
        queue.push(piece.subarray(at, at + take))
        at += take
        need -= take
        if (need > 0) break
        const n = new DataView(queue.drain(4).buffer).getUint32(0, false)
        if (n > MAX_FRAME_PAYLOAD)
          throw new DatapactError('INTEGRITY', `the stored payload has a frame of ${n} bytes, more than any chunk`, {
            details: { frame: produced, length: n },
          })
        chunk = new Uint8Array(n)
        filled = 0
      }
      const take = Math.min(chunk.length - filled, piece.length - at)
      chunk.set(piece.subarray(at, at + take), filled)
      filled += take
      at += take
      if (filled === chunk.length) {
        yield chunk
        chunk = null
        need = 4
        if (++produced === count) return
      }
    }
  }
  if (chunk !== null || need !== 4)
    throw new DatapactError('INTEGRITY', 'the stored payload ends inside a frame', { details: { frame: produced } })
}

/** The few bytes of a length prefix split across pieces. */
class ByteQueue {
  readonly #parts: Uint8Array[] = []
  push(b: Uint8Array) {
    this.#parts.push(b.slice())
  }
  drain(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let o = 0
    for (const p of this.#parts.splice(0)) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}
