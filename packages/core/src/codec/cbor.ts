import { decode as cborDecode, encode as cborEncode, Token, Tokenizer, Type } from 'cborg'
import { DatapactError } from '../errors.js'
import { sameBytes } from '../internal/bytes.js'
import type { Schema } from './schema.js'

const DECODE_OPTIONS = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
} as const

/**
 * Canonical bytes of a value: checked against `schema`, mapped to its wire form and encoded as deterministic
 * CBOR (RFC 8949 core deterministic encoding, via cborg: shortest integers, sorted map keys, definite lengths).
 * Equal values give equal bytes whatever the key order of the input.
 *
 * @param schema - The value's schema.
 * @param value - The domain value.
 * @param path - Name of the argument, for INVALID_INPUT messages.
 * @returns The canonical bytes.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the value does not fit the schema.
 */
export function encode<T>(schema: Schema<T>, value: T, path = 'value'): Uint8Array {
  let checked: T
  try {
    // Borrowed: the check's byte strings are views of the caller's bytes, written into the CBOR at once (one copy).
    checked = schema.check(value, path, true)
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw new DatapactError('INVALID_INPUT', `"${path}" cannot be read`, { details: { argument: path }, cause: e })
  }
  return cborEncode(schema.toWire(checked))
}

/**
 * Strictly decodes canonical bytes: rejects malformed or non-canonical CBOR, trailing bytes, unknown or missing
 * fields and out-of-range values, so `encode(decode(b))` equals `b`.
 *
 * @param schema - The expected schema.
 * @param bytes - Canonical CBOR bytes.
 * @param path - Name of the argument, for INVALID_INPUT messages.
 * @returns The domain value.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on anything but the canonical encoding of a valid value.
 */
export function decode<T>(schema: Schema<T>, bytes: Uint8Array, path = 'value'): T {
  if (!ArrayBuffer.isView(bytes) || !(bytes instanceof Uint8Array))
    throw new DatapactError('INVALID_INPUT', `"${path}" must be canonical CBOR bytes`, { details: { argument: path } })
  const value = fromCbor(schema, bytes, path)
  if (!sameBytes(cborEncode(schema.toWire(value)), bytes))
    throw new DatapactError('INVALID_INPUT', `"${path}" is not in canonical form`, { details: { argument: path } })
  return value
}

/**
 * What a ledger makes of a value it carries: its canonical bytes ({@link encode}), decoded strictly again, so the
 * result is a fresh value with exactly the wire's types, sharing nothing with the input. Equal to
 * `decode(schema, encode(schema, value))`, without the canonical-form check: bytes `encode` just made are canonical.
 * The memory ledger passes every call and result through this.
 *
 * @param schema - The value's schema.
 * @param value - The domain value.
 * @param path - Name of the argument, for INVALID_INPUT messages.
 * @returns A fresh copy of the value, as the other side of a ledger would read it.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the value does not fit the schema.
 */
export function roundTrip<T>(schema: Schema<T>, value: T, path = 'value'): T {
  const bytes = encode(schema, value, path)
  // The bytes are this call's own: byte strings may be views of them instead of copies (one copy of each, not two).
  const own = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return fromCbor(schema, own, path, new ByteViewTokenizer(own, DECODE_OPTIONS))
}

/**
 * cborg's tokenizer, except that a byte string becomes a view of the input rather than a copy. Only for bytes
 * {@link encode} has just made and nobody else holds: their canonical form is given, so the definite lengths are read
 * without the strict checks (every other token still goes through cborg's own, strict, decoding).
 */
class ByteViewTokenizer extends Tokenizer {
  override next(): Token {
    const data = this.data
    const at = this._pos
    const initial = data[at]!
    // Major type 2 (byte string) with a length in the initial byte or in 1, 2 or 4 bytes after it.
    if (initial < 0x40 || initial > 0x5a) return super.next()
    const minor = initial & 0x1f
    const prefix = minor < 24 ? 1 : 1 + (1 << (minor - 24))
    if (at + prefix > data.length) return super.next()
    let length = minor
    if (minor >= 24) {
      length = 0
      for (let i = 1; i < prefix; i++) length = length * 256 + data[at + i]!
    }
    if (at + prefix + length > data.length) return super.next()
    this._pos = at + prefix + length
    return new Token(Type.bytes, data.subarray(at + prefix, at + prefix + length), prefix + length)
  }
}

function fromCbor<T>(schema: Schema<T>, bytes: Uint8Array, path: string, tokenizer?: Tokenizer): T {
  let wire: unknown
  try {
    wire = cborDecode(bytes, tokenizer ? { ...DECODE_OPTIONS, tokenizer } : DECODE_OPTIONS)
  } catch (cause) {
    throw new DatapactError('INVALID_INPUT', `"${path}" is not well-formed canonical CBOR`, {
      details: { argument: path, length: bytes.length },
      cause,
    })
  }
  return schema.fromWire(wire, path)
}
