import { fc, test } from '@fast-check/vitest'
import { hexlify, Interface, type ParamType } from 'ethers'
import { describe, expect, it } from 'vitest'
import { decodeEvent, decodeTopics, decodeView, type EventName, type ViewName } from '../src/abi.js'
import { toLedgerEvents } from '../src/codec.js'
import { datapactAbi } from '../src/generated/datapact.js'
import { decodePayloadLog, encodeRecordUsage } from '../src/payloadCodec.js'

/**
 * The linear decoder (src/abi.ts) against ethers' generic one: every event and every view of the ABI, over random
 * values of its parameter types, encoded with ethers' Interface and decoded by both.
 */
const iface = new Interface(datapactAbi)

const hex = (length: number) => fc.uint8Array({ minLength: length, maxLength: length }).map(b => hexlify(b))
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 4 }).map(s => `\uFEFF${s}`),
  fc.constant(''),
)

/** Random values of an ABI type, in the form ethers encodes (tuples as arrays). */
function arbitrary(p: ParamType): fc.Arbitrary<unknown> {
  if (p.isArray()) return fc.array(arbitrary(p.arrayChildren), { maxLength: 4 })
  if (p.isTuple()) return fc.tuple(...p.components.map(arbitrary))
  if (p.type === 'bool') return fc.boolean()
  if (p.type === 'address') return hex(20)
  if (p.type === 'bytes') return fc.uint8Array({ maxLength: 70 }).map(b => hexlify(b))
  if (p.type === 'string') return text
  const u = /^uint(\d+)$/.exec(p.type)
  if (u) {
    const max = (1n << BigInt(u[1]!)) - 1n
    return fc.oneof(fc.bigInt({ min: 0n, max }), fc.constantFrom(0n, max))
  }
  const b = /^bytes(\d+)$/.exec(p.type)
  if (b) return hex(Number(b[1]))
  throw new Error(`no arbitrary for ${p.type}`)
}

/** An ethers-decoded value in the linear decoder's form: named tuples, small uints as numbers, lowercase hex. */
function normalise(p: ParamType, v: unknown): unknown {
  if (p.isArray()) return (v as unknown[]).map(x => normalise(p.arrayChildren, x))
  if (p.isTuple()) {
    const values = v as unknown[]
    return Object.fromEntries(p.components.map((c, i) => [c.name, normalise(c, values[i])]))
  }
  if (/^uint(8|16|24|32|40|48)$/.test(p.type)) return Number(v)
  if (typeof v === 'string' && p.type !== 'string') return v.toLowerCase()
  return v
}

const eventNames = datapactAbi.filter(e => e.type === 'event').map(e => e.name as EventName)
const viewNames = datapactAbi
  .filter(e => e.type === 'function' && e.stateMutability === 'view')
  .map(e => e.name as ViewName)

