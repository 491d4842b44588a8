import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { isDatapactError } from '../errors.js'
import { jsonReplacer, jsonReviver } from './json.js'

const key = fc.string().filter(k => k !== '__proto__')
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(d => (Object.is(d, -0) ? 0 : d)),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 64 }),
)
const value = fc.letrec(tie => ({
  tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
})).tree

const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v, jsonReplacer), jsonReviver)

describe('JSON replacer and reviver', () => {
  test.prop([value], { numRuns: 300 })('parse(stringify(x)) equals x for bigints and bytes at any depth', v => {
    expect(roundTrip(v)).toEqual(v)
  })

  it('uses tagged objects, hex for bytes, and treats a Buffer as bytes', () => {
    const text = JSON.stringify({ a: 12n, b: new Uint8Array([1, 255]), c: Buffer.from([7]) }, jsonReplacer)
    expect(text).toBe('{"a":{"$bigint":"12"},"b":{"$bytes":"01ff"},"c":{"$bytes":"07"}}')
    const back = JSON.parse(text, jsonReviver)
    expect(back.c).toBeInstanceOf(Uint8Array)
    expect([...back.c]).toEqual([7])
  })

  it('refuses a malformed tag with INVALID_INPUT and keeps other objects as parsed', () => {
    for (const bad of ['{"$bigint":"1.5"}', '{"$bigint":7}', '{"$bytes":"0g"}', '{"$bytes":"abc"}'])
      expect(() => JSON.parse(bad, jsonReviver), bad).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }) as unknown as Error,
      )
    let caught: unknown
    try {
      JSON.parse('{"$bigint":"01"}', jsonReviver)
    } catch (e) {
      caught = e
    }
    expect(isDatapactError(caught, 'INVALID_INPUT')).toBe(true)
    expect(JSON.parse('{"$bigint":"1","other":2}', jsonReviver)).toEqual({ $bigint: '1', other: 2 })
  })
})
