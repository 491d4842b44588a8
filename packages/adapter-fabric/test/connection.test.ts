import { createPrivateKey } from 'node:crypto'
import { LedgerPayloadStore } from '@datapact/core'
import { signers } from '@hyperledger/fabric-gateway'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FabricLedger, type FabricLedgerOptions } from '../src/index.js'
import {
  createTestOrganisation,
  datapactChaincode,
  type GatewayTestServer,
  type GatewayTestServerOptions,
  memberSigner,
  startGatewayTestServer,
  type TestMember,
  type TestOrganisation,
} from '../src/testing/index.js'

// How a member reaches its organisation's gateway peer: TLS with and without client certificates, a pluggable
// signer, and the refusals a real network gives that the shared test harness does not (no endorsers yet, an
// envelope over the orderer's AbsoluteMaxBytes). Each case runs the real chaincode on a gateway test server.

const key = (n: number) => new Uint8Array(32).fill(n)
const channel = 'datapact'
const chaincode = 'datapact'
const peerHost = 'peer0.org1.example.com'

let org1: TestOrganisation
let org2: TestOrganisation
let servers: GatewayTestServer[] = []
const ledgers: FabricLedger[] = []

beforeAll(async () => {
  ;[org1, org2] = await Promise.all([createTestOrganisation('Org1MSP'), createTestOrganisation('Org2MSP')])
})
afterEach(async () => {
  await Promise.all(ledgers.splice(0).map(ledger => ledger.close()))
  await Promise.all(servers.map(server => server.stop()))
  servers = []
})
afterAll(async () => {
  await Promise.all(servers.map(server => server.stop()))
})

async function start(options: Partial<GatewayTestServerOptions> = {}): Promise<GatewayTestServer> {
  const server = await startGatewayTestServer({
    channel,
    chaincodeName: chaincode,
    organisations: [org1, org2],
    chaincode: datapactChaincode(),
    blockTimeoutMs: 2,
    ...options,
  })
  servers.push(server)
  return server
}

// `privateKeyPem: undefined` removes the member's key, to give a signer instead.
type ConnectOptions = { [K in keyof FabricLedgerOptions]?: FabricLedgerOptions[K] | undefined }

function connect(server: GatewayTestServer, member: TestMember, options: ConnectOptions = {}) {
  const ledger = new FabricLedger({
    peerEndpoint: server.address,
    mspId: member.mspId,
    certificatePem: member.certificatePem,
    privateKeyPem: member.privateKeyPem,
    channel,
    chaincode,
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 50 },
    ...options,
  } as FabricLedgerOptions)
  ledgers.push(ledger)
  return ledger
}

const join = (ledger: FabricLedger, n = 1) =>
  ledger.submit('joinConsortium', { name: `m${n}`, roles: ['provider'], envelopeKey: key(n), settings: null })

describe('FabricLedger over TLS', () => {
  it('reaches a TLS peer with its CA and host name, and a mutual-TLS peer only with a client certificate', async () => {
    const peerTls = await org1.createTlsIdentity(peerHost)
    const clientTls = await org1.createTlsIdentity('client.org1.example.com')
    const server = await start({ tls: { ...peerTls, clientCaPem: org1.caCertPem } })
    const alice = await org1.createMember('alice')
    const tls = { tlsRootCert: org1.caCertPem, hostAlias: peerHost }

    const mutual = connect(server, alice, {
      ...tls,
      tlsClientCertificate: clientTls.certificatePem,
      tlsClientKey: clientTls.privateKeyPem,
    })
    await join(mutual)
    expect((await mutual.query('getMember', { member: mutual.memberId }))?.name).toBe('m1')

    // The same member without a client certificate: the TLS handshake fails, the peer is unreachable to it.
    const withoutClientCert = connect(server, alice, tls)
    await expect(withoutClientCert.query('getSettings', {})).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      ledger: 'fabric',
    })
    // A plaintext connection to a TLS peer fails the same way.
    await expect(connect(server, alice).query('getSettings', {})).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    })
  }, 60_000)

  it('checks the peer: a TLS certificate from another CA is refused', async () => {
    const server = await start({ tls: await org1.createTlsIdentity(peerHost) })
    const alice = await org1.createMember('alice')
    await join(connect(server, alice, { tlsRootCert: org1.caCertPem, hostAlias: peerHost }))
    await expect(
      connect(server, alice, { tlsRootCert: org2.caCertPem, hostAlias: peerHost }).query('getSettings', {}),
    ).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
  }, 60_000)
})

