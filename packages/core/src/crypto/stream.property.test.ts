import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { sha256 } from './hash.js'
import { merkleRoot } from './merkle.js'
import { nativeAvailable } from './native.js'
import { createEncryptorWithSalt, decryptChunks, generateDataKey } from './stream.js'
import { codeOf, drain, hex, join, splitAt } from './testHelpers.js'

const datasetId = new Uint8Array(32).fill(3)
const chunkSize = fc.integer({ min: 1024, max: 3000 })
const data = fc.uint8Array({ maxLength: 12_000 })
const cuts = fc.array(fc.nat({ max: 12_000 }), { maxLength: 12 })
const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const salt = fc.uint8Array({ minLength: 32, maxLength: 32 })

async function encrypt(
  k: Uint8Array,
  s: Uint8Array,
  cs: number,
  pieces: Uint8Array[],
  backend?: 'native' | 'portable',
) {
  const enc = createEncryptorWithSalt(
    { key: k, datasetId, version: 9, chunkSize: cs, ...(backend === undefined ? {} : { backend }) },
    s,
  )
  const out = await drain(() => enc.encrypt(pieces))
  expect(out.error).toBeUndefined()
  return { header: enc.header, chunks: out.pieces, summary: enc.summary() }
}

describe('payload stream properties', () => {
  test.prop([key, salt, chunkSize, data, cuts, cuts], { numRuns: 60 })(
    'round trip for any data, chunk size, input split and ciphertext split',
    async (k, s, cs, plaintext, inCuts, outCuts) => {
      const { header, chunks, summary } = await encrypt(k, s, cs, splitAt(plaintext, inCuts))
      expect(hex(summary.plaintextDigest)).toBe(hex(sha256(plaintext)))
      expect(hex(summary.merkleRoot)).toBe(hex(merkleRoot(chunks)))
      expect(summary.chunkCount).toBe(Math.max(1, Math.ceil(plaintext.length / cs)))
      const resplit = splitAt(join(chunks), outCuts)
      const dec = await drain(() => decryptChunks({ key: k, header, chunks: resplit }))
      expect(dec.error).toBeUndefined()
      expect(hex(join(dec.pieces))).toBe(hex(plaintext))
    },
  )

  test.prop(
    [key, salt, chunkSize, fc.uint8Array({ minLength: 1, maxLength: 8000 }), fc.nat(), fc.integer({ min: 0, max: 7 })],
    {
      numRuns: 60,
    },
  )(
    'one flipped bit anywhere: INTEGRITY, and only whole authentic chunks before it come out',
    async (k, s, cs, plaintext, at, bit) => {
      const { header, chunks } = await encrypt(k, s, cs, [plaintext])
      const whole = join(chunks)
      const pos = at % whole.length
      whole[pos]! ^= 1 << bit
      const dec = await drain(() => decryptChunks({ key: k, header, chunks: whole }))
      expect(codeOf(dec.error)).toBe('INTEGRITY')
      const failing = Math.floor(pos / (cs + 16))
      expect(dec.pieces.length).toBe(failing)
      expect(hex(join(dec.pieces))).toBe(hex(plaintext.subarray(0, failing * cs)))
    },
  )

  test("a fresh random key never decrypts another key's payload", async () => {
    const { header, chunks } = await encrypt(generateDataKey(), new Uint8Array(32), 1024, [new Uint8Array(100)])
    const dec = await drain(() => decryptChunks({ key: generateDataKey(), header, chunks }))
    expect(codeOf(dec.error)).toBe('INTEGRITY')
  })
})

describe.runIf(nativeAvailable())('payload stream native == portable', () => {
  test.prop([key, salt, chunkSize, data, cuts], { numRuns: 40 })(
    'native and portable encrypt byte-identically (same key and salt) and decrypt each other',
    async (k, s, cs, plaintext, inCuts) => {
      const a = await encrypt(k, s, cs, splitAt(plaintext, inCuts), 'native')
      const b = await encrypt(k, s, cs, [plaintext], 'portable')
      expect(hex(b.header)).toBe(hex(a.header))
      expect(b.chunks.map(hex)).toEqual(a.chunks.map(hex))
      expect(b.summary).toEqual(a.summary)
      for (const [chunks, backend] of [
        [a.chunks, 'portable'],
        [b.chunks, 'native'],
      ] as const) {
        const dec = await drain(() => decryptChunks({ key: k, header: a.header, chunks, backend }))
        expect(hex(join(dec.pieces))).toBe(hex(plaintext))
      }
    },
  )
})
