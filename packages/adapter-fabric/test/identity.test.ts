import 'fabric-contract-api' // loads reflect-metadata, which @peculiar/x509 needs
import { fromBase64, MemberIdError, memberIdOf, toBase64 } from '@datapact/chaincode/wire'
import { records } from '@datapact/core/codec'
import * as x509 from '@peculiar/x509'
import { describe, expect, it } from 'vitest'
import { FabricLedger } from '../src/index.js'
import { createTestOrganisation, memberSigner } from '../src/testing/index.js'

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

async function certificate(name: x509.JsonName): Promise<string> {
  const keys = await globalThis.crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: new x509.Name(name),
      keys,
      signingAlgorithm: ecdsa,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 1e7),
    },
    globalThis.crypto,
  )
  return cert.toString('pem')
}

describe('member ids', () => {
  it('is <mspId>/<CN> for an ordinary Fabric CA certificate', async () => {
    const org = await createTestOrganisation('Org1MSP')
    const alice = await org.createMember('alice')
    expect(memberIdOf('Org1MSP', alice.certificatePem)).toBe('Org1MSP/alice')
    expect(memberIdOf('Org1MSP', new TextEncoder().encode(alice.certificatePem))).toBe('Org1MSP/alice')
    const admin = await org.createMember('admin@org1.example.com')
    expect(memberIdOf('Org1MSP', admin.certificatePem)).toBe('Org1MSP/admin@org1.example.com')
  })

  it('percent-encodes everything outside A-Z a-z 0-9 - . _ ~ @, so the id is a valid core member id', async () => {
    const cases: Array<[string, string]> = [
      ['Alice Smith', 'Alice%20Smith'],
      ['a/b,c+d"e;f', 'a%2Fb%2Cc%2Bd%22e%3Bf'],
      ['Zoë 张', 'Zo%C3%AB%20%E5%BC%A0'],
      ['50%', '50%25'],
    ]
    for (const [cn, encoded] of cases) {
      const id = memberIdOf('Org 1', await certificate([{ CN: [cn] }, { O: ['x'] }]))
      expect(id).toBe(`Org%201/${encoded}`)
      expect(records.memberId.check(id, 'id')).toBe(id)
    }
  })

  it('refuses a certificate without exactly one CN, garbage, and ids over 512 characters', async () => {
    await expect(certificate([{ O: ['no cn'] }]).then(pem => memberIdOf('M', pem))).rejects.toBeInstanceOf(
      MemberIdError,
    )
    await expect(certificate([{ CN: ['a', 'b'] }]).then(pem => memberIdOf('M', pem))).rejects.toBeInstanceOf(
      MemberIdError,
    )
    expect(() => memberIdOf('M', 'not a certificate')).toThrow(MemberIdError)
    expect(() => memberIdOf('', 'x')).toThrow(MemberIdError)
    const long = await certificate([{ CN: ['é'.repeat(100)] }])
    expect(() => memberIdOf('M', long)).toThrow(/512/)
  })
})

describe('base64 on the wire', () => {
  it('accepts only canonical, padded base64', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253])
    expect(fromBase64(toBase64(bytes))).toEqual(bytes)
    expect(fromBase64('')).toEqual(new Uint8Array())
    for (const bad of ['AAE', 'AAE=\n', 'AA==AA==', 'AAF=', '****', ' AAE=', 'AAE-', 'AAE_'])
      expect(fromBase64(bad), bad).toBeUndefined()
  })

  it('decodes answers of tens of MiB (16 chunks of 1 MiB) and still refuses a flaw at their end', () => {
    // A regular expression over the whole text threw RangeError (stack overflow) past about 4.5 MiB of text.
    const bytes = new Uint8Array(16 * (1024 * 1024 + 16) + 2).map((_, i) => i * 7)
    const text = toBase64(bytes)
    expect(text.length).toBeGreaterThan(22_000_000)
    const decoded = fromBase64(text)
    // Buffer.equals, not toEqual: vitest's deep equality on 16 MiB of elements exhausts the heap.
    expect(decoded && Buffer.from(decoded.buffer, decoded.byteOffset, decoded.length).equals(bytes)).toBe(true)
    expect(fromBase64(`${text.slice(0, -4)}AA-=`)).toBeUndefined()
    expect(fromBase64(`${text.slice(0, -4)}\nAA=`)).toBeUndefined()
    expect(fromBase64(`${text}AA==`)).toBeUndefined()
  })
})

describe('new FabricLedger', () => {
  it('computes the member id from the certificate and refuses unusable options with INVALID_INPUT', async () => {
    const org = await createTestOrganisation('Org1MSP')
    const alice = await org.createMember('alice')
    const bob = await org.createMember('bob')
    const base = { peerEndpoint: '127.0.0.1:1', channel: 'ch', chaincode: 'datapact', ...alice }
    const ledger = new FabricLedger(base)
    expect([ledger.kind, ledger.memberId]).toEqual(['fabric', 'Org1MSP/alice'])
    await ledger.close()
    const bad: Array<[string, Record<string, unknown>]> = [
      ['options.privateKeyPem', { privateKeyPem: bob.privateKeyPem }],
      ['options.privateKeyPem', { privateKeyPem: 'not a key' }],
      ['options.certificatePem', { certificatePem: 'not a certificate' }],
      ['options.channel', { channel: '' }],
      ['options.mspId', { mspId: undefined }],
      ['options.peerEndpoint', { peerEndpoint: undefined }],
      ['options.conflictRetries', { conflictRetries: -1 }],
      ['options.eventIdleTimeoutMs', { eventIdleTimeoutMs: 0 }],
      ['options.endorsersWaitMs', { endorsersWaitMs: -1 }],
      ['options.maxPayloadBatchBytes', { maxPayloadBatchBytes: 100 }],
      // A signer instead of the key: exactly one of the two.
      ['options.privateKeyPem', { privateKeyPem: undefined }],
      ['options.privateKeyPem', { signer: memberSigner(alice) }],
      ['options.signer', { privateKeyPem: undefined, signer: 'not a function' }],
      // Mutual TLS: both halves of the pair, over TLS.
      ['options.tlsClientCertificate', { tlsRootCert: org.caCertPem, tlsClientKey: alice.privateKeyPem }],
      ['options.tlsRootCert', { tlsClientCertificate: alice.certificatePem, tlsClientKey: alice.privateKeyPem }],
    ]
    for (const [argument, change] of bad)
      expect(() => new FabricLedger({ ...base, ...change } as never), argument).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', details: expect.objectContaining({ argument }) }),
      )
    expect(() => new FabricLedger(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    const { privateKeyPem: _, ...withoutKey } = base
    const signed = new FabricLedger({ ...withoutKey, signer: memberSigner(alice), maxPayloadBatchBytes: 400_000 })
    expect([signed.memberId, signed.maxPayloadBatchBytes]).toEqual(['Org1MSP/alice', 400_000])
    await signed.close()
  })
})
