import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { DatapactError } from '../errors.js'
import { assertBytes, assertInteger, assertRecord, describe, invalidArgument } from '../internal/assert.js'
import { concatBytes, equalBytes, utf8ToBytes } from '../internal/bytes.js'
import {
  AEAD_KEY_LENGTH,
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  type ChaCha20Poly1305,
  chacha20poly1305On,
} from './aead.js'
import { rawSha256 } from './hash.js'
import {
  DATASET_ID_LENGTH,
  DEFAULT_CHUNK_SIZE,
  decodeHeader,
  encodeHeader,
  MAX_CHUNK_SIZE,
  MAX_VERSION,
  MIN_CHUNK_SIZE,
  type PayloadHeader,
  SALT_LENGTH,
} from './header.js'
import { leafHashOn, MERKLE_HASH_LENGTH, MerkleBuilder } from './merkle.js'
import { type CryptoBackend, type NodeCryptoModule, resolveBackend } from './native.js'
import { assertDataSource, type DataSource, frames, readPieces } from './source.js'

/**
 * Payload encryption: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015, as used by age) over
 * ChaCha20-Poly1305.
 *
 * - payload key and nonce prefix = HKDF-SHA256(ikm = data key, salt = header salt,
 *   info = 'datapact/payload/v1' || encoded header, 39 bytes): 32-byte key || 7-byte prefix. Every header (salt,
 *   dataset, version, chunk size) therefore gets its own key.
 * - nonce of chunk i = prefix (7) || uint32be(i) (4) || 0x01 on the last chunk, else 0x00 (1).
 * - associated data of every chunk = the encoded header.
 * - a chunk on the wire = ciphertext || 16-byte tag: chunkSize + 16 bytes, except the last (16..chunkSize + 16).
 *   An empty plaintext is one empty last chunk (16 bytes); otherwise the last chunk is never empty.
 */

/** The data key length (256 bits). */
export const DATA_KEY_LENGTH = 32
/** Largest chunk count: the counter in the nonce is 32 bits. */
export const MAX_CHUNKS = 2 ** 32

const PAYLOAD_INFO = /* @__PURE__ */ utf8ToBytes('datapact/payload/v1')
const NONCE_PREFIX_LENGTH = 7

/** Progress report, called after each chunk. */
export interface StreamProgress {
  /** Plaintext bytes processed so far. */
  bytes: number
  /** Chunks processed so far. */
  chunks: number
  /**
   * Plaintext bytes in all, when known: when decrypting against an expected size, and when encrypting a
   * Uint8Array. Absent for a stream of unknown length.
   */
  total?: number
}

/** Internal: the progress report after `chunks` chunks and `bytes` plaintext bytes, with the total when there is one. */
export const progressOf = (bytes: number, chunks: number, total: number | undefined): StreamProgress =>
  total === undefined ? { bytes, chunks } : { bytes, chunks, total }

/** The fingerprint of one encrypted payload, computed in the same pass as the encryption. */
export interface PayloadSummary {
  /** SHA-256 of the whole plaintext. */
  plaintextDigest: Uint8Array
  /** Merkle root over the ciphertext chunks (see {@link merkleRoot}). */
  merkleRoot: Uint8Array
  /** Plaintext length in bytes. */
  plaintextSize: number
  /** Number of chunks (>= 1). */
  chunkCount: number
  /** Total length of the chunks in bytes (the header not included): plaintextSize + 16 * chunkCount. */
  ciphertextSize: number
}

/** Parameters of {@link createEncryptor}. */
export interface EncryptorParameters {
  /** The version's 32-byte data key, from {@link generateDataKey}. */
  key: Uint8Array
  /** 32-byte dataset id, bound into the header. */
  datasetId: Uint8Array
  /** Version number (uint32, >= 1), bound into the header. */
  version: number
  /** Plaintext bytes per chunk, 1 KiB..16 MiB. Default 64 KiB. */
  chunkSize?: number
  /** `native` (node:crypto) or `portable` (@noble/*). Default native when available. Same bytes either way. */
  backend?: CryptoBackend
  /** Called after every chunk. */
  onProgress?: (progress: StreamProgress) => void
}

