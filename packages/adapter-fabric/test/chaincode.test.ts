// The chaincode (@datapact/chaincode) as the client meets it: through the gateway test server, which runs it.

import { DatapactContract, transactionNames } from '@datapact/chaincode'
import { decodeEventPayload, decodeEvents, eventName, fromBase64, toBase64 } from '@datapact/chaincode/wire'
import { encode, schema } from '@datapact/core/codec'
import { encodeArgs, queryRules, writeRules } from '@datapact/core/rules'
import * as grpc from '@grpc/grpc-js'
import { type Contract, connect, type Gateway } from '@hyperledger/fabric-gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toLedgerError } from '../src/errors.js'
import type { FabricLedger } from '../src/index.js'
import { createFabricHarness, type FabricHarness, memberIdentity, memberSigner } from '../src/testing/index.js'

// Canonical CBOR of values core's schemas would refuse: the chaincode must refuse them itself.
const loose = schema.object
const text = schema.string(100)
const looseJoin = loose({
  name: text,
  roles: schema.array(text, 5),
  envelopeKey: schema.bytes({}),
  settings: schema.nullable(text),
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
    // The contract metadata as fabric-contract-api builds it.
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

  it('answers org.hyperledger.fabric:GetMetadata with the contract’s transactions', async () => {
    // fabric-contract-api 2.5.8 serializes this object result with class-transformer, which resolves to 0.4.1 here
    // (no override): @datapact/chaincode makes the contract API work with it.
    const system = gateway.getNetwork(h.channel).getContract(h.chaincode, 'org.hyperledger.fabric')
    const metadata = JSON.parse(new TextDecoder().decode(await system.evaluateTransaction('GetMetadata'))) as {
      contracts: Record<string, { info: { title: string }; transactions: Array<{ name: string }> }>
    }
    expect(metadata.contracts.datapact?.info.title).toBe('Datapact')
    expect(metadata.contracts.datapact!.transactions.map(t => t.name).sort()).toEqual(
      [...transactionNames, 'rotateFabricCertificate'].sort(),
    )
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
