import { readFileSync } from 'node:fs'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { CipherSuite, HkdfSha256 } from '@hpke/core'
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { encode as cborEncode } from 'cborg'
import { describe, expect, it } from 'vitest'
import { statementDigest } from '../src/client/billing.js'
import { decode, encode } from '../src/codec/cbor.js'
import * as records from '../src/codec/records.js'
import {
  decodeHeader,
  decryptBytes,
  encodeHeader,
  keyCommitment,
  merkleLeafHash,
  merkleRoot,
  unlockKeystore,
  unwrapKey,
} from '../src/crypto/index.js'
import { createEncryptorWithSalt } from '../src/crypto/stream.js'

/**
 * Known-answer vectors of Datapact's own formats (test/vectors/formats.json, specified in docs/format.md). Each
 * vector is checked twice: the library reads and writes exactly these bytes, and the bytes are recomputed here from
 * the specification with @noble / @hpke / cborg primitives only, so the test checks the spec, not the code against
 * itself.
 */

interface PayloadVector {
  name: string
  inputs: {
    dataKey: string
    datasetId: string
    version: number
    chunkSize: number
    salt: string
    plaintext: { length: number; hex: string }
  }
  expected: {
    header: string
    payloadKey: string
    noncePrefix: string
    nonces: string[]
    chunks: string[]
    leafHashes: string[]
    merkleRoot: string
    keyCommitment: string
    plaintextDigest: string
    chunkCount: number
    ciphertextSize: number
  }
}

const vectors = JSON.parse(readFileSync(new URL('./vectors/formats.json', import.meta.url), 'utf8')) as {
  payload: PayloadVector[]
  merkle: { name: string; chunks: string[]; leafHashes: string[]; root: string }[]
  keyWrap: {
    inputs: {
      recipientSecretKey: string
      recipientPublicKey: string
      dataKey: string
      datasetId: string
      version: number
      recipientId: string
      ikmE: string
    }
    expected: { info: string; aad: string; enc: string; envelope: string }
  }
  cbor: Record<'terms' | 'usageRecord', { value: Record<string, unknown>; cbor: string }>
  statement: { statement: Record<string, unknown>; body: string; digest: string }
  keystore: {
    passphrase: string
    file: string
    expected: {
      envelopeSecretKey: string
      envelopePublicKey: string
      signing: { kind: string; secretKey: string; publicKey: string }
    }
  }
}

const h = hexToBytes
const hex = bytesToHex
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)

/** The Merkle root by the spec: leaf = H(0x00 || chunk), node = H(0x01 || l || r), an odd last node is promoted. */
function specRoot(leaves: Uint8Array[]): Uint8Array {
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? sha256(concatBytes(Uint8Array.of(1), level[i]!, level[i + 1]!)) : level[i]!)
    level = next
  }
  return level[0]!
}
const specLeaf = (chunk: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), chunk))

