import { pinKey, toBase64 } from '@datapact/chaincode/wire'
import * as grpc from '@grpc/grpc-js'
import { connect } from '@hyperledger/fabric-gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FabricLedger, memberIdOf, toLedgerError } from '../src/index.js'
import { createFabricHarness, type FabricHarness, memberIdentity, memberSigner } from '../src/testing/index.js'

// A member id is `<mspId>/<CN>`; the certificate of the member's first write pins it (key and NodeOU roles).

const key = (n: number) => new Uint8Array(32).fill(n)
const join = (ledger: FabricLedger, n = 1) =>
  ledger.submit('joinConsortium', { name: `m${n}`, roles: ['provider'], envelopeKey: key(n), settings: null })
const refused = { code: 'ACCESS_DENIED', ledger: 'fabric' }

describe('member ids pinned to a certificate', () => {
  let h: FabricHarness
  beforeAll(async () => {
    h = await createFabricHarness({ shared: false })
    // The genesis admin fixed at deployment bootstraps the consortium; the members below join it.
    await join(await h.member('genesis'), 9)
  }, 60_000)
  afterAll(() => h?.teardown())

  it('refuses the same MSP and CN with another key, or with the same key in another role', async () => {
    const org = h.organisations[0]!
    const alice = await org.createMember('alice')
    const ledger = h.connect(alice)
    await join(ledger)
    expect(h.server.stateSnapshot().map(e => e.key)).toContain(pinKey(ledger.memberId))

    const others = [
      await org.createMember('alice'), // another key
      await org.createMember('alice', { role: 'peer', keyOf: alice }), // the same key as a peer
      await org.createMember('alice', { role: 'admin', keyOf: alice }), // the same key as an admin
    ]
    for (const other of others) {
      expect(memberIdOf(other.mspId, other.certificatePem)).toBe(ledger.memberId)
      const imposter = h.connect(other)
      await expect(imposter.query('getMember', { member: ledger.memberId })).rejects.toMatchObject(refused)
      await expect(imposter.submit('rotateEnvelopeKey', { envelopeKey: key(7) })).rejects.toMatchObject(refused)
      await expect(imposter.rotateCertificate(other.certificatePem)).rejects.toMatchObject(refused)
    }
    // The pinned certificate still acts, and nothing the others tried was applied.
    await ledger.submit('rotateEnvelopeKey', { envelopeKey: key(2) })
    expect((await ledger.readEvents()).events.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
      'MemberJoined',
      'EnvelopeKeyRotated',
    ])
  }, 60_000)

  it('hands a member over to its next certificate only as an explicit step by the pinned one', async () => {
    const org = h.organisations[1]!
    const bob = await org.createMember('bob')
    const ledger = h.connect(bob)
    await join(ledger, 2)
    const renewed = await org.createMember('bob')
    const carol = await org.createMember('carol')
    await expect(ledger.rotateCertificate(carol.certificatePem)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { argument: 'certificatePem' },
    })

    const { txId } = await ledger.rotateCertificate(renewed.certificatePem)
    expect(txId).toMatch(/^[0-9a-f]{64}$/)
    const next = h.connect(renewed)
    expect(next.memberId).toBe(ledger.memberId)
    await next.submit('rotateEnvelopeKey', { envelopeKey: key(3) })
    expect((await next.query('getMember', { member: next.memberId }))?.name).toBe('m2')
    await expect(ledger.query('getSettings', {})).rejects.toMatchObject(refused)
    await expect(ledger.submit('rotateEnvelopeKey', { envelopeKey: key(4) })).rejects.toMatchObject(refused)
  }, 60_000)

  it('refuses, in the chaincode itself, a next certificate that names another member', async () => {
    const org = h.organisations[0]!
    const dave = await org.createMember('dave')
    await join(h.connect(dave), 3)
    const eve = await org.createMember('eve')
    const client = new grpc.Client(h.server.address, grpc.credentials.createInsecure())
    const gateway = connect({ client, identity: memberIdentity(dave), signer: memberSigner(dave) })
    try {
      const contract = gateway.getNetwork(h.channel).getContract(h.chaincode)
      for (const argument of [toBase64(new TextEncoder().encode(eve.certificatePem)), 'not base64', toBase64(key(1))]) {
        const error = await contract.submitTransaction('rotateFabricCertificate', argument).catch((e: unknown) => e)
        expect(toLedgerError(error, { operation: 'rotate' }), argument).toMatchObject({ code: 'INVALID_INPUT' })
      }
    } finally {
      gateway.close()
      client.close()
    }
  }, 60_000)
})
