import { describe, expect, it } from 'vitest'
import { decodeArgs, encodeArgs } from '../rules/index.js'
import { encode } from './cbor.js'
import { envelopeKey, isWeakEnvelopeKey, metadata, WEAK_ENVELOPE_KEYS } from './records.js'
import { array, bytes, int, object, string } from './schema.js'

const invalid = expect.objectContaining({ name: 'DatapactError', code: 'INVALID_INPUT' })
const meta = { title: 't', description: '', tags: ['a'], mediaType: 'x', schema: '' }

describe('schema: values that are not what they seem', () => {
  it('refuses holey arrays, extra array properties and array subclasses', () => {
    const s = array(int(0, 9), 10)
    expect(() => s.check(new Array(2), 'a')).toThrow(invalid)
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
    expect(() => s.check([1, , 2], 'a')).toThrow(invalid)
    const extra = Object.assign([1], { foo: 1 })
    expect(() => s.check(extra, 'a')).toThrow(invalid)
    class MyArray extends Array {}
    expect(() => s.check(MyArray.from([1]), 'a')).toThrow(invalid)
    expect(() => metadata.check({ ...meta, tags: new Array(2) }, 'm')).toThrow(invalid)
  })

  it('refuses inherited, symbol and prototype-named keys (own keys only)', () => {
    const s = object({ a: int(0, 9) })
    for (const k of ['toString', 'constructor', 'hasOwnProperty', 'valueOf'])
      expect(() => s.check({ a: 1, [k]: 1 }, 'o')).toThrow(invalid)
    expect(() => s.check(JSON.parse('{"a":1,"__proto__":1}'), 'o')).toThrow(invalid)
    expect(() => s.check({ a: 1, [Symbol('x')]: 1 }, 'o')).toThrow(invalid)
    expect(() => s.check(Object.create({ a: 1 }), 'o')).toThrow(invalid)
  })

  it('refuses non-plain objects', () => {
    const s = object({})
    for (const v of [new Date(), new Map(), new (class X {})(), [], new Uint8Array(1), () => 1])
      expect(() => s.check(v, 'o')).toThrow(invalid)
    expect(s.check(Object.create(null), 'o')).toEqual({})
  })

  it('turns getters and Proxy traps that throw into INVALID_INPUT, and reads each field once', () => {
    const s = object({ a: int(0, 9) })
    const throwing = Object.defineProperty({}, 'a', {
      enumerable: true,
      get() {
        throw new RangeError('boom')
      },
    })
    expect(() => s.check(throwing, 'o')).toThrow(invalid)
    const trap = new Proxy(
      { a: 1 },
      {
        ownKeys() {
          throw new TypeError('trap')
        },
      },
    )
    expect(() => s.check(trap, 'o')).toThrow(invalid)
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {})
    revoke()
    expect(() => s.check(proxy, 'o')).toThrow(invalid)
    let reads = 0
    const flaky = Object.defineProperty({}, 'a', {
      enumerable: true,
      get: () => (reads++ === 0 ? 1 : 'changed'),
    })
    expect(encode(s, flaky as never)).toEqual(encode(s, { a: 1 }))
    expect(reads).toBe(1)
  })

  it('refuses a Proxy around bytes and copies genuine bytes', () => {
    const b = bytes({ length: 4 })
    expect(() => b.check(new Proxy(new Uint8Array(4), {}), 'b')).toThrow(invalid)
    const input = new Uint8Array([1, 2, 3, 4])
    const out = b.check(input, 'b')
    expect(out).toEqual(input)
    expect(out).not.toBe(input)
    const lying = new Uint8Array(4)
    Object.defineProperty(lying, 'length', { value: 99 })
    expect(b.check(lying, 'b').length).toBe(4)
    expect(b.check(Buffer.from([1, 2, 3, 4]), 'b')).toEqual(input)
  })

  it('refuses strings with lone surrogates (they have no UTF-8 form)', () => {
    expect(() => string(10).check('a\uD800', 's')).toThrow(invalid)
    expect(() => string(10).check('\uDC00', 's')).toThrow(invalid)
    expect(string(10).check('\uD83D\uDE00', 's')).toBe('\uD83D\uDE00')
  })

  it('rule arguments round-trip through their canonical bytes, and bad ones are refused there', () => {
    const args = { datasetId: 'a'.repeat(64), grantee: 'bob' }
    expect(decodeArgs('revokeAccess', encodeArgs('revokeAccess', args))).toEqual(args)
    expect(() => encodeArgs('revokeAccess', { ...args, toString: 1 })).toThrow(invalid)
    expect(() => encodeArgs({ toString: () => 'revokeAccess' } as never, args)).toThrow(invalid)
    expect(() => encodeArgs(Symbol('x') as never, args)).toThrow(invalid)
  })
})

describe('envelope keys', () => {
  it("refuses libsodium's small-order blacklist, with and without the top bit of the last byte", () => {
    expect(WEAK_ENVELOPE_KEYS).toHaveLength(7)
    for (const hex of WEAK_ENVELOPE_KEYS) {
      const key = Uint8Array.from(Buffer.from(hex, 'hex'))
      expect(isWeakEnvelopeKey(key)).toBe(true)
      expect(() => envelopeKey.check(key, 'k')).toThrow(invalid)
      const high = key.slice()
      high[31]! |= 0x80
      expect(isWeakEnvelopeKey(high)).toBe(true)
      expect(() => envelopeKey.fromWire(high, 'k')).toThrow(invalid)
    }
    const ok = new Uint8Array(32).fill(9)
    expect(isWeakEnvelopeKey(ok)).toBe(false)
    expect(envelopeKey.check(ok, 'k')).toEqual(ok)
    expect(() => envelopeKey.check(new Uint8Array(31), 'k')).toThrow(invalid)
  })
})