/** A one-shot payload encryptor; see {@link createEncryptor}. */
export interface Encryptor {
  /** The encoded header (78 bytes): store it next to the chunks; decryption needs it. */
  readonly header: Uint8Array
  /** The header's fields. */
  readonly headerFields: PayloadHeader
  /** Plaintext bytes per chunk. */
  readonly chunkSize: number
  /**
   * Encrypts `source`, yielding the ciphertext chunks in order. Can run once.
   *
   * @param source - The plaintext, in pieces of any size.
   * @returns The chunks (fresh arrays the caller may keep).
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `source` or one of its pieces is not bytes, or it is too large
   * for 2^32 chunks; CONFLICT when called a second time.
   */
  encrypt(source: DataSource): AsyncIterable<Uint8Array>
  /**
   * The fingerprint, once `encrypt` has produced the last chunk.
   *
   * @returns Digest, Merkle root, sizes and chunk count.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} CONFLICT before the last chunk was produced.
   */
  summary(): PayloadSummary
}

/** What the caller already knows about a payload (typically from the ledger); checked by decryption. */
export interface ExpectedPayload {
  plaintextDigest?: Uint8Array
  merkleRoot?: Uint8Array
  plaintextSize?: number
  chunkCount?: number
}

/** Parameters of {@link createDecryptor}. */
export interface DecryptorParameters {
  /** The version's 32-byte data key. */
  key: Uint8Array
  /** The encoded header produced by encryption. */
  header: Uint8Array
  /** `native` or `portable`; default native when available. */
  backend?: CryptoBackend
  /** Called after every authenticated chunk. */
  onProgress?: (progress: StreamProgress) => void
  /**
   * Values to check before the last chunk's plaintext is released: a mismatch throws INTEGRITY and the final chunk
   * is withheld. Earlier chunks are authentic under the key but are released as they verify; to release nothing
   * before the whole payload matches the ledger, check the Merkle root of the chunks first.
   */
  expected?: ExpectedPayload
}

/** A one-shot payload decryptor; see {@link createDecryptor}. */
export interface Decryptor {
  /** The decoded header. */
  readonly headerFields: PayloadHeader
  /**
   * Verifies and decrypts `chunks`, yielding plaintext. A chunk's plaintext is released only after that chunk
   * authenticates. The chunks may arrive in any piece sizes: the ciphertext is framed by the header's chunk size.
   *
   * @param chunks - The ciphertext chunks in order (or the same bytes in other pieces).
   * @returns Plaintext pieces, one per chunk (fresh arrays).
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY on any altered, reordered, missing, extra or foreign byte, a wrong key,
   * or a mismatch with `expected`; INVALID_INPUT when a piece is not bytes; CONFLICT when called a second time.
   */
  decrypt(chunks: DataSource): AsyncIterable<Uint8Array>
  /**
   * The fingerprint of what was decrypted, once the last chunk verified.
   *
   * @returns Digest, Merkle root (over the ciphertext chunks), sizes and chunk count.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} CONFLICT before the last chunk verified.
   */
  summary(): PayloadSummary
}

/**
 * Generates a fresh random 256-bit data key. Use a new one for every version.
 *
 * @returns 32 random bytes from the platform CSPRNG (`crypto.getRandomValues`).
 * @example
 * ```ts
 * const key = generateDataKey()
 * ```
 */
export function generateDataKey(): Uint8Array {
  return randomBytes(DATA_KEY_LENGTH)
}

function assertOptionalFunction(
  value: unknown,
  argument: string,
): asserts value is ((...a: never[]) => unknown) | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidArgument(argument, 'function', describe(value))
}

interface StreamKeys {
  aead: ChaCha20Poly1305
  nonce: Uint8Array
}

