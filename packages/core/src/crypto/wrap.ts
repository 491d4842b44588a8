import { DatapactError } from '../errors.js'
import {
  assertBytes,
  assertInteger,
  assertRecord,
  assertString,
  describe,
  invalidArgument,
} from '../internal/assert.js'
import { concatBytes, textDecoder, textEncoder, u32be, utf8ToBytes } from '../internal/bytes.js'
import { HPKE_SUITE_IDS, hpkeOpen, hpkeSeal } from './hpke.js'
import { type CryptoBackend, type NodeCryptoModule, resolveBackend } from './native.js'
import { X25519_KEY_LENGTH } from './x25519.js'

/**
 * Key wrapping: a version's data key, sealed to one recipient's X25519 envelope key with HPKE base mode (RFC 9180)
 * over DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (see `hpke.ts`).
 *
 * - info = 'datapact/key-wrap/v1' (domain label);
 * - aad = envelope prefix (11 bytes) || u32be(32) || datasetId || u32be(version) || u32be(n) || recipientId as
 *   UTF-8 (n bytes): every field length-prefixed, so distinct bindings never share an encoding.
 *
 * Wrapped key envelope, 91 bytes, fixed layout:
 *
 * | offset | size | field                                            |
 * |-------:|-----:|--------------------------------------------------|
 * |      0 |    4 | magic, ASCII `DPKW`                              |
 * |      4 |    1 | envelope version, 1                              |
 * |      5 |    6 | HPKE kem_id, kdf_id, aead_id (u16 each): 0x0020, 0x0001, 0x0003 |
 * |     11 |   32 | enc (the ephemeral X25519 public key)            |
 * |     43 |   48 | HPKE ciphertext of the 32-byte data key + 16-byte tag |
 *
 * Error policy of {@link unwrapKey}: arguments of the wrong type or size (including `wrapped` not being a
 * Uint8Array) are INVALID_INPUT; every problem inside the envelope bytes (length, magic, version, suite, a bad
 * `enc`, or failed authentication because any binding differs or a byte changed) is INTEGRITY, because it cannot be
 * told apart from tampering.
 */

/** Length of a wrapped key envelope. */
export const WRAPPED_KEY_LENGTH = 91
/** Length of the wrapped data key. */
export const WRAPPED_DATA_KEY_LENGTH = 32
/** Largest recipient id, in UTF-16 code units. */
export const MAX_RECIPIENT_ID_LENGTH = 1024

const MAGIC = /* @__PURE__ */ Uint8Array.of(0x44, 0x50, 0x4b, 0x57) // 'DPKW'
const ENVELOPE_VERSION = 1
const PREFIX_LENGTH = 11
const ENC_LENGTH = 32
const INFO = /* @__PURE__ */ utf8ToBytes('datapact/key-wrap/v1')

const PREFIX = /* @__PURE__ */ (() => {
  const p = new Uint8Array(PREFIX_LENGTH)
  const v = new DataView(p.buffer)
  p.set(MAGIC, 0)
  p[4] = ENVELOPE_VERSION
  v.setUint16(5, HPKE_SUITE_IDS.kem, false)
  v.setUint16(7, HPKE_SUITE_IDS.kdf, false)
  v.setUint16(9, HPKE_SUITE_IDS.aead, false)
  return p
})()

/** The bindings every envelope carries: which dataset, which version, which recipient. */
export interface KeyBinding {
  /** 32-byte dataset id. */
  datasetId: Uint8Array
  /** Version number (uint32, >= 1). */
  version: number
  /** The recipient's member id (1..1024 UTF-16 code units, well-formed Unicode). */
  recipientId: string
}

/** Parameters of {@link wrapKey}. */
export interface WrapKeyParameters extends KeyBinding {
  /** The 32-byte data key to wrap. */
  dataKey: Uint8Array
  /** The recipient's raw 32-byte X25519 envelope public key. */
  recipientPublicKey: Uint8Array
  /** `native` (node:crypto X25519) or `portable` (the stock `@hpke` suite). Default native when available. */
  backend?: CryptoBackend
}