describe('format vectors: payload header and STREAM chunks', () => {
  for (const v of vectors.payload) {
    const { inputs, expected } = v
    const plaintext = h(inputs.plaintext.hex)

    it(`${v.name}: the spec gives the vector's bytes`, () => {
      expect(plaintext.length).toBe(inputs.plaintext.length)
      const header = concatBytes(
        utf8ToBytes('DPAY'),
        Uint8Array.of(1, 1),
        u32(inputs.chunkSize),
        h(inputs.datasetId),
        u32(inputs.version),
        h(inputs.salt),
      )
      expect(hex(header)).toBe(expected.header)
      const okm = hkdf(
        sha256,
        h(inputs.dataKey),
        h(inputs.salt),
        concatBytes(utf8ToBytes('datapact/payload/v1'), header),
        39,
      )
      expect([hex(okm.subarray(0, 32)), hex(okm.subarray(32))]).toEqual([expected.payloadKey, expected.noncePrefix])
      const count = Math.max(1, Math.ceil(plaintext.length / inputs.chunkSize))
      expect(count).toBe(expected.chunkCount)
      for (let i = 0; i < count; i++) {
        const nonce = concatBytes(okm.subarray(32), u32(i), Uint8Array.of(i === count - 1 ? 1 : 0))
        expect(hex(nonce)).toBe(expected.nonces[i])
        const piece = plaintext.subarray(i * inputs.chunkSize, (i + 1) * inputs.chunkSize)
        const chunk = chacha20poly1305(okm.subarray(0, 32), nonce, header).encrypt(piece)
        expect(hex(chunk)).toBe(expected.chunks[i])
        expect(hex(specLeaf(chunk))).toBe(expected.leafHashes[i])
      }
      expect(hex(specRoot(expected.chunks.map(c => specLeaf(h(c)))))).toBe(expected.merkleRoot)
      expect(hex(sha256(plaintext))).toBe(expected.plaintextDigest)
      expect(expected.ciphertextSize).toBe(plaintext.length + 16 * count)
      // Data-key commitment: HMAC-SHA256(key = data key, message = "datapact/key-commitment/v1" || header).
      const commitment = hmac(sha256, h(inputs.dataKey), concatBytes(utf8ToBytes('datapact/key-commitment/v1'), header))
      expect(hex(commitment)).toBe(expected.keyCommitment)
    })

    it(`${v.name}: the library writes and reads the vector's bytes (both backends)`, async () => {
      for (const backend of ['portable', 'native'] as const) {
        const enc = createEncryptorWithSalt(
          {
            key: h(inputs.dataKey),
            datasetId: h(inputs.datasetId),
            version: inputs.version,
            chunkSize: inputs.chunkSize,
            backend,
          },
          h(inputs.salt),
        )
        const chunks: string[] = []
        for await (const c of enc.encrypt(plaintext)) chunks.push(hex(c))
        expect(hex(enc.header)).toBe(expected.header)
        expect(chunks).toEqual(expected.chunks)
        expect(hex(enc.summary().merkleRoot)).toBe(expected.merkleRoot)
        const decrypted = await decryptBytes({
          key: h(inputs.dataKey),
          header: h(expected.header),
          ciphertext: concatBytes(...expected.chunks.map(h)),
          backend,
          expected: { merkleRoot: h(expected.merkleRoot), plaintextDigest: h(expected.plaintextDigest) },
        })
        expect(hex(decrypted)).toBe(inputs.plaintext.hex)
      }
      expect(hex(keyCommitment(h(inputs.dataKey), h(expected.header)))).toBe(expected.keyCommitment)
      const fields = decodeHeader(h(expected.header))
      expect(hex(encodeHeader(fields))).toBe(expected.header)
      expect([fields.chunkSize, fields.version, hex(fields.salt)]).toEqual([
        inputs.chunkSize,
        inputs.version,
        inputs.salt,
      ])
    })
  }

  it('a flipped last flag, a moved chunk or a dropped final chunk does not decrypt (INTEGRITY)', async () => {
    const v = vectors.payload[0]!
    const key = h(v.inputs.dataKey)
    const header = h(v.expected.header)
    const chunks = v.expected.chunks.map(h)
    for (const bad of [[chunks[1]!, chunks[0]!, chunks[2]!], chunks.slice(0, 2), [...chunks, chunks[2]!]])
      await expect(decryptBytes({ key, header, ciphertext: concatBytes(...bad) })).rejects.toMatchObject({
        code: 'INTEGRITY',
      })
  })
})

describe('format vectors: Merkle tree', () => {
  for (const v of vectors.merkle)
    it(`${v.name}: spec and library give the vector's root`, () => {
      const chunks = v.chunks.map(h)
      expect(chunks.map(c => hex(specLeaf(c)))).toEqual(v.leafHashes)
      expect(chunks.map(c => hex(merkleLeafHash(c)))).toEqual(v.leafHashes)
      expect(hex(specRoot(chunks.map(specLeaf)))).toBe(v.root)
      expect(hex(merkleRoot(chunks))).toBe(v.root)
    })
})

describe('format vectors: key-wrap envelope (HPKE base mode, RFC 9180)', () => {
  const { inputs, expected } = vectors.keyWrap
  const suite = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  })

  it('the spec gives the vector: info, associated data, and the envelope from a stock HPKE suite', async () => {
    expect(hex(utf8ToBytes('datapact/key-wrap/v1'))).toBe(expected.info)
    const id = utf8ToBytes(inputs.recipientId)
    const aad = concatBytes(
      utf8ToBytes('DPKW'),
      Uint8Array.of(1, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03),
      u32(32),
      h(inputs.datasetId),
      u32(inputs.version),
      u32(id.length),
      id,
    )
    expect(hex(aad)).toBe(expected.aad)
    const recipientPublicKey = await suite.kem.deserializePublicKey(h(inputs.recipientPublicKey).buffer as ArrayBuffer)
    const { enc, ct } = await suite.seal(
      { recipientPublicKey, info: h(expected.info), ekm: h(inputs.ikmE).buffer as ArrayBuffer },
      h(inputs.dataKey).buffer as ArrayBuffer,
      aad.buffer as ArrayBuffer,
    )
    const envelope = concatBytes(aad.subarray(0, 11), new Uint8Array(enc), new Uint8Array(ct))
    expect(hex(envelope)).toBe(expected.envelope)
    expect(hex(new Uint8Array(enc))).toBe(expected.enc)
    const recipientKey = await suite.kem.deserializePrivateKey(h(inputs.recipientSecretKey).buffer as ArrayBuffer)
    const opened = await suite.open(
      { recipientKey, enc: h(expected.envelope).slice(11, 43).buffer, info: h(expected.info) },
      h(expected.envelope).slice(43).buffer,
      aad.buffer as ArrayBuffer,
    )
    expect(hex(new Uint8Array(opened))).toBe(inputs.dataKey)
  })

  it('the library unwraps the vector (both backends), and refuses another binding with INTEGRITY', async () => {
    for (const backend of ['portable', 'native'] as const) {
      const params = {
        wrapped: h(expected.envelope),
        recipientSecretKey: h(inputs.recipientSecretKey),
        datasetId: h(inputs.datasetId),
        version: inputs.version,
        recipientId: inputs.recipientId,
        backend,
      }
      expect(hex(await unwrapKey(params))).toBe(inputs.dataKey)
      await expect(unwrapKey({ ...params, version: inputs.version + 1 })).rejects.toMatchObject({ code: 'INTEGRITY' })
      await expect(unwrapKey({ ...params, recipientId: 'Org1MSP/mallory' })).rejects.toMatchObject({
        code: 'INTEGRITY',
      })
    }
  })
})