/**
 * Internal: the per-header ChaCha20-Poly1305 key and the nonce (prefix set, counter zero), derived from the data key
 * by HKDF. The caller wipes `aeadKey` when done.
 *
 * @param key - The 32-byte data key.
 * @param header - The encoded header.
 * @param salt - The header's salt.
 * @returns The AEAD key and the nonce to pass to {@link setNonce}.
 */
export function deriveStreamSecrets(key: Uint8Array, header: Uint8Array, salt: Uint8Array) {
  const okm = hkdf(nobleSha256, key, salt, concatBytes(PAYLOAD_INFO, header), AEAD_KEY_LENGTH + NONCE_PREFIX_LENGTH)
  const nonce = new Uint8Array(AEAD_NONCE_LENGTH)
  nonce.set(okm.subarray(AEAD_KEY_LENGTH), 0)
  const aeadKey = okm.slice(0, AEAD_KEY_LENGTH)
  okm.fill(0)
  return { aeadKey, nonce }
}

function deriveStreamKeys(node: NodeCryptoModule | undefined, key: Uint8Array, header: Uint8Array, salt: Uint8Array) {
  const { aeadKey, nonce } = deriveStreamSecrets(key, header, salt)
  const keys: StreamKeys = { aead: chacha20poly1305On(node, aeadKey), nonce }
  aeadKey.fill(0)
  return keys
}

/**
 * Internal: writes chunk counter and last flag into a nonce from {@link deriveStreamSecrets} (the AEAD reads it
 * immediately, so one array serves every chunk).
 */
export function setNonce(nonce: Uint8Array, index: number, last: boolean): void {
  nonce[7] = index >>> 24
  nonce[8] = (index >>> 16) & 0xff
  nonce[9] = (index >>> 8) & 0xff
  nonce[10] = index & 0xff
  nonce[11] = last ? 1 : 0
}

const notFinished = (what: string) =>
  new DatapactError('CONFLICT', `summary() is available once ${what} has processed the last chunk`)
const alreadyUsed = (what: string) =>
  new DatapactError('CONFLICT', `${what} can run only once; create a new one for another payload`)

