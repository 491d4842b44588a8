// @peculiar/x509 uses tsyringe, which needs a Reflect metadata polyfill loaded first.
import 'reflect-metadata'
import { createPrivateKey, createPublicKey, type webcrypto } from 'node:crypto'
import { type Identity, type Signer, signers } from '@hyperledger/fabric-gateway'
import * as x509 from '@peculiar/x509'

// TEST utility: throwaway certificate authorities and members, never for production keys.
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const oneDayMs = 24 * 60 * 60 * 1000

/** A member of a test organisation: an X.509 certificate issued by the organisation's CA and its private key. */
export interface TestMember {
  /** MSP id of the member's organisation. */
  readonly mspId: string
  /** Common name in the certificate subject. */
  readonly commonName: string
  /** PEM-encoded X.509 certificate. */
  readonly certificatePem: string
  /** PEM-encoded PKCS #8 ECDSA P-256 private key. */
  readonly privateKeyPem: string
}

/** A test organisation: an MSP id and a self-signed ECDSA P-256 certificate authority. */
export interface TestOrganisation {
  /** MSP id, for example `Org1MSP`. */
  readonly mspId: string
  /** PEM-encoded certificate of the organisation's CA; give it to the gateway test server as a trust anchor. */
  readonly caCertPem: string
  /**
   * Issues a member certificate signed by this organisation's CA.
   * @param commonName - subject CN of the member, for example `alice`
   * @param options - `role`: the NodeOU in the subject's OU (default `client`); `keyOf`: reuse that member's key
   *   pair instead of a fresh one (a certificate for the same key with another role)
   * @returns the member's certificate and private key
   */
  createMember(commonName: string, options?: Readonly<{ role?: string; keyOf?: TestMember }>): Promise<TestMember>
  /**
   * Issues a TLS certificate signed by this organisation's CA, for a server (a peer's TLS endpoint) or a client
   * (mutual TLS): subject CN `host`, alternative names DNS `host` and IP 127.0.0.1, server and client auth.
   * @param host - the host name the certificate is for, for example `peer0.org1.example.com`
   * @returns the certificate and its private key (`commonName` is `host`)
   */
  createTlsIdentity(host: string): Promise<TestMember>
}

/**
 * Creates a test organisation with a fresh self-signed CA (TEST utility, keys live in memory only).
 * @param mspId - the organisation's MSP id
 * @returns the organisation, able to issue member identities
 * @example
 * ```ts
 * const org1 = await createTestOrganisation('Org1MSP')
 * const alice = await org1.createMember('alice')
 * const gateway = connect({ client, identity: memberIdentity(alice), signer: memberSigner(alice) })
 * ```
 */
export async function createTestOrganisation(mspId: string): Promise<TestOrganisation> {
  const caKeys = await generateKeyPair()
  const caName = `CN=ca.${mspId.toLowerCase()},O=${mspId}`
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: caName,
      keys: caKeys,
      signingAlgorithm: ecdsa,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    },
    globalThis.crypto,
  )
  return {
    mspId,
    caCertPem: caCert.toString('pem'),
    createMember: async (commonName, options = {}) =>
      issue(
        commonName,
        `CN=${commonName},OU=${options.role ?? 'client'},O=${mspId}`,
        [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
        options.keyOf && (await importKeyPair(options.keyOf.privateKeyPem)),
      ),
    createTlsIdentity: host =>
      issue(host, `CN=${host},O=${mspId}`, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: host },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ]),
  }

  async function issue(
    commonName: string,
    subject: string,
    extensions: x509.Extension[],
    existing?: webcrypto.CryptoKeyPair,
  ): Promise<TestMember> {
    const keys = existing ?? (await generateKeyPair())
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject,
        issuer: caCert.subject,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ecdsa,
        ...validity(),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          ...extensions,
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      },
      globalThis.crypto,
    )
    const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey)
    return {
      mspId,
      commonName,
      certificatePem: cert.toString('pem'),
      privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    }
  }
}

/**
 * The fabric-gateway `Identity` of a member: its MSP id and PEM certificate bytes.
 * @param member - a member created by {@link TestOrganisation.createMember}
 * @returns the identity to pass to `connect()`
 */
export function memberIdentity(member: TestMember): Identity {
  return { mspId: member.mspId, credentials: new TextEncoder().encode(member.certificatePem) }
}

/**
 * A fabric-gateway `Signer` over the member's private key (ECDSA P-256, low-S DER, as Fabric clients sign).
 * @param member - a member created by {@link TestOrganisation.createMember}
 * @returns the signer to pass to `connect()`
 */
export function memberSigner(member: TestMember): Signer {
  return signers.newPrivateKeySigner(createPrivateKey(member.privateKeyPem))
}

async function importKeyPair(privateKeyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const privateKey = createPrivateKey(privateKeyPem)
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return {
    privateKey: await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, ecdsa, true, ['sign']),
    publicKey: await globalThis.crypto.subtle.importKey('spki', spki, ecdsa, true, ['verify']),
  }
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now()
  return { notBefore: new Date(now - oneDayMs), notAfter: new Date(now + 365 * oneDayMs) }
}