describe('format vectors: canonical CBOR records and the statement digest', () => {
  // In the JSON, byte strings are { bytes: hex } and amounts decimal strings (as on the wire).
  const wire = (v: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        x && typeof x === 'object' && 'bytes' in x ? h((x as { bytes: string }).bytes) : x,
      ]),
    )
  const withAmounts = (v: Record<string, unknown>, fields: string[]) =>
    Object.fromEntries(Object.entries(wire(v)).map(([k, x]) => [k, fields.includes(k) ? BigInt(x as string) : x]))

  it('terms and a usage record: library bytes = deterministic CBOR of the wire form (amounts as decimal strings)', () => {
    const terms = vectors.cbor.terms
    const usage = vectors.cbor.usageRecord
    expect(hex(cborEncode(terms.value))).toBe(terms.cbor)
    expect(hex(cborEncode(wire(usage.value)))).toBe(usage.cbor)
    const t = withAmounts(terms.value, ['pricePerAccess', 'pricePerByte'])
    const u = withAmounts(usage.value, ['amount'])
    expect(hex(encode(records.terms, t as never))).toBe(terms.cbor)
    expect(hex(encode(records.usageRecord, u as never))).toBe(usage.cbor)
    expect(decode(records.usageRecord, h(usage.cbor))).toEqual(u)
    // Spot-check of the layout by hand: a map of 4 pairs (0xa4) whose keys sort shortest first (RFC 8949 §4.2.1),
    // so the first key is "licence" (text of 7 bytes: 0x67) and the second "currency" (0x68).
    expect(terms.cbor.slice(0, 2)).toBe('a4')
    expect(terms.cbor.slice(2, 18)).toBe(`67${hex(utf8ToBytes('licence'))}`)
  })

  it('statement: digest = SHA-256 of the canonical CBOR body tagged datapact-statement/2', () => {
    const s = vectors.statement
    const body = cborEncode({ format: 'datapact-statement/2', ...s.statement })
    expect(hex(body)).toBe(s.body)
    expect(hex(sha256(body))).toBe(s.digest)
    const statement = {
      ...withAmounts(s.statement, ['amount']),
      rows: (s.statement.rows as Record<string, unknown>[]).map(r => withAmounts(r, ['amount'])),
    }
    expect(hex(statementDigest(statement as never))).toBe(s.digest)
  })
})

describe('format vectors: keystore file', () => {
  const { passphrase, file, expected } = vectors.keystore

  it('the spec opens the vector: scrypt, then XChaCha20-Poly1305 with the field list as associated data', () => {
    const f = JSON.parse(file)
    const key = scrypt(utf8ToBytes(passphrase.normalize('NFKC')), h(f.kdf.salt), {
      N: f.kdf.N,
      r: f.kdf.r,
      p: f.kdf.p,
      dkLen: 32,
    })
    const ad = utf8ToBytes(
      JSON.stringify([
        f.format,
        f.version,
        f.kdf.name,
        f.kdf.N,
        f.kdf.r,
        f.kdf.p,
        f.kdf.salt,
        f.aead.name,
        f.aead.nonce,
        f.public.envelope,
        f.public.signing?.kind ?? null,
        f.public.signing?.publicKey ?? null,
      ]),
    )
    const secrets = xchacha20poly1305(key, h(f.aead.nonce), ad).decrypt(h(f.ciphertext))
    expect(hex(secrets)).toBe(`01${expected.envelopeSecretKey}01${expected.signing.secretKey}`)
    expect([f.public.envelope, f.public.signing.publicKey]).toEqual([
      expected.envelopePublicKey,
      expected.signing.publicKey,
    ])
  })

  it('the library opens the vector, and refuses a changed field with ACCESS_DENIED', async () => {
    const keys = await unlockKeystore(file, passphrase)
    expect(hex(keys.envelope.publicKey)).toBe(expected.envelopePublicKey)
    expect([keys.signing?.kind, hex(keys.signing!.publicKey)]).toEqual(['ed25519', expected.signing.publicKey])
    const f = JSON.parse(file)
    f.kdf.r = 2 // in range, so only the associated data can catch it
    await expect(unlockKeystore(JSON.stringify(f), passphrase)).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
  })
})