describe('linear ABI decoder', () => {
  it('covers every event and view of the contract', () => {
    expect(eventNames.length).toBeGreaterThanOrEqual(19)
    expect(viewNames).toContain('listMembers')
  })

  for (const name of eventNames) {
    const fragment = iface.getEvent(name)!
    test.prop([fc.tuple(...fragment.inputs.map(arbitrary))], { numRuns: 40 })(
      `decodes ${name} as ethers does`,
      values => {
        const { data, topics } = iface.encodeEventLog(fragment, values)
        const ethers = iface.decodeEventLog(fragment, data, topics)
        const expected = Object.fromEntries(fragment.inputs.map((p, i) => [p.name, normalise(p, ethers[i])]))
        const got = decodeEvent(name, topics, data)
        expect(got).toEqual(expected)
        const indexed = fragment.inputs.filter(p => p.indexed).map(p => [p.name, expected[p.name]])
        expect(decodeTopics(name, topics)).toEqual(Object.fromEntries(indexed))
        // The named arguments map onto the same core events either way.
        if (name !== 'UsageRecorded' || (values[6] as unknown[]).length === 0)
          expect(toLedgerEvents(name, got as never)).toEqual(toLedgerEvents(name, expected as never))
      },
    )
  }

  for (const name of viewNames) {
    const fragment = iface.getFunction(name)!
    test.prop([fc.tuple(...fragment.outputs.map(arbitrary))], { numRuns: 25 })(
      `decodes the result of ${name} as ethers does`,
      values => {
        const data = iface.encodeFunctionResult(fragment, values)
        const ethers = iface.decodeFunctionResult(fragment, data)
        const outputs = fragment.outputs.map((p, i) => normalise(p, ethers[i]))
        const expected =
          outputs.length === 1 ? outputs[0] : Object.fromEntries(fragment.outputs.map((p, i) => [p.name, outputs[i]]))
        expect(decodeView(name, data)).toEqual(expected)
      },
    )
  }

  test.prop([fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 }), fc.nat(0xffff_ffff), fc.boolean()])(
    'PayloadStored: the hand decoder reads what ethers encodes',
    (chunks, first, complete) => {
      const fragment = iface.getEvent('PayloadStored')!
      const { data, topics } = iface.encodeEventLog(fragment, [`0x${'ab'.repeat(32)}`, hex0, first, complete, chunks])
      const p = decodePayloadLog(data)
      const generic = decodeEvent('PayloadStored', topics, data)
      expect({ first: p.first, complete: p.complete, count: p.count }).toEqual({
        first: generic.first,
        complete: generic.complete,
        count: generic.chunks.length,
      })
      expect(p.chunks().map(c => hexlify(c))).toEqual(generic.chunks)
    },
  )

  test.prop([
    fc.array(hex(32), { maxLength: 5 }),
    fc.array(hex(32), { maxLength: 5 }),
    fc.array(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), { maxLength: 12 }),
  ])('recordUsage calldata: the hand encoder writes what ethers encodes', (ids, wraps, claims) => {
    const selector = iface.getFunction('recordUsage')!.selector
    expect(encodeRecordUsage(selector, ids, wraps, claims)).toBe(
      iface.encodeFunctionData('recordUsage', [ids, wraps, claims]),
    )
  })

  it('recordUsage calldata: refuses what ethers refuses', () => {
    const selector = iface.getFunction('recordUsage')!.selector
    expect(() => encodeRecordUsage(selector, ['0x12'], [], [])).toThrow(RangeError)
    expect(() => encodeRecordUsage(selector, [], [], [1n << 256n])).toThrow(RangeError)
    expect(() => encodeRecordUsage(selector, [], [], [-1n])).toThrow(RangeError)
  })

  it('refuses truncated data and impossible lengths instead of reading past the end', () => {
    const fragment = iface.getEvent('UsageRecorded')!
    const { data, topics } = iface.encodeEventLog(fragment, [hex0, 1n, 2n, [], [], [], [5n, 6n]])
    expect(decodeEvent('UsageRecorded', topics, data).claims).toEqual([5n, 6n])
    expect(() => decodeEvent('UsageRecorded', topics, data.slice(0, -64))).toThrow(RangeError)
    // claims' length word (the last but two) claims 2^40 elements.
    const words = data.slice(2).match(/.{64}/g)!
    words[words.length - 3] = (1n << 40n).toString(16).padStart(64, '0')
    expect(() => decodeEvent('UsageRecorded', topics, `0x${words.join('')}`)).toThrow(RangeError)
    words[0] = 'f'.repeat(64)
    expect(() => decodeEvent('UsageRecorded', topics, `0x${words.join('')}`)).toThrow(RangeError)
    expect(() => decodeEvent('UsageRecorded', topics.slice(0, 1), data)).toThrow(RangeError)
  })

  it('refuses strings that are not UTF-8, as ethers does', () => {
    const fragment = iface.getEvent('MemberJoined')!
    const { data, topics } = iface.encodeEventLog(fragment, [hex0, 'ab', 4, `0x${'00'.repeat(32)}`])
    const bad = data.replace('6162', 'ff62')
    // ethers defers the error to the first read of the field.
    expect(() => iface.decodeEventLog(fragment, bad, topics).name).toThrow()
    expect(() => decodeEvent('MemberJoined', topics, bad)).toThrow(TypeError)
  })

  it('decodes a 1000-record UsageRecorded log, every claim in place', () => {
    const fragment = iface.getEvent('UsageRecorded')!
    const claims = Array.from({ length: 2000 }, (_, i) => (BigInt(i) << 128n) | BigInt(i))
    const ids = [`0x${'11'.repeat(32)}`]
    const { data, topics } = iface.encodeEventLog(fragment, [hex0, 1n, 2n, ids, [0n], [hex32], claims])
    const decoded = decodeEvent('UsageRecorded', topics, data)
    expect(decoded.claims).toEqual(claims)
    expect(decoded).toMatchObject({ consumer: hex0, period: 1n, at: 2n, datasetIds: ids, wrapHashes: [hex32] })
  })
})

const hex0 = `0x${'00'.repeat(20)}`
const hex32 = `0x${'22'.repeat(32)}`
