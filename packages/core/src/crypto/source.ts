import { DatapactError } from '../errors.js'
import { describe, invalidArgument } from '../internal/assert.js'

/**
 * Anything the payload stream reads bytes from: a single Uint8Array, a (sync or async) iterable of Uint8Array
 * pieces, or a web ReadableStream of Uint8Array. Pieces may have any size, including zero. A piece must not be
 * modified after it has been handed over.
 */
export type DataSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>

const isReadableStream = (value: object): value is ReadableStream<Uint8Array> =>
  typeof (value as { getReader?: unknown }).getReader === 'function'

/**
 * Checks that `value` is a {@link DataSource} (its pieces are checked as they arrive).
 *
 * @param value - Candidate source.
 * @param argument - Name used in errors.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `argument`.
 */
export function assertDataSource(value: unknown, argument: string): asserts value is DataSource {
  if (value instanceof Uint8Array) return
  if (typeof value === 'object' && value !== null) {
    if (isReadableStream(value)) return
    const v = value as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown }
    if (typeof v[Symbol.asyncIterator] === 'function' || typeof v[Symbol.iterator] === 'function') return
  }
  throw invalidArgument(
    argument,
    'Uint8Array, iterable, async iterable or ReadableStream of Uint8Array',
    describe(value),
  )
}

/**
 * Reads a {@link DataSource} piece by piece, checking each piece's type. Stopping early cancels a ReadableStream.
 *
 * @param source - The source.
 * @param argument - Name used in errors.
 * @returns The pieces, unchanged.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (argument `<argument> piece`) when a piece is not a Uint8Array.
 */
