import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { equalBytes, sameBytes } from './bytes.js'

const naive = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

describe.each([
  ['equalBytes', equalBytes],
  ['sameBytes', sameBytes],
] as const)('%s', (_, equal) => {
  // Views at every offset mod 4, on both sides of the 64-byte threshold of the native path.
  const view = (bytes: Uint8Array, offset: number) => {
    const buf = new Uint8Array(bytes.length + offset)
    buf.set(bytes, offset)
    return buf.subarray(offset)
  }
  test.prop(
    [fc.uint8Array({ maxLength: 300 }), fc.nat(3), fc.nat(3), fc.option(fc.nat(), { nil: undefined }), fc.nat(254)],
    { numRuns: 500 },
  )(
    'agrees with a byte-by-byte comparison, aligned or not, equal or differing in one byte',
    (bytes, oa, ob, at, delta) => {
      const a = view(bytes, oa)
      const b = view(bytes, ob)
      if (at !== undefined && bytes.length > 0) b[at % bytes.length]! ^= delta + 1
      expect(equal(a, b)).toBe(naive(a, b))
      expect(equal(a, b)).toBe(at === undefined || bytes.length === 0)
    },
  )
  test.prop([fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })])(
    'different lengths are unequal',
    (a, b) => {
      fc.pre(a.length !== b.length)
      expect(equal(a, b)).toBe(false)
    },
  )
})
