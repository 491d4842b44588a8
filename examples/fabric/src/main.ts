/**
 * Datapact on Hyperledger Fabric: the quickstart story, with every member a Fabric identity of its organisation,
 * every write a Fabric transaction (endorsed by the real Datapact chaincode, ordered, validated with MVCC) and every
 * read a query on the gateway peer, all through the real `@hyperledger/fabric-gateway` client.
 *
 * The network here is the gateway test server from `@datapact/adapter-fabric/testing` (one peer, a solo orderer,
 * the chaincode as a service in a child process), so the example runs anywhere without Docker. Against a real
 * Fabric 2.5 network only the `FabricLedger` options change: `peerEndpoint`, `tlsRootCert`, `hostAlias`, and the
 * members' enrolled certificates (see docs/fabric.md). Run with `pnpm --filter @datapact/example-fabric start`.
 */
import { FabricLedger } from '@datapact/adapter-fabric'
import {
  createTestOrganisation,
  datapactChaincode,
  startGatewayTestServer,
  type TestMember,
} from '@datapact/adapter-fabric/testing'
import { Datapact, generateMemberKeys } from '@datapact/core'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const short = (s: string) => (s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-4)}` : s)
const step = (n: number, text: string) => console.log(`\n${n}. ${text}`)
const say = (text: string) => console.log(`   ${text}`)

const channel = 'datapact'
const chaincode = 'datapact'

step(1, 'A channel with three organisations, and the Datapact chaincode running as a service')
const [dataCo, analyticsCo, regulatorOrg] = await Promise.all([
  createTestOrganisation('AliceDataMSP'),
  createTestOrganisation('BobAnalyticsMSP'),
  createTestOrganisation('RegulatorMSP'),
])
const server = await startGatewayTestServer({
  channel,
  chaincodeName: chaincode,
  organisations: [dataCo, analyticsCo, regulatorOrg],
  chaincode: datapactChaincode(),
})
say(`gateway peer on ${server.address}, channel "${channel}", chaincode "${chaincode}"`)

// Each member: a certificate from its organisation's CA, a gateway connection, and its own envelope keys.
const connect = (member: TestMember) =>
  new FabricLedger({
    peerEndpoint: server.address, // plaintext: a test server. On a real network add tlsRootCert (and hostAlias).
    mspId: member.mspId,
    certificatePem: member.certificatePem,
    privateKeyPem: member.privateKeyPem,
    channel,
    chaincode,
  })
const aliceId = await dataCo.createMember('alice')
const aliceKeys = generateMemberKeys()
const alice = await Datapact.open({ ledger: connect(aliceId), keys: aliceKeys })
const bob = await Datapact.open({ ledger: connect(await analyticsCo.createMember('bob')), keys: generateMemberKeys() })
const auditor = await regulatorOrg.createMember('auditor')
const regulatorLedger = connect(auditor)
const regulator = await Datapact.open({ ledger: regulatorLedger, keys: generateMemberKeys() })

step(2, 'They join the consortium; their member ids come from their certificates (<MSP id>/<CN>)')
await alice.members.join({ name: 'Alice Data Ltd', roles: ['provider'] })
await bob.members.join({ name: 'Bob Analytics', roles: ['consumer'] })
await regulator.members.join({ name: 'Market Regulator', roles: ['regulator'] })
for (const m of await regulator.members.list())
  say(`${m.name.padEnd(18)} ${m.id.padEnd(22)} roles: ${m.roles.join(', ')}`)

step(3, 'Alice registers a dataset: encrypted, chunked into transactions, anchored on the channel ledger')
const v1 = new TextEncoder().encode('date,close\n2026-11-23,101.5\n2026-11-24,102.25\n'.repeat(2000))
const { id, version } = await alice.datasets.register({
  title: 'Daily closing prices',
  tags: ['finance'],
  mediaType: 'text/csv',
  terms: { pricePerAccess: 100n, currency: 'CNY', licence: 'Internal analytics only' },
  data: v1,
})
say(`dataset ${short(id)} version ${version?.number}: ${version?.size} bytes, ${version?.chunkCount} chunk(s)`)
say(`Merkle root ${short(hex(version!.merkleRoot))}; block height now ${server.blockHeight()}`)

step(4, 'Alice grants Bob access (at most 10 accesses) and publishes version 2')
const grant = await alice.grants.grant(id, bob.memberId, { scope: 'all', maxAccesses: 10 })
say(`grant #${grant.seq} to ${grant.grantee}`)
const v2 = await alice.datasets.publish(id, new TextEncoder().encode('date,close\n2026-11-25,103.0\n'.repeat(3000)))
say(`version ${v2.number} published; its key is wrapped for Alice and Bob only`)

step(5, 'Alice goes offline; Bob fetches through his own gateway peer, verified and metered')
await alice.close()
const fetched = await bob.data.fetch(id)
say(`version ${fetched.version.number}: ${fetched.bytes.length} bytes, digest matches the ledger`)
say(`usage recorded in Fabric transaction ${short(fetched.receipt?.txId ?? '')}`)
await bob.usage.record([
  { datasetId: id, version: 2 },
  { datasetId: id, version: 1 },
])
say(`a batch of 2 more accesses in one transaction; grant usage ${(await bob.grants.get(id))?.used} of 10`)

step(6, 'Both sides compute the statement from the ledger and settle it')
// Alice comes back with her own keys (Datapact.open checks them against her envelope key on the ledger).
const aliceBack = await Datapact.open({ ledger: connect(aliceId), keys: aliceKeys })
const fromBob = await bob.billing.statement({ provider: aliceBack.memberId })
const fromAlice = await aliceBack.billing.statement({ consumer: bob.memberId })
say(
  `Bob: ${fromBob.amount} ${fromBob.currency} for ${fromBob.count}; Alice: ${fromAlice.amount} for ${fromAlice.count}`,
)
say(`digests ${hex(fromBob.digest) === hex(fromAlice.digest) ? 'identical' : 'DIFFERENT'}`)
await bob.billing.settle(fromBob)
const settled = await aliceBack.billing.settle(fromAlice)
say(`settled ${settled.settledAmount} ${settled.currency}`)

step(7, 'The regulator audits from the chaincode events, and sees where each one is on the chain')
const report = await regulator.audit.verify({ payloads: true })
say(
  `${report.events} events, ${report.versions} versions, ${report.usageRecords} usage records → ${report.ok ? 'CLEAN' : 'VIOLATIONS'}`,
)
const { events } = await regulatorLedger.readEvents({ limit: 3 })
for (const e of events) say(`${e.cursor}  ${e.event.type.padEnd(22)} by ${e.caller} (tx ${short(e.txId)})`)

await Promise.all([bob.close(), regulator.close(), aliceBack.close()])
await server.stop()
if (!report.ok) process.exitCode = 1
console.log('\nDone.')