/** Parameters of {@link unwrapKey}. */
export interface UnwrapKeyParameters extends KeyBinding {
  /** The 91-byte envelope from {@link wrapKey}. */
  wrapped: Uint8Array
  /** The recipient's raw 32-byte X25519 envelope secret key. */
  recipientSecretKey: Uint8Array
  /** `native` or `portable`. Default native when available. */
  backend?: CryptoBackend
}

/** One recipient of {@link wrapKeys}. */
export interface WrapRecipient {
  recipientId: string
  /** Raw 32-byte X25519 envelope public key. */
  publicKey: Uint8Array
}

/** Parameters of {@link wrapKeys}. */
export interface WrapKeysParameters {
  dataKey: Uint8Array
  datasetId: Uint8Array
  version: number
  recipients: readonly WrapRecipient[]
  backend?: CryptoBackend
  /** How many wraps run at once (1..256, default 32). */
  concurrency?: number
}

function assertRecipientId(value: unknown, argument: string): asserts value is string {
  assertString(value, argument, MAX_RECIPIENT_ID_LENGTH, 1)
  // Lone surrogates would all encode to U+FFFD, so two different ids could share one binding.
  if (textDecoder.decode(textEncoder.encode(value)) !== value)
    throw invalidArgument(argument, 'well-formed Unicode string', 'string with lone surrogates')
}

function assertBinding(p: Record<string, unknown>, prefix = ''): void {
  assertBytes(p.datasetId, `${prefix}datasetId`, 32)
  assertInteger(p.version, `${prefix}version`, 1, 0xffff_ffff)
}

/** The aad of one binding: its recipient-independent head is built once, for every recipient of a wrap. */
function aadFor(datasetId: Uint8Array, version: number): (recipientId: string) => Uint8Array {
  const head = concatBytes(PREFIX, u32be(datasetId.length), datasetId, u32be(version))
  return recipientId => {
    const id = textEncoder.encode(recipientId)
    const aad = new Uint8Array(head.length + 4 + id.length)
    aad.set(head, 0)
    new DataView(aad.buffer).setUint32(head.length, id.length, false)
    aad.set(id, head.length + 4)
    return aad
  }
}

async function sealTo(
  node: NodeCryptoModule | undefined,
  dataKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  aad: Uint8Array,
  argument: string,
): Promise<Uint8Array> {
  try {
    const { enc, ct } = await hpkeSeal(node, { recipientPublicKey, plaintext: dataKey, info: INFO, aad })
    const envelope = new Uint8Array(WRAPPED_KEY_LENGTH)
    envelope.set(PREFIX, 0)
    envelope.set(enc, PREFIX_LENGTH)
    envelope.set(ct, PREFIX_LENGTH + ENC_LENGTH)
    return envelope
  } catch (e) {
    if (e instanceof DatapactError && argument !== 'recipientPublicKey')
      throw new DatapactError(e.code, e.message.replace('"recipientPublicKey"', `"${argument}"`), {
        details: { ...e.details, argument },
        cause: e.cause,
      })
    throw e
  }
}

/**
 * Wraps a data key for one recipient (HPKE base mode; see the module notes for the envelope and bindings).
 *
 * @param params - Data key, recipient public key, and the binding (dataset, version, recipient id).
 * @returns The 91-byte envelope (self-describing: magic, version, suite ids).
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter (including a low-order public key).
 * @example
 * ```ts
 * const wrapped = await wrapKey({ dataKey, recipientPublicKey: bob.envelopeKey, datasetId, version: 1, recipientId: bob.id })
 * ```
 */
export async function wrapKey(params: WrapKeyParameters): Promise<Uint8Array> {
  assertRecord(params, 'params')
  const { dataKey, recipientPublicKey, datasetId, version, recipientId, backend } = params
  assertBytes(dataKey, 'dataKey', WRAPPED_DATA_KEY_LENGTH)
  assertBytes(recipientPublicKey, 'recipientPublicKey', X25519_KEY_LENGTH)
  assertBinding(params as unknown as Record<string, unknown>)
  assertRecipientId(recipientId, 'recipientId')
  const node = resolveBackend(backend, 'backend')
  return sealTo(node, dataKey, recipientPublicKey, aadFor(datasetId, version)(recipientId), 'recipientPublicKey')
}

