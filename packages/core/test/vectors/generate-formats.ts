/**
 * Generates `formats.json`, the known-answer vectors of Datapact's own byte formats (docs/format.md), with the
 * library itself, from fixed inputs. Run once, by hand, when a format version is added:
 * `pnpm --filter @datapact/core exec tsx test/vectors/generate-formats.ts`. `formats.test.ts` then checks the
 * library against the file AND recomputes every value from the specification with @noble / @hpke primitives.
 * Never regenerate a vector of an existing format version: a changed byte there is a breaking change.
 */
import { writeFileSync } from 'node:fs'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { statementDigest } from '../../src/client/billing.js'
import { encode } from '../../src/codec/cbor.js'
import { toDatasetId, toDigest, toMemberId, toNonce } from '../../src/codec/ids.js'
import * as r from '../../src/codec/records.js'
import { hpkeSeal } from '../../src/crypto/hpke.js'
import { createMemberKeys, keyCommitment, lockKeystore, merkleLeafHash, merkleRoot } from '../../src/crypto/index.js'
import { createEncryptorWithSalt } from '../../src/crypto/stream.js'
import { bytesToHex, concatBytes, u32be, utf8ToBytes } from '../../src/internal/bytes.js'

const hex = bytesToHex
/** Deterministic test bytes: byte i = (seed + i * 31) mod 256. Not random on purpose: anyone can recreate them. */
const pattern = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed + i * 31) & 0xff)

async function payload(name: string, plaintextLength: number) {
  const key = pattern(32, 1)
  const datasetId = pattern(32, 2)
  const salt = pattern(32, 3)
  const plaintext = pattern(plaintextLength, 4)
  const enc = createEncryptorWithSalt({ key, datasetId, version: 7, chunkSize: 1024, backend: 'portable' }, salt)
  const chunks: Uint8Array[] = []
  for await (const c of enc.encrypt(plaintext)) chunks.push(c)
  const s = enc.summary()
  // Intermediate values, from the specification (the library does not expose them).
  const okm = hkdf(sha256, key, salt, concatBytes(utf8ToBytes('datapact/payload/v1'), enc.header), 39)
  const nonces = chunks.map((_, i) =>
    concatBytes(okm.subarray(32), u32be(i), Uint8Array.of(i === chunks.length - 1 ? 1 : 0)),
  )
  return {
    name,
    inputs: {
      dataKey: hex(key),
      datasetId: hex(datasetId),
      version: 7,
      chunkSize: 1024,
      salt: hex(salt),
      plaintext: { pattern: 'byte i = (4 + 31 * i) mod 256', length: plaintextLength, hex: hex(plaintext) },
    },
    expected: {
      header: hex(enc.header),
      payloadKey: hex(okm.subarray(0, 32)),
      noncePrefix: hex(okm.subarray(32)),
      nonces: nonces.map(hex),
      chunks: chunks.map(hex),
      leafHashes: chunks.map(c => hex(merkleLeafHash(c))),
      merkleRoot: hex(s.merkleRoot),
      keyCommitment: hex(keyCommitment(key, enc.header)),
      plaintextDigest: hex(s.plaintextDigest),
      chunkCount: s.chunkCount,
      ciphertextSize: s.ciphertextSize,
    },
  }
}

