import { assertBytes, assertInteger, assertRecord, invalidArgument } from '../internal/assert.js'

/**
 * The payload header: public, fixed-size, and bound to every chunk as associated data. Binary layout (78 bytes,
 * integers big-endian):
 *
 * | offset | size | field                                      |
 * |-------:|-----:|--------------------------------------------|
 * |      0 |    4 | magic, ASCII `DPAY`                        |
 * |      4 |    1 | format version, 1                          |
 * |      5 |    1 | algorithm, 1 = ChaCha20-Poly1305 STREAM    |
 * |      6 |    4 | chunk size (plaintext bytes per chunk)     |
 * |     10 |   32 | dataset id                                 |
 * |     42 |    4 | version number (>= 1)                      |
 * |     46 |   32 | salt (random, per encryption)              |
 *
 * Nothing in it is secret.
 */
export interface PayloadHeader {
  formatVersion: 1
  algorithm: 'chacha20poly1305'
  /** Plaintext bytes per chunk (the last chunk may be shorter). */
  chunkSize: number
  /** 32-byte dataset id. */
  datasetId: Uint8Array
  /** Version number, uint32, >= 1. */
  version: number
  /** 32 random bytes, fresh for every encryption. */
  salt: Uint8Array
}

/** Encoded header length in bytes. */
export const HEADER_LENGTH = 78
/** Smallest allowed chunk size: 1 KiB. */
export const MIN_CHUNK_SIZE = 1024
/** Largest allowed chunk size: 16 MiB. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024
/** Default chunk size: 64 KiB. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024
/** Dataset ids are 32 bytes. */
export const DATASET_ID_LENGTH = 32
/** Header salts are 32 bytes. */
export const SALT_LENGTH = 32
/** Largest version number (uint32). */
export const MAX_VERSION = 0xffff_ffff

const MAGIC = /* @__PURE__ */ Uint8Array.of(0x44, 0x50, 0x41, 0x59) // 'DPAY'
const FORMAT_VERSION = 1
const ALGORITHM_CHACHA20POLY1305 = 1

/**
 * Checks a header's fields.
 *
 * @param header - Candidate header.
 * @param argument - Name used in errors.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad field.
 */
export function assertHeader(header: unknown, argument = 'header'): asserts header is PayloadHeader {
  assertRecord(header, argument)
  if (header.formatVersion !== FORMAT_VERSION) throw invalidArgument(`${argument}.formatVersion`, '1', 'other')
  if (header.algorithm !== 'chacha20poly1305')
    throw invalidArgument(`${argument}.algorithm`, "'chacha20poly1305'", 'other')
  assertInteger(header.chunkSize, `${argument}.chunkSize`, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
  assertBytes(header.datasetId, `${argument}.datasetId`, DATASET_ID_LENGTH)
  assertInteger(header.version, `${argument}.version`, 1, MAX_VERSION)
  assertBytes(header.salt, `${argument}.salt`, SALT_LENGTH)
}

/**
 * Encodes a header into its fixed 78-byte form.
 *
 * @param header - The header fields.
 * @returns 78 bytes; `decodeHeader(encodeHeader(h))` gives back `h`.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad field.
 * @example
 * ```ts
 * const bytes = encodeHeader({ formatVersion: 1, algorithm: 'chacha20poly1305', chunkSize: 65536, datasetId, version: 1, salt })
 * ```
 */
export function encodeHeader(header: PayloadHeader): Uint8Array {
  assertHeader(header)
  const out = new Uint8Array(HEADER_LENGTH)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = FORMAT_VERSION
  out[5] = ALGORITHM_CHACHA20POLY1305
  view.setUint32(6, header.chunkSize, false)
  out.set(header.datasetId, 10)
  view.setUint32(42, header.version, false)
  out.set(header.salt, 46)
  return out
}

/**
 * Decodes and validates a header. Strict: exact length (no trailing bytes), known magic, format version and
 * algorithm, chunk size within 1 KiB..16 MiB, version >= 1; so `encodeHeader(decodeHeader(b))` equals `b`.
 *
 * @param bytes - The encoded header.
 * @returns The fields (datasetId and salt are copies).
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `bytes` is not a Uint8Array or is not a valid header
 * (details name the offending part). Decryption reports the same problems as INTEGRITY, since there a bad header
 * means altered data.
 */
export function decodeHeader(bytes: Uint8Array): PayloadHeader {
  assertBytes(bytes, 'header')
  if (bytes.length !== HEADER_LENGTH) throw invalidArgument('header', `${HEADER_LENGTH} bytes`, `${bytes.length} bytes`)
  for (let i = 0; i < MAGIC.length; i++)
    if (bytes[i] !== MAGIC[i]) throw invalidArgument('header.magic', "'DPAY'", 'other bytes')
  if (bytes[4] !== FORMAT_VERSION) throw invalidArgument('header.formatVersion', '1', String(bytes[4]))
  if (bytes[5] !== ALGORITHM_CHACHA20POLY1305) throw invalidArgument('header.algorithm', '1', String(bytes[5]))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chunkSize = view.getUint32(6, false)
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
    throw invalidArgument('header.chunkSize', `integer in ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`, String(chunkSize))
  const version = view.getUint32(42, false)
  if (version < 1) throw invalidArgument('header.version', `integer in 1..${MAX_VERSION}`, '0')
  return {
    formatVersion: FORMAT_VERSION,
    algorithm: 'chacha20poly1305',
    chunkSize,
    datasetId: bytes.slice(10, 42),
    version,
    salt: bytes.slice(46, 78),
  }
}
