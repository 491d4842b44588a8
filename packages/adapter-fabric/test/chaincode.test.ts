import { encode, schema } from '@datapact/core/codec'
import { encodeArgs, queryRules, writeRules } from '@datapact/core/rules'
import * as grpc from '@grpc/grpc-js'
import { type Contract, connect, type Gateway } from '@hyperledger/fabric-gateway'
import type { Context } from 'fabric-contract-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkClockSkew } from '../src/chaincode/contract.js'
import { DatapactContract, transactionNames } from '../src/chaincode/index.js'
import { StubPort } from '../src/chaincode/stubPort.js'
import { toLedgerError } from '../src/errors.js'
import type { FabricLedger } from '../src/index.js'
import { createFabricHarness, type FabricHarness, memberIdentity, memberSigner } from '../src/testing/index.js'
import { decodeEventPayload, decodeEvents, eventName, fromBase64, toBase64 } from '../src/wire.js'

type Stub = Context['stub']

// Canonical CBOR of values core's schemas would refuse: the chaincode must refuse them itself.
const loose = schema.object
const text = schema.string(100)
const looseJoin = loose({
  name: text,
  roles: schema.array(text, 5),
  envelopeKey: schema.bytes({}),
  settings: schema.nullable(text),
})

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
    const port = new StubPort(stub, 'Org1MSP/alice')
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
    const port = new StubPort(counting, 'x')
    for (let i = 0; i < 3; i++) {
      expect(await port.get('a')).toEqual(bytes('one'))
      expect(await port.get('missing')).toBeUndefined()
    }
    expect(reads).toBe(2)
  })

  it('keeps its own copy of a written value', async () => {
    const port = new StubPort(fakeStub({}).stub, 'x')
    const value = bytes('abc')
    await port.put('k', value)
    value[0] = 0
    expect(await port.get('k')).toEqual(bytes('abc'))
  })
})

describe('the chaincode on the gateway test server', () => {
  let h: FabricHarness
  let member: FabricLedger
  let client: grpc.Client
  let gateway: Gateway
  let contract: Contract

  beforeAll(async () => {
    h = await createFabricHarness()
    const identity = await h.identity('raw')
    member = h.connect(identity)
    client = new grpc.Client(h.server.address, grpc.credentials.createInsecure())
    gateway = connect({ client, identity: memberIdentity(identity), signer: memberSigner(identity) })
    contract = gateway.getNetwork(h.channel).getContract(h.chaincode)
  }, 60_000)
  afterAll(async () => {
    gateway?.close()
    client?.close()
    await h?.teardown()
  })

  it('serves exactly core’s rules: writes as submit, queries as evaluate', async () => {
    // The contract metadata as fabric-contract-api builds it. (Evaluating org.hyperledger.fabric:GetMetadata needs
    // class-transformer 0.4.0: 0.4.1 renamed classToPlain, which fabric-contract-api 2.5.8 still calls.)
    const transactions: Array<{ name: string; tag: string[]; parameters: unknown[]; returns: unknown }> = (
      Reflect as unknown as { getMetadata(key: string, target: object): never }
    ).getMetadata('fabric:transactions', DatapactContract.prototype)
    const byTag = (tag: string) =>
      transactions
        .filter(t => t.tag.includes(tag))
        .map(t => t.name)
        .sort()
    // Plus one Fabric-only write: the explicit hand-over of a member's pinned certificate.
    expect(byTag('SUBMIT')).toEqual([...Object.keys(writeRules), 'rotateFabricCertificate'].sort())
    expect(byTag('EVALUATE')).toEqual(Object.keys(queryRules).sort())
    expect(transactions).toHaveLength(transactionNames.length + 1)
    for (const t of transactions) {
      const parameter = t.name === 'rotateFabricCertificate' ? 'certificateBase64' : 'argsBase64'
      expect(t.parameters).toMatchObject([{ name: parameter, schema: { type: 'string' } }])
      expect(t.returns).toMatchObject({ type: 'string' })
    }
  })

  it('refuses undecodable arguments on the ledger itself with INVALID_INPUT, leaving it untouched', async () => {
    const height = h.server.blockHeight()
    const state = h.server.stateSnapshot()
    const valid = encodeArgs('joinConsortium', {
      name: 'x',
      roles: ['provider'],
      envelopeKey: new Uint8Array(32).fill(1), // all-zero is now a small-order key (issue 9)
      settings: null,
    })
    const garbage: Array<[string, string]> = [
      ['joinConsortium', ''],
      ['joinConsortium', 'not base64!'],
      ['joinConsortium', `${toBase64(valid)}\n`],
      ['joinConsortium', toBase64(valid).replace(/=*$/, '')], // unpadded
      ['joinConsortium', toBase64(new Uint8Array([0xff, 0x00, 0x13]))], // not CBOR
      ['joinConsortium', toBase64(new Uint8Array([...valid, 0]))], // trailing byte
      ['joinConsortium', toBase64(encode(loose({ name: text }), { name: 'x' }))], // wrong shape
      [
        'joinConsortium',
        toBase64(
          encode(looseJoin, { name: 'x', roles: ['emperor'], envelopeKey: new Uint8Array(32).fill(1), settings: null }),
        ),
      ],
      ['getMember', toBase64(encode(loose({ member: text }), { member: 'has space' }))],
      ['noSuchRule', toBase64(valid)],
    ]
    for (const [name, argument] of garbage) {
      const submitted = await contract.submitTransaction(name, argument).catch((e: unknown) => e)
      expect(toLedgerError(submitted, { operation: name }), `${name}(${argument})`).toMatchObject({
        code: 'INVALID_INPUT',
      })
      const evaluated = await contract.evaluateTransaction(name, argument).catch((e: unknown) => e)
      expect(toLedgerError(evaluated, { operation: name })).toMatchObject({ code: 'INVALID_INPUT' })
    }
    expect(h.server.blockHeight()).toBe(height)
    expect(h.server.stateSnapshot()).toEqual(state)
  })

  it('sets one `datapact` event per write: { at, caller, events } in canonical CBOR, the same events it returns', async () => {
    const argument = toBase64(
      encodeArgs('joinConsortium', {
        name: 'Raw',
        roles: ['provider'],
        envelopeKey: new Uint8Array(32).fill(1),
        settings: null,
      }),
    )
    const commit = await contract.submitAsync('joinConsortium', { arguments: [argument] })
    const status = await commit.getStatus()
    const returned = decodeEvents(fromBase64(Buffer.from(commit.getResult()).toString())!)
    const events = await gateway
      .getNetwork(h.channel)
      .getChaincodeEvents(h.chaincode, { startBlock: status.blockNumber })
    try {
      const { value } = await events[Symbol.asyncIterator]().next()
      expect(value).toMatchObject({
        eventName,
        transactionId: commit.getTransactionId(),
        blockNumber: status.blockNumber,
      })
      const payload = decodeEventPayload(value.payload)
      expect(payload).toEqual({ at: expect.any(Number), caller: member.memberId, events: returned })
      expect(Math.abs(payload.at - Date.now() / 1000)).toBeLessThan(60)
      expect(returned.map(e => e.type)).toEqual(['ConsortiumBootstrapped', 'MemberJoined'])
    } finally {
      events.close()
    }
    // A query changes nothing and sets no event.
    const height = h.server.blockHeight()
    await member.query('listMembers', {})
    expect(h.server.blockHeight()).toBe(height)
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
