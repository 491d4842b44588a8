import { describe, expect, it } from 'vitest'
import { DatapactError } from '../errors.js'
import {
  createDecryptor,
  createEncryptor,
  createMemberKeys,
  createSha256,
  decodeHeader,
  decryptBytes,
  decryptChunks,
  encodeHeader,
  encryptBytes,
  envelopePublicKey,
  generateEnvelopeKeyPair,
  generateMemberKeys,
  lockKeystore,
  MerkleBuilder,
  merkleLeafHash,
  merkleProof,
  merkleRoot,
  sha256,
  toReadableStream,
  unlockKeystore,
  unwrapKey,
  verifyMerkleProof,
  wrapKey,
  wrapKeys,
} from './index.js'
import { drain } from './testHelpers.js'

// Valid values; each case breaks exactly one argument.
const key = new Uint8Array(32).fill(1)
const datasetId = new Uint8Array(32).fill(2)
const header = encodeHeader({
  formatVersion: 1,
  algorithm: 'chacha20poly1305',
  chunkSize: 1024,
  datasetId,
  version: 1,
  salt: new Uint8Array(32).fill(3),
})
const pk = generateEnvelopeKeyPair().publicKey
const sk = new Uint8Array(32).fill(4)
const wrapped = new Uint8Array(91)
const keys = generateMemberKeys()
const enc = { key, datasetId, version: 1 }
const wrap = { dataKey: key, recipientPublicKey: pk, datasetId, version: 1, recipientId: 'bob' }
const unwrap = { wrapped, recipientSecretKey: sk, datasetId, version: 1, recipientId: 'bob' }
const dec = { key, header }

type Case = [name: string, call: () => unknown, argument: string]
const any = (v: unknown) => v as never