/**
 * Wraps one data key for many recipients at once, running the wraps concurrently. All parameters are checked
 * before any wrap starts.
 *
 * @param params - Data key, binding (dataset, version), recipients, options.
 * @returns One envelope per recipient, in the same order.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming the first bad parameter (e.g. `recipients[2].publicKey`).
 * @example
 * ```ts
 * const wrapped = await wrapKeys({ dataKey, datasetId, version: 2, recipients: grantees })
 * ```
 */
export async function wrapKeys(params: WrapKeysParameters): Promise<Uint8Array[]> {
  assertRecord(params, 'params')
  const { dataKey, datasetId, version, recipients, backend, concurrency = 32 } = params
  assertBytes(dataKey, 'dataKey', WRAPPED_DATA_KEY_LENGTH)
  assertBinding(params as unknown as Record<string, unknown>)
  if (!Array.isArray(recipients)) throw invalidArgument('recipients', 'array', describe(recipients))
  recipients.forEach((r: unknown, i) => {
    assertRecord(r, `recipients[${i}]`)
    assertRecipientId(r.recipientId, `recipients[${i}].recipientId`)
    assertBytes(r.publicKey, `recipients[${i}].publicKey`, X25519_KEY_LENGTH)
  })
  assertInteger(concurrency, 'concurrency', 1, 256)
  const node = resolveBackend(backend, 'backend')
  const aad = aadFor(datasetId, version)
  const out: Uint8Array[] = new Array(recipients.length)
  let next = 0
  const worker = async () => {
    while (next < recipients.length) {
      const i = next++
      const r = recipients[i]!
      out[i] = await sealTo(node, dataKey, r.publicKey, aad(r.recipientId), `recipients[${i}].publicKey`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, recipients.length) }, worker))
  return out
}

const integrity = (message: string, cause?: unknown) =>
  new DatapactError('INTEGRITY', message, cause === undefined ? {} : { cause })

/**
 * Unwraps a data key. Succeeds only with the right secret key and exactly the binding used to wrap.
 *
 * @param params - Envelope, recipient secret key, and the expected binding.
 * @returns The 32-byte data key.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when a parameter has the wrong type or size; INTEGRITY when the
 * envelope is malformed, was altered, was wrapped for another key, or any binding (dataset, version, recipient id)
 * differs.
 * @example
 * ```ts
 * const dataKey = await unwrapKey({ wrapped, recipientSecretKey: keys.envelope.secretKey, datasetId, version: 1, recipientId: me })
 * ```
 */
export async function unwrapKey(params: UnwrapKeyParameters): Promise<Uint8Array> {
  assertRecord(params, 'params')
  const { wrapped, recipientSecretKey, datasetId, version, recipientId, backend } = params
  assertBytes(wrapped, 'wrapped')
  assertBytes(recipientSecretKey, 'recipientSecretKey', X25519_KEY_LENGTH)
  assertBinding(params as unknown as Record<string, unknown>)
  assertRecipientId(recipientId, 'recipientId')
  const node = resolveBackend(backend, 'backend')
  if (wrapped.length !== WRAPPED_KEY_LENGTH)
    throw integrity(`the wrapped key is ${wrapped.length} bytes, expected ${WRAPPED_KEY_LENGTH}`)
  for (let i = 0; i < PREFIX_LENGTH; i++)
    if (wrapped[i] !== PREFIX[i]) throw integrity('the wrapped key has an unknown format, version or HPKE suite')
  let plain: Uint8Array
  try {
    plain = await hpkeOpen(node, {
      recipientSecretKey,
      enc: wrapped.slice(PREFIX_LENGTH, PREFIX_LENGTH + ENC_LENGTH),
      ct: wrapped.slice(PREFIX_LENGTH + ENC_LENGTH),
      info: INFO,
      aad: aadFor(datasetId, version)(recipientId),
    })
  } catch (e) {
    throw integrity(
      'the wrapped key did not open: it was altered, wrapped for another key, or for another dataset, version or recipient',
      e,
    )
  }
  const dataKey = plain
  if (dataKey.length !== WRAPPED_DATA_KEY_LENGTH) throw integrity('the wrapped key holds a value of the wrong length')
  return dataKey
}
