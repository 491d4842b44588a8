import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { Dataset, UsageRecord } from '../domain/index.js'
import { MAX_AMOUNT } from '../internal/assert.js'
import { decode, encode, roundTrip } from './cbor.js'
import { toDatasetId, toDigest, toMemberId, toNonce } from './ids.js'
import * as r from './records.js'
import * as s from './schema.js'

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(b => Buffer.from(b).toString('hex'))
const id = fc.stringMatching(/^[\x21-\x7e]{1,40}$/).map(x => toMemberId(x))
const datasetId = hex(32).map(x => toDatasetId(x))
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b => toDigest(b))
const amount = fc.bigInt({ min: 0n, max: MAX_AMOUNT })
const uint = fc.nat({ max: 2 ** 32 - 1 })

const usage: fc.Arbitrary<UsageRecord> = fc.record({
  datasetId,
  version: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  consumer: id,
  provider: id,
  bytes: fc.nat(),
  amount,
  currency: fc.stringMatching(/^[A-Z0-9]{3,8}$/),
  period: fc.nat(),
  at: fc.nat(),
  nonce: hex(16).map(x => toNonce(x)),
  grantSeq: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  wrapHash: digest,
})

const dataset: fc.Arbitrary<Dataset> = fc.record({
  id: datasetId,
  owner: id,
  metadata: fc.record({
    title: fc.string({ minLength: 1, maxLength: 200 }),
    description: fc.string({ maxLength: 100 }),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: tags exclude exactly these characters.
    tags: fc.array(fc.stringMatching(/^[^\x00-\x20\x7f]{1,32}$/), { maxLength: 16 }),
    mediaType: fc.string({ maxLength: 100 }),
    schema: fc.string({ maxLength: 100 }),
  }),
  terms: fc.record({
    pricePerAccess: amount,
    pricePerByte: amount,
    currency: fc.stringMatching(/^[A-Z0-9]{3,8}$/),
    licence: fc.string({ maxLength: 100 }),
  }),
  listed: fc.boolean(),
  status: fc.constantFrom('active' as const, 'retired' as const),
  latestVersion: uint,
  grantCount: uint,
  createdAt: fc.nat(),
})

/** The same object with its keys in another order (recursively for plain objects). */
function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map(v => shuffleKeys(v, seed))
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value
  const entries = Object.entries(value)
  entries.sort((a, b) => ((a[0].charCodeAt(0) * seed) % 7) - ((b[0].charCodeAt(0) * seed) % 7) || (seed % 2 ? 1 : -1))
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, seed)]))
}

describe('canonical codec', () => {
  test.prop([usage], { numRuns: 300 })('usage records round-trip exactly', rec => {
    expect(decode(r.usageRecord, encode(r.usageRecord, rec))).toEqual(rec)
  })
  test.prop([dataset], { numRuns: 200 })('datasets round-trip exactly', ds => {
    const bytes = encode(r.dataset, ds)
    expect(decode(r.dataset, bytes)).toEqual(ds)
    expect(encode(r.dataset, decode(r.dataset, bytes))).toEqual(bytes)
  })
  test.prop([usage, fc.uint8Array({ minLength: 1, maxLength: 64 })], { numRuns: 200 })(
    'roundTrip is decode(encode()) and shares no bytes with its input, though encode borrows them',
    (rec, bytes) => {
      const value = { chunks: [bytes, bytes.subarray(1)], record: rec }
      const schema = s.object({ chunks: s.array(s.bytes({ min: 0, max: 64 }), 4), record: r.usageRecord })
      const back = roundTrip(schema, value)
      expect(back).toEqual(decode(schema, encode(schema, value)))
      expect(back).toEqual(value)
      bytes.fill(bytes[0]! ^ 0xff)
      expect(back.chunks[0]).not.toEqual(bytes)
    },
  )
  test.prop(
    [fc.array(fc.constantFrom(0, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000), { minLength: 1, maxLength: 4 })],
    { numRuns: 30 },
  )('roundTrip reads byte strings of every length form (in the initial byte, 1, 2 and 4 bytes)', lengths => {
    const chunks = lengths.map((n, i) => new Uint8Array(n).fill(i + 1))
    const schema = s.object({ chunks: s.array(s.bytes({ min: 0, max: 70_000 }), 4), tail: s.bytes({ min: 1, max: 1 }) })
    const value = { chunks, tail: Uint8Array.of(9) }
    const back = roundTrip(schema, value)
    // Byte comparisons (Buffer.equals), not a deep equality element by element over up to 280 KB.
    const strict = decode(schema, encode(schema, value))
    expect(
      back.chunks.map((c, i) => Buffer.from(c).equals(strict.chunks[i]!) && Buffer.from(c).equals(chunks[i]!)),
    ).toEqual(chunks.map(() => true))
    expect([...back.tail]).toEqual([9])
    for (const c of back.chunks) expect(Object.getPrototypeOf(c)).toBe(Uint8Array.prototype)
  })
  test.prop([dataset, fc.integer({ min: 1, max: 1000 })], { numRuns: 200 })(
    'encoding ignores key order',
    (ds, seed) => {
      expect(encode(r.dataset, shuffleKeys(ds, seed) as Dataset)).toEqual(encode(r.dataset, ds))
    },
  )
  test.prop([usage, fc.uint8Array({ minLength: 1, maxLength: 4 })], { numRuns: 200 })(
    'refuses trailing bytes',
    (rec, extra) => {
      const bytes = encode(r.usageRecord, rec)
      expect(() => decode(r.usageRecord, Buffer.concat([bytes, extra]))).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      )
    },
  )
  test.prop([usage, fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 300 })(
    'a flipped byte never decodes to a different valid record silently',
    (rec, pos, flip) => {
      const bytes = encode(r.usageRecord, rec)
      const bad = bytes.slice()
      bad[pos % bad.length]! ^= flip
      let out: UsageRecord | undefined
      try {
        out = decode(r.usageRecord, bad)
      } catch (e) {
        expect(e).toMatchObject({ code: 'INVALID_INPUT' })
        return
      }
      // If it decodes, it must be canonical and differ from the original.
      expect(encode(r.usageRecord, out)).toEqual(bad)
      expect(out).not.toEqual(rec)
    },
  )
  test.prop([fc.bigInt({ min: MAX_AMOUNT + 1n, max: MAX_AMOUNT * 4n })])('refuses amounts past 2^128 - 1', big => {
    expect(() => r.money.check(big, 'amount')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('strict decoding', () => {
  const rec: UsageRecord = {
    datasetId: toDatasetId('ab'.repeat(32)),
    version: 1,
    consumer: toMemberId('c'),
    provider: toMemberId('p'),
    bytes: 10,
    amount: 5n,
    currency: 'CNY',
    period: 0,
    at: 0,
    nonce: toNonce('00'.repeat(16)),
    grantSeq: 1,
    wrapHash: toDigest(new Uint8Array(32)),
  }
  test('refuses unknown and missing fields', () => {
    expect(() => encode(r.usageRecord, { ...rec, extra: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    const { nonce: _, ...missing } = rec
    expect(() => encode(r.usageRecord, missing as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
  test('encodes bigint amounts exactly, as canonical decimals', () => {
    const big = { ...rec, amount: MAX_AMOUNT }
    expect(decode(r.usageRecord, encode(r.usageRecord, big)).amount).toBe(MAX_AMOUNT)
  })
  test('names the bad field', () => {
    expect(() => encode(r.usageRecord, { ...rec, currency: 'cny' })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ argument: 'value.currency' }) }),
    )
  })
})
