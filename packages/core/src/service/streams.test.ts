import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setImmediate as tick } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { DatapactError, isDatapactError } from '../errors.js'
import { toNodeReadable, toWebStream } from './streams.js'

const CHUNK = 64 * 1024

/** A source of `n` chunks that counts how many were pulled and whether it was stopped; fails at `failAt`. */
function source(n: number, failAt = -1) {
  const state = { pulled: 0, finished: false }
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new DatapactError('INTEGRITY', `chunk ${i} does not authenticate`)
        state.pulled++
        yield new Uint8Array(CHUNK).fill(i & 0xff)
      }
    } finally {
      state.finished = true
    }
  }
  return { stream: gen(), state }
}

/** A writable that takes chunks only when `release()` is called, so backpressure builds deterministically. */
function slowSink() {
  const received: number[] = []
  let waiting: (() => void) | null = null
  const sink = new Writable({
    highWaterMark: CHUNK,
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk.length)
      waiting = cb
    },
  })
  const release = () => {
    const w = waiting
    waiting = null
    w?.()
  }
  return { sink, received, release }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await tick()
}

describe('toNodeReadable', () => {
  it('pulls only as fast as the consumer takes: a stalled consumer stops the source', async () => {
    const { stream, state } = source(1000)
    const { sink, received, release } = slowSink()
    const done = pipeline(toNodeReadable(stream), sink)
    await settle()
    // The sink holds one chunk; the readable buffers up to its high-water mark: a few chunks, never the source.
    expect(received.length).toBe(1)
    expect(state.pulled).toBeLessThan(5)
    for (let i = 0; i < 10; i++) {
      release()
      await settle()
    }
    expect(state.pulled).toBeLessThan(16)
    sink.destroy()
    await expect(done).rejects.toThrow()
    await settle()
    expect(state.finished).toBe(true)
  })

  it('streams every byte in order', async () => {
    const chunks: Buffer[] = []
    for await (const c of toNodeReadable(source(20).stream)) chunks.push(c as Buffer)
    const all = Buffer.concat(chunks)
    expect(all.length).toBe(20 * CHUNK)
    expect(all[19 * CHUNK]).toBe(19)
  })

  it('a failed chunk destroys the stream with the typed error, so the pipeline (and a response) rejects', async () => {
    const { stream } = source(10, 3)
    const got: number[] = []
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        got.push(chunk.length)
        cb()
      },
    })
    const err = await pipeline(toNodeReadable(stream), sink).catch(e => e)
    expect(isDatapactError(err, 'INTEGRITY')).toBe(true)
    expect(got.length).toBe(3)
    expect(sink.destroyed).toBe(true)
    expect(sink.writableFinished).toBe(false)
  })

  it('refuses what is not an async iterable with INVALID_INPUT, synchronously', () => {
    for (const bad of [null, 1, 'text', {}, [new Uint8Array(1)], { [Symbol.asyncIterator]: 1 }])
      expect(() => toNodeReadable(bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  it('a chunk that is not bytes errors the stream with INVALID_INPUT', async () => {
    async function* gen() {
      yield 'text' as unknown as Uint8Array
    }
    const err = await (async () => {
      for await (const _ of toNodeReadable(gen()));
    })().catch(e => e)
    expect(isDatapactError(err, 'INVALID_INPUT')).toBe(true)
  })
})

describe('toWebStream', () => {
  it('holds at most one chunk ahead of its reader, then streams everything', async () => {
    const { stream, state } = source(50)
    const web = toWebStream(stream)
    const reader = web.getReader()
    await settle()
    expect(state.pulled).toBeLessThanOrEqual(1)
    const first = await reader.read()
    expect(first.value?.length).toBe(CHUNK)
    await settle()
    expect(state.pulled).toBeLessThanOrEqual(2)
    let n = 1
    for (;;) {
      const r = await reader.read()
      if (r.done) break
      n++
    }
    expect(n).toBe(50)
  })

  it('a failed chunk errors the stream (and a Response built on it) with the typed error', async () => {
    const body = new Response(toWebStream(source(10, 2).stream))
    const err = await body.arrayBuffer().catch(e => e)
    expect(isDatapactError(err, 'INTEGRITY')).toBe(true)
  })

  it('cancelling stops the source', async () => {
    const { stream, state } = source(100)
    const reader = toWebStream(stream).getReader()
    await reader.read()
    await reader.cancel()
    expect(state.finished).toBe(true)
  })
})