function readEncryptorParameters(params: unknown) {
  assertRecord(params, 'params')
  const { key, datasetId, version, chunkSize = DEFAULT_CHUNK_SIZE, backend, onProgress } = params
  assertBytes(key, 'key', DATA_KEY_LENGTH)
  assertBytes(datasetId, 'datasetId', DATASET_ID_LENGTH)
  assertInteger(version, 'version', 1, MAX_VERSION)
  assertInteger(chunkSize, 'chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
  assertOptionalFunction(onProgress, 'onProgress')
  const node = resolveBackend(backend, 'backend')
  return { key, datasetId, version, chunkSize, node, onProgress: onProgress as EncryptorParameters['onProgress'] }
}

/**
 * Internal (tests): {@link createEncryptor} with a chosen header salt, so two runs can be compared byte for byte.
 * Not exported from the package. Never reuse a salt with the same key in production.
 *
 * @param params - As {@link createEncryptor}.
 * @param salt - 32-byte header salt.
 * @returns The encryptor.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter.
 */
export function createEncryptorWithSalt(params: EncryptorParameters, salt: Uint8Array): Encryptor {
  const p = readEncryptorParameters(params)
  assertBytes(salt, 'salt', SALT_LENGTH)
  const headerFields: PayloadHeader = {
    formatVersion: 1,
    algorithm: 'chacha20poly1305',
    chunkSize: p.chunkSize,
    datasetId: p.datasetId.slice(),
    version: p.version,
    salt: salt.slice(),
  }
  const header = encodeHeader(headerFields)
  const { aead, nonce } = deriveStreamKeys(p.node, p.key, header, salt)
  const { node, onProgress } = p
  let used = false
  let result: PayloadSummary | undefined

  async function* run(source: DataSource): AsyncGenerator<Uint8Array, void, undefined> {
    const digest = rawSha256(node)
    const merkle = new MerkleBuilder(node === undefined ? { backend: 'portable' } : { backend: 'native' })
    let bytes = 0
    let chunks = 0
    const total = source instanceof Uint8Array ? source.length : undefined
    for await (const frame of frames(readPieces(source, 'source'), headerFields.chunkSize)) {
      if (frame.index >= MAX_CHUNKS) throw invalidArgument('source', `at most ${MAX_CHUNKS} chunks`, 'more')
      const plaintext = frame.bytes
      digest.update(plaintext)
      setNonce(nonce, frame.index, frame.last)
      const sealed = aead.seal(nonce, plaintext, header)
      merkle.pushLeafUnchecked(leafHashOn(node, sealed))
      bytes += plaintext.length
      chunks++
      if (frame.last) {
        result = {
          plaintextDigest: digest.digest(),
          merkleRoot: merkle.root(),
          plaintextSize: bytes,
          chunkCount: chunks,
          ciphertextSize: bytes + chunks * AEAD_TAG_LENGTH,
        }
      }
      onProgress?.(progressOf(bytes, chunks, total))
      yield sealed
    }
  }

  return {
    header,
    headerFields,
    chunkSize: headerFields.chunkSize,
    encrypt(source) {
      assertDataSource(source, 'source')
      if (used) throw alreadyUsed('encrypt()')
      used = true
      return run(source)
    },
    summary() {
      if (result === undefined) throw notFinished('encrypt()')
      return copySummary(result)
    },
  }
}

function copySummary(s: PayloadSummary): PayloadSummary {
  return { ...s, plaintextDigest: s.plaintextDigest.slice(), merkleRoot: s.merkleRoot.slice() }
}

/**
 * Creates a payload encryptor for one version: a fresh random salt, the header, and the derived per-header key.
 * `encrypt` streams the chunks; in the same single pass it computes the plaintext SHA-256, the Merkle root over the
 * ciphertext chunks, the sizes and the chunk count, available from `summary()` afterwards. Memory stays at about
 * one chunk plus one input piece, whatever the payload size.
 *
 * @param params - Key, dataset id, version, and options.
 * @returns The encryptor.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter.
 * @example
 * ```ts
 * const key = generateDataKey()
 * const enc = createEncryptor({ key, datasetId, version: 1 })
 * for await (const chunk of enc.encrypt(fileStream)) await store.append(chunk)
 * const { plaintextDigest, merkleRoot, plaintextSize } = enc.summary()
 * ```
 */
export function createEncryptor(params: EncryptorParameters): Encryptor {
  return createEncryptorWithSalt(params, randomBytes(SALT_LENGTH))
}

/** Internal: an INTEGRITY error of the payload stream. */
export const integrity = (message: string, details?: Record<string, number | boolean>, cause?: unknown) =>
  new DatapactError('INTEGRITY', message, {
    ...(details === undefined ? {} : { details }),
    ...(cause === undefined ? {} : { cause }),
  })

function assertExpected(value: unknown): asserts value is ExpectedPayload | undefined {
  if (value === undefined) return
  assertRecord(value, 'expected')
  const { plaintextDigest, merkleRoot, plaintextSize, chunkCount } = value
  if (plaintextDigest !== undefined) assertBytes(plaintextDigest, 'expected.plaintextDigest', 32)
  if (merkleRoot !== undefined) assertBytes(merkleRoot, 'expected.merkleRoot', MERKLE_HASH_LENGTH)
  if (plaintextSize !== undefined) assertInteger(plaintextSize, 'expected.plaintextSize', 0, Number.MAX_SAFE_INTEGER)
  if (chunkCount !== undefined) assertInteger(chunkCount, 'expected.chunkCount', 1, MAX_CHUNKS)
}

/** Internal: the first field of `expected` the summary does not match, if any. */
export function mismatch(summary: PayloadSummary, expected: ExpectedPayload | undefined): string | undefined {
  if (expected === undefined) return undefined
  if (expected.plaintextSize !== undefined && expected.plaintextSize !== summary.plaintextSize) return 'plaintextSize'
  if (expected.chunkCount !== undefined && expected.chunkCount !== summary.chunkCount) return 'chunkCount'
  if (expected.merkleRoot !== undefined && !equalBytes(expected.merkleRoot, summary.merkleRoot)) return 'merkleRoot'
  if (expected.plaintextDigest !== undefined && !equalBytes(expected.plaintextDigest, summary.plaintextDigest))
    return 'plaintextDigest'
  return undefined
}

/** Internal: a chunk whose tag does not verify, as a non-final chunk or as the final one. */
export const chunkAuthFailed = (index: number, last: boolean, cause?: unknown) =>
  integrity(
    last
      ? `chunk ${index} failed authentication as the final chunk: the payload was truncated, extended or altered, or the key or header does not match`
      : `chunk ${index} failed authentication: the payload was altered, reordered or spliced, or the key or header does not match`,
    { chunk: index, last },
    cause,
  )

/** Internal: the ciphertext ended on a chunk boundary, before any final chunk. */
export const endsWithoutFinal = (index: number) =>
  integrity(`the payload ends after chunk ${index - 1} without a final chunk: it was truncated`, { chunk: index })

/**
 * Internal: the final chunk's sealed length must hold a tag, and more than a tag unless it is the only chunk.
 *
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY otherwise.
 */
export function checkFinalLength(length: number, index: number): void {
  if (length < AEAD_TAG_LENGTH)
    throw integrity(`chunk ${index} is shorter than a tag: the payload was truncated`, { chunk: index })
  if (index > 0 && length === AEAD_TAG_LENGTH)
    throw integrity(`chunk ${index} is an empty final chunk, which encryption never produces`, { chunk: index })
}

/** Internal: the decrypted payload differs from `expected` in `field`. */
export const mismatchError = (field: string, lastChunk: number) =>
  integrity(`the decrypted payload does not match the expected ${field}`, { chunk: lastChunk })

/**
 * Internal: decodes a payload header; a malformed one means altered data.
 *
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY when `header` is not a valid header.
 */
export function readHeader(header: Uint8Array): PayloadHeader {
  try {
    return decodeHeader(header)
  } catch (e) {
    throw integrity('the payload header is malformed (altered or not a Datapact payload)', undefined, e)
  }
}

/**
 * Creates a payload decryptor. The header is decoded now; a malformed header means altered data (INTEGRITY).
 *
 * @param params - Key, encoded header, and options.
 * @returns The decryptor.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter; INTEGRITY when `header` is not a
 * valid header.
 * @example
 * ```ts
 * const dec = createDecryptor({ key, header, expected: { merkleRoot } })
 * for await (const piece of dec.decrypt(chunks)) out.write(piece)
 * ```
 */
export function createDecryptor(params: DecryptorParameters): Decryptor {
  assertRecord(params, 'params')
  const { key, header, backend, onProgress } = params as unknown as Record<string, unknown>
  const expected: unknown = params.expected
  assertBytes(key, 'key', DATA_KEY_LENGTH)
  assertBytes(header, 'header')
  assertOptionalFunction(onProgress, 'onProgress')
  assertExpected(expected)
  const expectedValues = expected
  const node = resolveBackend(backend, 'backend')
  const headerFields = readHeader(header)
  const headerBytes = header.slice()
  const { aead, nonce } = deriveStreamKeys(node, key, headerBytes, headerFields.salt)
  const progress = onProgress as DecryptorParameters['onProgress']
  const total = (expectedValues as { plaintextSize?: number } | undefined)?.plaintextSize
  const frameSize = headerFields.chunkSize + AEAD_TAG_LENGTH
  let used = false
  let result: PayloadSummary | undefined

  /**
   * Opens one chunk. With `tentative`, a failed tag returns undefined instead of throwing: a full-size chunk is first
   * tried as a non-final chunk, as soon as it arrives, and kept for a second try as the final chunk only if that
   * fails. So full chunks are decrypted in place (no copy, no waiting for the next piece), and only a full-size
   * final chunk costs a second attempt.
   */
  const open = (sealed: Uint8Array, index: number, last: boolean, tentative: boolean): Uint8Array | undefined => {
    setNonce(nonce, index, last)
    try {
      return aead.open(nonce, sealed, headerBytes)
    } catch (e) {
      if (tentative) return undefined
      throw chunkAuthFailed(index, last, e)
    }
  }

  async function* run(source: DataSource): AsyncGenerator<Uint8Array, void, undefined> {
    const digest = rawSha256(node)
    const merkle = new MerkleBuilder(node === undefined ? { backend: 'portable' } : { backend: 'native' })
    let bytes = 0
    let index = 0
    let staging: Uint8Array | undefined
    let fill = 0
    // A full-size chunk that failed as a non-final chunk: valid, if at all, only as the final one.
    let held: Uint8Array | undefined
    const accept = (sealed: Uint8Array, plaintext: Uint8Array) => {
      merkle.pushLeafUnchecked(leafHashOn(node, sealed))
      digest.update(plaintext)
      bytes += plaintext.length
      index++
    }
    for await (const piece of readPieces(source, 'chunks')) {
      const length = piece.length
      let offset = 0
      while (offset < length) {
        if (held !== undefined) open(held, index, false, false) // more bytes follow: throws the chunk's error
        let sealed: Uint8Array
        if (fill === 0 && length - offset >= frameSize) {
          sealed = piece.subarray(offset, offset + frameSize)
          offset += frameSize
        } else {
          staging ??= new Uint8Array(frameSize)
          const n = Math.min(frameSize - fill, length - offset)
          staging.set(piece.subarray(offset, offset + n), fill)
          fill += n
          offset += n
          if (fill < frameSize) continue
          sealed = staging
          fill = 0
        }
        if (index >= MAX_CHUNKS) throw integrity('the payload has more chunks than the format allows')
        const plaintext = open(sealed, index, false, true)
        if (plaintext === undefined) {
          held = sealed.slice()
          continue
        }
        accept(sealed, plaintext)
        progress?.(progressOf(bytes, index, total))
        yield plaintext
      }
    }
    const sealed = held ?? (staging === undefined ? new Uint8Array(0) : staging.subarray(0, fill))
    if (held === undefined && fill === 0 && index > 0) throw endsWithoutFinal(index)
    checkFinalLength(sealed.length, index)
    if (index >= MAX_CHUNKS) throw integrity('the payload has more chunks than the format allows')
    const plaintext = open(sealed, index, true, false)!
    accept(sealed, plaintext)
    const summary: PayloadSummary = {
      plaintextDigest: digest.digest(),
      merkleRoot: merkle.root(),
      plaintextSize: bytes,
      chunkCount: index,
      ciphertextSize: bytes + index * AEAD_TAG_LENGTH,
    }
    const field = mismatch(summary, expectedValues)
    if (field !== undefined) {
      plaintext.fill(0)
      throw mismatchError(field, index - 1)
    }
    result = summary
    progress?.(progressOf(bytes, index, total))
    yield plaintext
  }

  return {
    headerFields,
    decrypt(chunks) {
      assertDataSource(chunks, 'chunks')
      if (used) throw alreadyUsed('decrypt()')
      used = true
      return run(chunks)
    },
    summary() {
      if (result === undefined) throw notFinished('decrypt()')
      return copySummary(result)
    },
  }
}

/** Parameters of {@link decryptChunks}. */
export interface DecryptChunksParameters extends DecryptorParameters {
  /** The ciphertext chunks, in order (any piece sizes). */
  chunks: DataSource
}

/**
 * Verifies and decrypts a payload, yielding plaintext; each chunk's plaintext is released only after that chunk
 * authenticates. Shorthand for `createDecryptor(params).decrypt(params.chunks)`.
 *
 * @param params - Key, header, chunks and options.
 * @returns Plaintext pieces.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on bad parameters; INTEGRITY on a malformed header, or (while
 * iterating) on a bit flip anywhere, truncation, extension, reordering, splicing from another version, dataset or
 * key, a wrong key, a non-final chunk of the wrong size, or a mismatch with `expected`.
 * @example
 * ```ts
 * for await (const piece of decryptChunks({ key, header, chunks })) out.write(piece)
 * ```
 */
export function decryptChunks(params: DecryptChunksParameters): AsyncIterable<Uint8Array> {
  assertRecord(params, 'params')
  const { chunks } = params
  assertDataSource(chunks, 'chunks')
  return createDecryptor(params).decrypt(chunks)
}

/** Parameters of {@link encryptBytes}. */
export interface EncryptBytesParameters extends Omit<EncryptorParameters, 'onProgress'> {
  /** The whole plaintext. */
  plaintext: Uint8Array
}

/** Result of {@link encryptBytes}. */
export interface EncryptedPayload {
  /** Encoded header. */
  header: Uint8Array
  /** All chunks, concatenated. */
  ciphertext: Uint8Array
  /** The fingerprint. */
  summary: PayloadSummary
}

/**
 * Encrypts an in-memory plaintext; convenience over {@link createEncryptor}.
 *
 * @param params - Key, dataset id, version, plaintext and options.
 * @returns Header, concatenated chunks and summary.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter.
 * @example
 * ```ts
 * const { header, ciphertext, summary } = await encryptBytes({ key, datasetId, version: 1, plaintext })
 * ```
 */
export async function encryptBytes(params: EncryptBytesParameters): Promise<EncryptedPayload> {
  assertRecord(params, 'params')
  const { plaintext, ...rest } = params
  assertBytes(plaintext, 'plaintext')
  const enc = createEncryptor(rest)
  const chunks: Uint8Array[] = []
  for await (const chunk of enc.encrypt(plaintext)) chunks.push(chunk)
  return { header: enc.header, ciphertext: concatBytes(...chunks), summary: enc.summary() }
}

/** Parameters of {@link decryptBytes}. */
export interface DecryptBytesParameters extends Omit<DecryptorParameters, 'onProgress'> {
  /** All chunks, concatenated. */
  ciphertext: Uint8Array
}

/**
 * Decrypts an in-memory payload; convenience over {@link createDecryptor}. Returns nothing unless every chunk (and
 * `expected`, when given) verifies.
 *
 * @param params - Key, header, ciphertext and options.
 * @returns The plaintext.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on bad parameters; INTEGRITY as {@link decryptChunks}.
 * @example
 * ```ts
 * const plaintext = await decryptBytes({ key, header, ciphertext })
 * ```
 */
export async function decryptBytes(params: DecryptBytesParameters): Promise<Uint8Array> {
  assertRecord(params, 'params')
  const { ciphertext, ...rest } = params
  assertBytes(ciphertext, 'ciphertext')
  const pieces: Uint8Array[] = []
  try {
    for await (const piece of createDecryptor(rest).decrypt(ciphertext)) pieces.push(piece)
  } catch (e) {
    for (const p of pieces) p.fill(0)
    throw e
  }
  return concatBytes(...pieces)
}

/**
 * Wraps an async iterable of bytes (such as `encrypt()` or `decryptChunks()`) as a web ReadableStream, pulling one
 * piece per read, so backpressure reaches the source. Cancelling the stream stops the iterable.
 *
 * @param source - The iterable.
 * @returns A ReadableStream of the same pieces.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `source` is not an async iterable.
 * @example
 * ```ts
 * const body = toReadableStream(enc.encrypt(file))
 * ```
 */
export function toReadableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (typeof (source as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] !== 'function')
    throw invalidArgument('source', 'async iterable of Uint8Array', describe(source))
  const iterator = source[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel(reason) {
      await iterator.return?.(reason)
    },
  })
}
