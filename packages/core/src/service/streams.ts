import { Readable } from 'node:stream'
import { DatapactError } from '../errors.js'
import { describe, invalidArgument } from '../internal/assert.js'

function iteratorOf(source: unknown): AsyncIterator<Uint8Array> {
  let it: unknown
  try {
    const open = (source as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator]
    if (typeof source !== 'object' || source === null || typeof open !== 'function')
      throw invalidArgument('source', 'an AsyncIterable<Uint8Array> (the `stream` of data.stream())', describe(source))
    it = open.call(source)
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument('source', 'an AsyncIterable<Uint8Array>', 'a value that throws when read')
  }
  if (typeof it !== 'object' || it === null || typeof (it as AsyncIterator<Uint8Array>).next !== 'function')
    throw invalidArgument('source', 'an AsyncIterable<Uint8Array>', 'an iterable without an iterator')
  return it as AsyncIterator<Uint8Array>
}

const notBytes = (chunk: unknown) =>
  invalidArgument('source', 'an AsyncIterable of Uint8Array chunks', `a chunk of ${describe(chunk)}`)

/**
 * A Node `Readable` over `data.stream()`'s plaintext, with backpressure: the next chunk is pulled (read, verified
 * and decrypted) only when the consumer wants more, so memory stays bounded by the stream's buffer whatever the size.
 * A chunk that fails (INTEGRITY: it does not authenticate or does not match the ledger) destroys the stream with that
 * {@link @datapact/core!index.DatapactError | DatapactError}: `pipeline(readable, res)` then aborts the HTTP response (the socket is destroyed, the
 * chunked body never terminated), so the client sees a failed download, never a truncated 200. Destroying the
 * readable early stops the source (its `return()` runs, releasing the content key).
 *
 * @param source - The `stream` of `data.stream()` (any `AsyncIterable<Uint8Array>`).
 * @returns A byte-mode `Readable` (the default high-water mark).
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (synchronously) when `source` is not an async iterable; the stream
 *   errors with INVALID_INPUT on a chunk that is not a `Uint8Array`.
 * @example
 * ```ts
 * const { stream } = await client.data.stream(datasetId)
 * res.writeHead(200)
 * await pipeline(toNodeReadable(stream), res) // rejects, and aborts the response, on a failed chunk
 * ```
 */
export function toNodeReadable(source: AsyncIterable<Uint8Array>): Readable {
  const it = iteratorOf(source)
  let done = false
  return new Readable({
    read() {
      it.next().then(
        r => {
          if (r.done) {
            done = true
            this.push(null)
          } else if (!(r.value instanceof Uint8Array)) this.destroy(notBytes(r.value))
          else this.push(r.value)
        },
        (e: unknown) => {
          done = true
          this.destroy(e as Error)
        },
      )
    },
    destroy(error, callback) {
      if (done || typeof it.return !== 'function') return callback(error)
      done = true
      // Stop the source (it releases its key); an error of its own does not hide the one that destroyed the stream.
      Promise.resolve()
        .then(() => it.return?.())
        .then(
          () => callback(error),
          () => callback(error),
        )
    },
  })
}

/**
 * A web `ReadableStream` over `data.stream()`'s plaintext (for `new Response(...)` in fetch-style servers), pulled
 * one chunk at a time: backpressure as in {@link toNodeReadable}. A failed chunk errors the stream with its
 * {@link @datapact/core!index.DatapactError | DatapactError}, which aborts a response built on it; cancelling the stream stops the source.
 *
 * @param source - The `stream` of `data.stream()` (any `AsyncIterable<Uint8Array>`).
 * @returns A `ReadableStream<Uint8Array>` that holds at most one chunk ahead of its reader.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (synchronously) when `source` is not an async iterable; the stream
 *   errors with INVALID_INPUT on a chunk that is not a `Uint8Array`.
 * @example
 * ```ts
 * const { stream } = await client.data.stream(datasetId)
 * return new Response(toWebStream(stream), { headers: { 'content-type': 'text/csv' } })
 * ```
 */
export function toWebStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = iteratorOf(source)
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let r: IteratorResult<Uint8Array>
        try {
          r = await it.next()
        } catch (e) {
          controller.error(e)
          return
        }
        if (r.done) controller.close()
        else if (!(r.value instanceof Uint8Array)) {
          const e = notBytes(r.value)
          controller.error(e)
          await it.return?.().catch(() => undefined)
        } else controller.enqueue(r.value)
      },
      async cancel() {
        await it.return?.()
      },
    },
    { highWaterMark: 1 },
  )
}