describe('FabricLedger with a pluggable signer', () => {
  it('signs every proposal, transaction and request through the given signer', async () => {
    const server = await start()
    const alice = await org1.createMember('alice')
    const { privateKeyPem: _, ...identity } = alice
    let signatures = 0
    const sign = memberSigner(alice)
    const ledger = connect(server, identity as TestMember, {
      privateKeyPem: undefined,
      signer: async digest => {
        signatures++
        expect(digest).toHaveLength(32)
        return sign(digest)
      },
    })
    await join(ledger)
    expect((await ledger.readEvents()).events.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
    ])
    // A submit signs the proposal, the transaction and the commit status request; the event read signs its request.
    expect(signatures).toBeGreaterThanOrEqual(4)
  }, 60_000)

  it('is refused with ACCESS_DENIED when the signer holds another key than the certificate', async () => {
    const server = await start()
    const alice = await org1.createMember('alice')
    const mallory = await org1.createMember('mallory')
    const ledger = connect(server, alice, {
      privateKeyPem: undefined,
      signer: signers.newPrivateKeySigner(createPrivateKey(mallory.privateKeyPem)),
    })
    await expect(join(ledger)).rejects.toMatchObject({ code: 'ACCESS_DENIED', ledger: 'fabric' })
    await expect(ledger.query('getSettings', {})).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
    expect(server.blockHeight()).toBe(1)
  }, 60_000)
})

describe('FabricLedger when no peers can endorse yet', () => {
  it('waits and submits again while the gateway finds no endorsers, then commits once', async () => {
    const server = await start()
    const alice = connect(server, await org1.createMember('alice'))
    server.refuseEndorsements(3)
    const { events } = await join(alice)
    expect(events.map(e => e.type)).toEqual(['ConsortiumBootstrapped', 'MemberJoined'])
    expect(server.blockHeight()).toBe(2)
  }, 60_000)

  it('gives up after endorsersWaitMs with LEDGER_UNAVAILABLE that names the endorsement policy', async () => {
    const server = await start()
    const alice = connect(server, await org1.createMember('alice'), { endorsersWaitMs: 1000 })
    server.refuseEndorsements(1_000)
    const started = Date.now()
    const error = await join(alice).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LEDGER_UNAVAILABLE', ledger: 'fabric' })
    expect((error as Error).message).toMatch(/no set of peers that satisfies the chaincode's endorsement policy/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(server.blockHeight()).toBe(1)
  }, 60_000)
})

describe("FabricLedger and the orderer's AbsoluteMaxBytes", () => {
  it('refuses an oversized envelope with INVALID_INPUT; maxPayloadBatchBytes keeps batches under the limit', async () => {
    const absoluteMaxBytes = 1024 * 1024
    const server = await start({ absoluteMaxBytes })
    const alice = await org1.createMember('alice')
    const plain = connect(server, alice)
    await join(plain)
    const chunks = Array.from({ length: 4 }, (_, i) => new Uint8Array(256 * 1024).fill(i + 1))
    const error = await new LedgerPayloadStore(plain)
      .put(
        (async function* () {
          yield* chunks
        })(),
      )
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT', ledger: 'fabric' })
    expect((error as Error).message).toMatch(/AbsoluteMaxBytes/)

    const sized = connect(server, alice, { maxPayloadBatchBytes: Math.floor(absoluteMaxBytes / 2.5) })
    const store = new LedgerPayloadStore(sized)
    const upload = await store.put(
      (async function* () {
        yield* chunks
      })(),
    )
    const read: Uint8Array[] = []
    for await (const chunk of store.get(upload, chunks.length)) read.push(chunk)
    expect(read).toHaveLength(chunks.length)
    expect(read.every((chunk, i) => Buffer.from(chunk).equals(chunks[i]!))).toBe(true)
  }, 60_000)
})