const cases: Case[] = [
  ['sha256: null', () => sha256(any(null)), 'bytes'],
  ['sha256: string', () => sha256(any('abc')), 'bytes'],
  ['sha256: array of numbers', () => sha256(any([1, 2])), 'bytes'],
  ['sha256: unknown backend', () => sha256(new Uint8Array(1), any({ backend: 'openssl' })), 'options.backend'],
  ['sha256: options not an object', () => sha256(new Uint8Array(1), any('native')), 'options'],
  ['createSha256: unknown backend', () => createSha256(any({ backend: 1 })), 'options.backend'],
  ['createSha256().update: string', () => createSha256().update(any('abc')), 'bytes'],

  ['encodeHeader: null', () => encodeHeader(any(null)), 'header'],
  [
    'encodeHeader: chunk size too large',
    () => encodeHeader(any({ ...decodeHeader(header), chunkSize: 2 ** 24 + 1 })),
    'header.chunkSize',
  ],
  ['decodeHeader: string', () => decodeHeader(any('DPAY')), 'header'],
  ['decodeHeader: empty', () => decodeHeader(new Uint8Array(0)), 'header'],

  ['merkleRoot: empty list', () => merkleRoot([]), 'chunks'],
  ['merkleRoot: not an array', () => merkleRoot(any(new Uint8Array(3))), 'chunks'],
  ['merkleRoot: a string chunk', () => merkleRoot(any([new Uint8Array(1), 'x'])), 'chunks[1]'],
  ['merkleLeafHash: null', () => merkleLeafHash(any(null)), 'chunk'],
  ['merkleProof: index out of range', () => merkleProof({ chunks: [new Uint8Array(1)] }, 1), 'index'],
  ['merkleProof: negative index', () => merkleProof({ chunks: [new Uint8Array(1)] }, -1), 'index'],
  ['merkleProof: fractional index', () => merkleProof({ chunks: [new Uint8Array(1)] }, 0.5), 'index'],
  [
    'merkleProof: leaf hash of 31 bytes',
    () => merkleProof({ leafHashes: [new Uint8Array(31)] }, 0),
    'leaves.leafHashes[0]',
  ],
  ['merkleProof: neither chunks nor leaf hashes', () => merkleProof(any({}), 0), 'leaves'],
  ['merkleProof: empty chunks', () => merkleProof({ chunks: [] }, 0), 'leaves.chunks'],
  ['verifyMerkleProof: root null', () => verifyMerkleProof(any(null), new Uint8Array(1), any({})), 'root'],
  ['verifyMerkleProof: chunk string', () => verifyMerkleProof(new Uint8Array(32), any('x'), any({})), 'chunk'],
  ['MerkleBuilder: unknown backend', () => new MerkleBuilder(any({ backend: 'gpu' })), 'options.backend'],
  ['MerkleBuilder.addChunk: number', () => new MerkleBuilder().addChunk(any(5)), 'chunk'],
  ['MerkleBuilder.addLeafHash: 33 bytes', () => new MerkleBuilder().addLeafHash(new Uint8Array(33)), 'leafHash'],

  ['createEncryptor: params null', () => createEncryptor(any(null)), 'params'],
  ['createEncryptor: key of 16 bytes', () => createEncryptor({ ...enc, key: new Uint8Array(16) }), 'key'],
  ['createEncryptor: key as hex string', () => createEncryptor({ ...enc, key: any('01'.repeat(32)) }), 'key'],
  [
    'createEncryptor: datasetId of 31 bytes',
    () => createEncryptor({ ...enc, datasetId: new Uint8Array(31) }),
    'datasetId',
  ],
  ['createEncryptor: version 0', () => createEncryptor({ ...enc, version: 0 }), 'version'],
  ['createEncryptor: version 2^32', () => createEncryptor({ ...enc, version: 2 ** 32 }), 'version'],
  ['createEncryptor: version NaN', () => createEncryptor({ ...enc, version: Number.NaN }), 'version'],
  ['createEncryptor: version as string', () => createEncryptor({ ...enc, version: any('1') }), 'version'],
  ['createEncryptor: chunk size 1023', () => createEncryptor({ ...enc, chunkSize: 1023 }), 'chunkSize'],
  ['createEncryptor: chunk size 16 MiB + 1', () => createEncryptor({ ...enc, chunkSize: 2 ** 24 + 1 }), 'chunkSize'],
  ['createEncryptor: unknown backend', () => createEncryptor({ ...enc, backend: any('wasm') }), 'backend'],
  ['createEncryptor: onProgress not a function', () => createEncryptor({ ...enc, onProgress: any(1) }), 'onProgress'],
  ['encrypt: source is a string', () => createEncryptor(enc).encrypt(any('text')), 'source'],
  ['encrypt: source is a number', () => createEncryptor(enc).encrypt(any(42)), 'source'],
  ['encrypt: source null', () => createEncryptor(enc).encrypt(any(null)), 'source'],
  [
    'encrypt: a piece is not bytes',
    () =>
      drain(() => createEncryptor(enc).encrypt(any([new Uint8Array(1), 'x']))).then(r => {
        throw r.error
      }),
    'source piece',
  ],
  ['encryptBytes: plaintext string', () => encryptBytes({ ...enc, plaintext: any('x') }), 'plaintext'],
  ['createDecryptor: header not bytes', () => createDecryptor({ key, header: any([1]) }), 'header'],
  ['createDecryptor: key of 33 bytes', () => createDecryptor({ ...dec, key: new Uint8Array(33) }), 'key'],
  [
    'createDecryptor: expected root of 31 bytes',
    () => createDecryptor({ ...dec, expected: { merkleRoot: new Uint8Array(31) } }),
    'expected.merkleRoot',
  ],
  [
    'createDecryptor: expected size negative',
    () => createDecryptor({ ...dec, expected: { plaintextSize: -1 } }),
    'expected.plaintextSize',
  ],
  [
    'createDecryptor: expected chunkCount 0',
    () => createDecryptor({ ...dec, expected: { chunkCount: 0 } }),
    'expected.chunkCount',
  ],
  ['decryptChunks: chunks missing', () => decryptChunks(any({ key, header })), 'chunks'],
  [
    'decryptChunks: a chunk is not bytes',
    () =>
      drain(() => decryptChunks({ ...dec, chunks: any([{}]) })).then(r => {
        throw r.error
      }),
    'chunks piece',
  ],
  ['decryptBytes: ciphertext null', () => decryptBytes({ ...dec, ciphertext: any(null) }), 'ciphertext'],
  ['toReadableStream: not async iterable', () => toReadableStream(any([new Uint8Array(1)])), 'source'],

  ['wrapKey: params null', () => wrapKey(any(null)), 'params'],
  ['wrapKey: data key of 31 bytes', () => wrapKey({ ...wrap, dataKey: new Uint8Array(31) }), 'dataKey'],
  ['wrapKey: public key null', () => wrapKey({ ...wrap, recipientPublicKey: any(null) }), 'recipientPublicKey'],
  [
    'wrapKey: public key of 33 bytes',
    () => wrapKey({ ...wrap, recipientPublicKey: new Uint8Array(33) }),
    'recipientPublicKey',
  ],
  [
    'wrapKey: low-order public key',
    () => wrapKey({ ...wrap, recipientPublicKey: new Uint8Array(32) }),
    'recipientPublicKey',
  ],
  ['wrapKey: datasetId string', () => wrapKey({ ...wrap, datasetId: any('ds') }), 'datasetId'],
  ['wrapKey: version -1', () => wrapKey({ ...wrap, version: -1 }), 'version'],
  ['wrapKey: empty recipient id', () => wrapKey({ ...wrap, recipientId: '' }), 'recipientId'],
  ['wrapKey: recipient id too long', () => wrapKey({ ...wrap, recipientId: 'x'.repeat(1025) }), 'recipientId'],
  ['wrapKey: recipient id with a lone surrogate', () => wrapKey({ ...wrap, recipientId: 'a\udc00' }), 'recipientId'],
  ['wrapKey: recipient id number', () => wrapKey({ ...wrap, recipientId: any(7) }), 'recipientId'],
  [
    'wrapKeys: recipients not an array',
    () => wrapKeys({ dataKey: key, datasetId, version: 1, recipients: any('bob') }),
    'recipients',
  ],
  [
    'wrapKeys: a recipient null',
    () => wrapKeys({ dataKey: key, datasetId, version: 1, recipients: any([null]) }),
    'recipients[0]',
  ],
  [
    'wrapKeys: a public key short',
    () =>
      wrapKeys({
        dataKey: key,
        datasetId,
        version: 1,
        recipients: [
          { recipientId: 'a', publicKey: pk },
          { recipientId: 'b', publicKey: new Uint8Array(5) },
        ],
      }),
    'recipients[1].publicKey',
  ],
  [
    'wrapKeys: concurrency 0',
    () => wrapKeys({ dataKey: key, datasetId, version: 1, recipients: [], concurrency: 0 }),
    'concurrency',
  ],
  ['unwrapKey: wrapped string', () => unwrapKey({ ...unwrap, wrapped: any('aa') }), 'wrapped'],
  [
    'unwrapKey: secret key of 31 bytes',
    () => unwrapKey({ ...unwrap, recipientSecretKey: new Uint8Array(31) }),
    'recipientSecretKey',
  ],
  ['unwrapKey: version 1.5', () => unwrapKey({ ...unwrap, version: 1.5 }), 'version'],
  ['unwrapKey: unknown backend', () => unwrapKey({ ...unwrap, backend: any('x') }), 'backend'],

  ['generateEnvelopeKeyPair: unknown backend', () => generateEnvelopeKeyPair(any({ backend: 'x' })), 'options.backend'],
  ['envelopePublicKey: 31 bytes', () => envelopePublicKey(new Uint8Array(31)), 'secretKey'],
  ['generateMemberKeys: unknown signing kind', () => generateMemberKeys(any({ signing: 'rsa' })), 'options.signing'],
  [
    'createMemberKeys: envelope key null',
    () => createMemberKeys(any({ envelopeSecretKey: null })),
    'envelopeSecretKey',
  ],
  [
    'createMemberKeys: signing key short',
    () => createMemberKeys({ envelopeSecretKey: sk, signing: { kind: 'ed25519', secretKey: new Uint8Array(16) } }),
    'signing.secretKey',
  ],
  [
    'createMemberKeys: signing kind unknown',
    () => createMemberKeys({ envelopeSecretKey: sk, signing: any({ kind: 'bls', secretKey: sk }) }),
    'signing.kind',
  ],
  [
    'createMemberKeys: secp256k1 scalar zero',
    () => createMemberKeys({ envelopeSecretKey: sk, signing: { kind: 'secp256k1', secretKey: new Uint8Array(32) } }),
    'signing.secretKey',
  ],
  ['lockKeystore: keys a plain object', () => lockKeystore(any({ envelope: {} }), 'pw', { N: 1024 }), 'keys'],
  ['lockKeystore: empty passphrase', () => lockKeystore(keys, '', { N: 1024 }), 'passphrase'],
  ['lockKeystore: passphrase bytes', () => lockKeystore(keys, any(new Uint8Array(3)), { N: 1024 }), 'passphrase'],
  ['lockKeystore: N below the floor', () => lockKeystore(keys, 'pw', { N: 512 }), 'options.N'],
  ['lockKeystore: N not a power of two', () => lockKeystore(keys, 'pw', { N: 3000 }), 'options.N'],
  ['lockKeystore: N above the ceiling', () => lockKeystore(keys, 'pw', { N: 2 ** 21 }), 'options.N'],
  ['lockKeystore: r 0', () => lockKeystore(keys, 'pw', { N: 1024, r: 0 }), 'options.r'],
  ['lockKeystore: p 5', () => lockKeystore(keys, 'pw', { N: 1024, p: 5 }), 'options.p'],
  ['unlockKeystore: json object', () => unlockKeystore(any({}), 'pw'), 'keystore'],
  ['unlockKeystore: not JSON', () => unlockKeystore('not json', 'pw'), 'keystore'],
  ['unlockKeystore: passphrase null', () => unlockKeystore('{}', any(null)), 'passphrase'],
]

/** Every Uint8Array reachable from the valid values, as hex: to prove nothing was modified. */
const fixtures = [key, datasetId, header, pk, sk, wrapped]
const snapshot = () => fixtures.map(b => Buffer.from(b).toString('hex'))

describe('bad inputs: INVALID_INPUT naming the argument, inputs unchanged', () => {
  const before = snapshot()
  it.each(cases)('%s', async (_, call, argument) => {
    let error: unknown
    try {
      await call()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(DatapactError)
    expect(error).toMatchObject({ code: 'INVALID_INPUT', details: { argument } })
    expect(snapshot()).toEqual(before)
  })
})