export async function* readPieces(source: DataSource, argument: string): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  if (isReadableStream(source)) {
    const reader = source.getReader()
    let finished = false
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (!(value instanceof Uint8Array)) throw invalidArgument(`${argument} piece`, 'Uint8Array', describe(value))
        yield value
      }
      finished = true
    } finally {
      // Stopped early (consumer broke out, or an error): tell the producer; otherwise just let go of the lock.
      if (!finished) await reader.cancel().catch(() => undefined)
      reader.releaseLock()
    }
    return
  }
  const check = (piece: unknown): Uint8Array => {
    if (!ArrayBuffer.isView(piece) || !(piece instanceof Uint8Array))
      throw invalidArgument(`${argument} piece`, 'Uint8Array', describe(piece))
    return piece
  }
  // A sync iterable is read without awaiting its pieces: `await` would call a `then` getter a Proxy may throw from.
  if (typeof (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function')
    for await (const piece of source as AsyncIterable<unknown>) yield check(piece)
  else for (const piece of source as Iterable<unknown>) yield check(piece)
}

/** One fixed-size slice of a byte stream. */
export interface Frame {
  /** Zero-based frame number. */
  index: number
  /** True for the final frame (the only one that may be shorter, and it may be empty). */
  last: boolean
  /**
   * The frame's bytes. Valid only until the consumer asks for the next frame: the framer reuses its staging buffer.
   */
  bytes: Uint8Array
}

/**
 * Cuts a stream of arbitrary pieces into frames of exactly `size` bytes plus a final frame of 0..size bytes, and
 * says which frame is last. To know that, one full frame is held back until more bytes (or the end) arrive.
 * Memory: one `size` staging buffer plus the current piece; whole frames inside a piece are passed through without
 * copying, except a frame that would outlive its piece, which is copied into the staging buffer first.
 *
 * Yields exactly one frame (empty and last) for an empty stream.
 *
 * @param pieces - The byte stream.
 * @param size - Frame size in bytes (>= 1).
 * @returns The frames, in order; the last has `last: true`.
 */
export async function* frames(pieces: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Frame, void, undefined> {
  let staging: Uint8Array | undefined
  let fill = 0
  let pending: Uint8Array | undefined
  let index = 0
  for await (const piece of pieces) {
    const length = piece.length
    let offset = 0
    while (offset < length) {
      if (pending !== undefined) {
        // More bytes follow, so the held-back frame is not the last one.
        yield { index: index++, last: false, bytes: pending }
        pending = undefined
      }
      if (fill === 0 && length - offset >= size) {
        pending = piece.subarray(offset, offset + size)
        offset += size
        continue
      }
      staging ??= new Uint8Array(size)
      const n = Math.min(size - fill, length - offset)
      staging.set(piece.subarray(offset, offset + n), fill)
      fill += n
      offset += n
      if (fill === size) {
        pending = staging
        fill = 0
      }
    }
    if (pending !== undefined && pending !== staging) {
      // The source may reuse its buffer once we ask for the next piece: keep our own copy.
      staging ??= new Uint8Array(size)
      staging.set(pending)
      pending = staging
    }
  }
  if (pending !== undefined) yield { index, last: true, bytes: pending }
  else yield { index, last: true, bytes: staging === undefined ? new Uint8Array(0) : staging.subarray(0, fill) }
}

/**
 * Makes sure a {@link DataSource} holds at least one byte before anything is written, without reading more than
 * needed: a Uint8Array is checked as it is; a genuine array of pieces is checked piece by piece (a copy of the
 * list is kept, so later changes to the array do not matter); any other iterable, async iterable or ReadableStream
 * is read up to its first non-empty piece, which is held and replayed. The result reads exactly the same bytes.
 *
 * A piece that is not a Uint8Array among those read, a source that throws when read, and a source without a single
 * byte are INVALID_INPUT. Failures of a stream after its first non-empty piece surface when it is consumed.
 *
 * @param source - The candidate source.
 * @param argument - Name used in errors.
 * @returns A source of the same bytes.
 * @throws {@link DatapactError} INVALID_INPUT naming `argument`.
 */
export async function primeDataSource(source: unknown, argument: string): Promise<DataSource> {
  try {
    assertDataSource(source, argument)
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument(argument, 'a readable data source', 'a value that throws when read')
  }
  if (source instanceof Uint8Array) {
    // A Proxy around bytes passes `instanceof` but is not bytes.
    if (!ArrayBuffer.isView(source)) throw invalidArgument(argument, 'a Uint8Array', 'a Proxy')
    if (byteLength(source) === 0) throw invalidArgument(argument, 'at least one byte', 'Uint8Array(0)')
    return source
  }
  if (Array.isArray(source)) {
    const pieces: Uint8Array[] = []
    let total = 0
    for (let i = 0; i < source.length; i++) {
      const piece: unknown = Object.hasOwn(source, i) ? source[i] : undefined
      if (!ArrayBuffer.isView(piece) || !(piece instanceof Uint8Array))
        throw invalidArgument(`${argument}[${i}]`, 'Uint8Array', describe(piece))
      pieces.push(piece)
      total += byteLength(piece)
    }
    if (total === 0) throw invalidArgument(argument, 'at least one byte', 'no bytes')
    return pieces
  }
  const iterator = readPieces(source, argument)
  let first: Uint8Array | undefined
  try {
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      if (next.value.length > 0) {
        first = next.value
        break
      }
    }
  } catch (e) {
    await iterator.return(undefined).catch(() => undefined)
    if (e instanceof DatapactError) throw e
    throw new DatapactError('INVALID_INPUT', `"${argument}" failed when read`, {
      details: { argument, expected: 'a readable source', got: 'a source that throws' },
      cause: e,
    })
  }
  if (first === undefined) throw invalidArgument(argument, 'at least one byte', 'an empty stream')
  const head = first
  return (async function* () {
    yield head
    yield* { [Symbol.asyncIterator]: () => iterator }
  })()
}

const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!
  .get as (this: unknown) => number

/** The length of genuine bytes, read through the intrinsic getter (a subclass cannot lie about it). */
const byteLength = (bytes: Uint8Array): number => typedArrayLength.call(bytes)