async function main() {
  const payloads = [
    await payload('three chunks, the last one short (2500 bytes)', 2500),
    await payload('two full chunks, the last one full (2048 bytes)', 2048),
    await payload('empty plaintext: one empty final chunk', 0),
  ]

  const merkle = [1, 2, 3, 5, 7].map(n => {
    const chunks = Array.from({ length: n }, (_, i) => pattern(10 + i, 0x40 + i))
    return {
      name: `${n} leaves`,
      chunks: chunks.map(hex),
      leafHashes: chunks.map(c => hex(merkleLeafHash(c))),
      root: hex(merkleRoot(chunks)),
    }
  })

  // Key wrap: a fixed recipient key and a fixed ephemeral ikm (RFC 9180 DeriveKeyPair), so the envelope is exact.
  const recipientSecretKey = pattern(32, 5)
  const recipientPublicKey = x25519.getPublicKey(recipientSecretKey)
  const dataKey = pattern(32, 1)
  const datasetId = pattern(32, 2)
  const recipientId = 'Org1MSP/alice'
  const ikmE = pattern(32, 6)
  const prefix = Uint8Array.of(0x44, 0x50, 0x4b, 0x57, 0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03)
  const id = utf8ToBytes(recipientId)
  const aad = concatBytes(prefix, u32be(32), datasetId, u32be(7), u32be(id.length), id)
  const info = utf8ToBytes('datapact/key-wrap/v1')
  const { enc, ct } = await hpkeSeal(undefined, { recipientPublicKey, plaintext: dataKey, info, aad, ikmE })
  const keyWrapEnvelope = hex(concatBytes(prefix, enc, ct))
  const h = (x: string) => Uint8Array.from(Buffer.from(x, 'hex'))
  const keyWrap = {
    inputs: {
      recipientSecretKey: hex(recipientSecretKey),
      recipientPublicKey: hex(recipientPublicKey),
      dataKey: hex(dataKey),
      datasetId: hex(datasetId),
      version: 7,
      recipientId,
      ikmE: hex(ikmE),
    },
    expected: { info: hex(info), aad: hex(aad), enc: hex(enc), envelope: hex(concatBytes(prefix, enc, ct)) },
  }

  // Canonical CBOR records and the statement digest. Amounts are decimal strings in JSON as on the wire.
  const terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY', licence: 'Internal analytics only' }
  const datasetHex = toDatasetId(hex(datasetId))
  const [alice, bob] = [toMemberId('Org1MSP/alice'), toMemberId('Org2MSP/bob')]
  const usage = {
    datasetId: datasetHex,
    version: 7,
    consumer: bob,
    provider: alice,
    bytes: 2500,
    amount: 12345678901234567890n,
    currency: 'CNY',
    period: 20_000,
    at: 1_764_547_200,
    nonce: toNonce('00112233445566778899aabbccddee01'),
    grantSeq: 1,
    wrapHash: toDigest(sha256(h(keyWrapEnvelope))),
  }
  const rows = [
    { datasetId: datasetHex, version: 7, bytes: 2500, amount: 100n, at: 1_764_547_200, nonce: usage.nonce },
    {
      datasetId: datasetHex,
      version: 7,
      bytes: 2500,
      amount: 100n,
      at: 1_764_547_260,
      nonce: toNonce('00112233445566778899aabbccddee02'),
    },
  ]
  const statement = {
    provider: alice,
    consumer: bob,
    period: 20_000,
    currency: 'CNY',
    sequence: 1,
    first: 0,
    periodStart: 20_000 * 86_400,
    periodEnd: 20_001 * 86_400,
    rows,
    count: 2,
    bytes: 5000,
    amount: 200n,
  }
  const json = (v: unknown) =>
    JSON.parse(
      JSON.stringify(v, (_, x) =>
        typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? { bytes: hex(x) } : x,
      ),
    )
  const statementBody = { format: 'datapact-statement/2', ...statement }
  const { encode: cborg } = await import('cborg')
  const cbor = {
    terms: { value: json(terms), cbor: hex(encode(r.terms, terms)) },
    usageRecord: { value: json(usage), cbor: hex(encode(r.usageRecord, usage)) },
  }
  const statementVector = {
    statement: json(statement),
    body: hex(cborg(json(statementBody))),
    digest: hex(statementDigest(statement)),
  }

  // Keystore: N = 2^10 so the test is fast (production files use 2^17).
  const keys = createMemberKeys({
    envelopeSecretKey: pattern(32, 7),
    signing: { kind: 'ed25519', secretKey: pattern(32, 8) },
  })
  const keystore = {
    passphrase: 'correct horse battery staple',
    file: await lockKeystore(keys, 'correct horse battery staple', { N: 1024 }),
    expected: {
      envelopeSecretKey: hex(pattern(32, 7)),
      envelopePublicKey: hex(keys.envelope.publicKey),
      signing: { kind: 'ed25519', secretKey: hex(pattern(32, 8)), publicKey: hex(keys.signing!.publicKey) },
    },
  }

  const out = {
    about:
      "Known-answer vectors of Datapact's own byte formats (docs/format.md). Generated once with @datapact/core 0.1.0 " +
      '(test/vectors/generate-formats.ts) from the fixed inputs below; formats.test.ts recomputes them from the ' +
      'specification with @noble and @hpke primitives. Hex is lowercase.',
    payload: payloads,
    merkle,
    keyWrap,
    cbor,
    statement: statementVector,
    keystore,
  }
  writeFileSync(new URL('./formats.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
}

await main()
