import { collect, concatChunks as concat } from '@datapact/core/testing'
import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { frameChunks, MAX_FRAME_PAYLOAD, unframeChunks } from './framing.js'

async function* from<T>(items: Iterable<T>) {
  yield* items
}
/** Cuts bytes at the given points, so frames straddle pieces anywhere (inside a length prefix too). */
const cut = (bytes: Uint8Array, points: number[]) => {
  const at = [...new Set(points.map(p => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Uint8Array[] = []
  let last = 0
  for (const p of [...at, bytes.length]) {
    pieces.push(bytes.subarray(last, p))
    last = p
  }
  return pieces
}

describe('payload framing', () => {
  test.prop([fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 })], {
    numRuns: 300,
  })('gives back exactly the chunks, however the stream is cut', async (chunks, points) => {
    const framed = concat(await collect(frameChunks(from(chunks))))
    const got = await collect(unframeChunks(from(cut(framed, points)), chunks.length))
    expect(got.map(c => Array.from(c))).toEqual(chunks.map(c => Array.from(c)))
  })

  test.prop([fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 2, maxLength: 6 }), fc.nat()], {
    numRuns: 200,
  })('reads no more than asked, and refuses a stream cut inside a frame', async (chunks, n) => {
    const framed = concat(await collect(frameChunks(from(chunks))))
    const k = n % chunks.length
    expect((await collect(unframeChunks(from([framed]), k))).length).toBe(k)
    const end = framed.length - 1 - (n % 4)
    await expect(collect(unframeChunks(from([framed.subarray(0, end)]), chunks.length))).rejects.toMatchObject({
      code: 'INTEGRITY',
    })
  })

  it('ends early, without error, on a stream that ends between frames', async () => {
    const framed = concat(await collect(frameChunks(from([new Uint8Array([1]), new Uint8Array([2, 3])]))))
    expect((await collect(unframeChunks(from([framed]), 5))).length).toBe(2)
  })

  it('refuses a frame longer than any chunk with INTEGRITY before allocating it', async () => {
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, MAX_FRAME_PAYLOAD + 1, false)
    await expect(collect(unframeChunks(from([header]), 1))).rejects.toMatchObject({ code: 'INTEGRITY' })
  })

  it('refuses a chunk that is not bytes with INVALID_INPUT', async () => {
    await expect(collect(frameChunks(from(['x' as never])))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
