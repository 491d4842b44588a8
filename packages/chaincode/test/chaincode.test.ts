import { toMemberId } from '@datapact/core'
import type { Context } from 'fabric-contract-api'
import { describe, expect, it } from 'vitest'
import { checkClockSkew } from '../src/contract.js'
import { StubPort } from '../src/stubPort.js'

type Stub = Context['stub']

/** A stub over committed state only, as Fabric's: reads never see the transaction's own writes. */
function fakeStub(committed: Record<string, string>) {
  const state = new Map(Object.entries(committed).map(([k, v]) => [k, new TextEncoder().encode(v)]))
  const writes: Array<[string, string | null]> = []
  const stub = {
    getTxTimestamp: () => ({ seconds: 1_700_000_123, nanos: 5 }),
    getState: async (key: string) => state.get(key) ?? new Uint8Array(),
    putState: async (key: string, value: Uint8Array) => void writes.push([key, new TextDecoder().decode(value)]),
    deleteState: async (key: string) => void writes.push([key, null]),
    getStateByRange(start: string, end: string) {
      const entries = [...state.entries()].filter(([k]) => k >= start && k < end).sort(([a], [b]) => (a < b ? -1 : 1))
      return (async function* () {
        for (const [key, value] of entries) yield { key, value }
      })()
    },
  }
  return { stub: stub as unknown as Stub, writes }
}

const bytes = (text: string) => new TextEncoder().encode(text)
const texts = (entries: Array<[string, Uint8Array]>) => entries.map(([k, v]) => [k, new TextDecoder().decode(v)])

describe('the stub port', () => {
  it('lets reads and ranges see this transaction’s writes and deletes, and writes only on flush', async () => {
    const { stub, writes } = fakeStub({ 'a/1': 'one', 'a/2': 'two', 'a/3': 'three', b: 'bee' })
    const port = new StubPort(stub, toMemberId('Org1MSP/alice'))
    expect([port.caller(), port.now()]).toEqual(['Org1MSP/alice', 1_700_000_123])
    await port.put('a/2', bytes('TWO'))
    await port.put('a/0', bytes('zero'))
    await port.delete('a/3')
    await port.put('a/4', bytes('four'))
    await port.delete('a/4')
    expect(await port.get('a/2')).toEqual(bytes('TWO'))
    expect(await port.get('a/3')).toBeUndefined()
    expect(await port.get('a/4')).toBeUndefined()
    expect(await port.get('b')).toEqual(bytes('bee'))
    expect(await port.get('nothing')).toBeUndefined()
    expect(texts(await port.range('a/'))).toEqual([
      ['a/0', 'zero'],
      ['a/1', 'one'],
      ['a/2', 'TWO'],
    ])
    expect(texts(await port.range(''))).toEqual([
      ['a/0', 'zero'],
      ['a/1', 'one'],
      ['a/2', 'TWO'],
      ['b', 'bee'],
    ])
    expect(writes).toEqual([])
    await port.flush()
    expect(writes).toEqual([
      ['a/0', 'zero'],
      ['a/2', 'TWO'],
      ['a/3', null],
      ['a/4', null],
    ])
  })

  it('reads each committed key from the stub once', async () => {
    const { stub } = fakeStub({ a: 'one' })
    let reads = 0
    const getState = (key: string) => {
      reads++
      return stub.getState(key)
    }
    const counting = { ...stub, getState } as unknown as Stub
    const port = new StubPort(counting, toMemberId('x'))
    for (let i = 0; i < 3; i++) {
      expect(await port.get('a')).toEqual(bytes('one'))
      expect(await port.get('missing')).toBeUndefined()
    }
    expect(reads).toBe(2)
  })

  it('keeps its own copy of a written value', async () => {
    const port = new StubPort(fakeStub({}).stub, toMemberId('x'))
    const value = bytes('abc')
    await port.put('k', value)
    value[0] = 0
    expect(await port.get('k')).toEqual(bytes('abc'))
  })
})

describe('the endorser clock', () => {
  const now = () => Math.floor(Date.now() / 1000)
  it('refuses a write whose proposal timestamp is further than the allowed skew from its own clock', () => {
    expect(() => checkClockSkew(now())).not.toThrow()
    expect(() => checkClockSkew(now() - 250)).not.toThrow()
    expect(() => checkClockSkew(now() - 400)).toThrow(/^DATAPACT:INVALID_INPUT:/)
    expect(() => checkClockSkew(now() + 400)).toThrow(/^DATAPACT:INVALID_INPUT:/)
  })
  it('takes the allowed skew from DATAPACT_MAX_CLOCK_SKEW_SECONDS', () => {
    const saved = process.env.DATAPACT_MAX_CLOCK_SKEW_SECONDS
    process.env.DATAPACT_MAX_CLOCK_SKEW_SECONDS = '10'
    try {
      expect(() => checkClockSkew(now() - 30)).toThrow(/^DATAPACT:INVALID_INPUT:/)
      expect(() => checkClockSkew(now() - 5)).not.toThrow()
    } finally {
      if (saved === undefined) delete process.env.DATAPACT_MAX_CLOCK_SKEW_SECONDS
      else process.env.DATAPACT_MAX_CLOCK_SKEW_SECONDS = saved
    }
  })
})
