import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { Aes128Gcm, CipherSuite, HkdfSha256, type KdfInterface } from '@hpke/core'
import { DhkemX25519HkdfSha256, X25519 } from '@hpke/dhkem-x25519'
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { DatapactError } from '../errors.js'
import type { NodeCryptoModule } from './native.js'
import { type X25519Operations, x25519On } from './x25519.js'

/**
 * The HPKE (RFC 9180) suite for key envelopes: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, built
 * from @hpke/core. HPKE itself (labeled KDF, KEM, key schedule, nonces, AEAD framing) is always @hpke's code; the
 * native backend only swaps two primitives behind @hpke's own extension points for faster implementations of the
 * same algorithms:
 *
 * - X25519 scalar multiplication: node:crypto (OpenSSL) instead of @hpke's pure-JS curve (~30x faster);
 * - HKDF-SHA256 extract/expand (RFC 5869): @noble/hashes, synchronous, instead of WebCrypto HMAC, whose per-call
 *   key import and thread-pool round trip dominated once X25519 was fast.
 *
 * The RFC 9180 known-answer tests and a cross-check against the stock suite (same keys, same ephemeral, same bytes)
 * prove both suites identical.
 */

type Bytes = ArrayBufferLike | ArrayBufferView

const toU8 = (x: Bytes): Uint8Array =>
  x instanceof Uint8Array
    ? x
    : ArrayBuffer.isView(x)
      ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
      : new Uint8Array(x)

/** @hpke reads results as ArrayBuffer; noble returns fresh, exactly sized arrays, so no copy is needed. */
const toArrayBuffer = (u: Uint8Array): ArrayBuffer =>
  u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer
    ? u.buffer
    : (u.slice().buffer as ArrayBuffer)

/** @hpke's HKDF-SHA256 with RFC 5869 extract/expand computed by @noble/hashes (labels stay @hpke's). */
class NobleHkdfSha256 extends HkdfSha256 {
  override async extract(salt: Bytes, ikm: Bytes): Promise<ArrayBuffer> {
    return toArrayBuffer(extract(sha256, toU8(ikm), toU8(salt)))
  }
  override async expand(prk: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
    return toArrayBuffer(expand(sha256, toU8(prk), toU8(info), len))
  }
  override async extractAndExpand(salt: Bytes, ikm: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
    return toArrayBuffer(hkdf(sha256, toU8(ikm), toU8(salt), toU8(info), len))
  }
}

/** @hpke's X25519 DHKEM primitives with the scalar multiplications done by `ops`. */
class FastX25519 extends X25519 {
  constructor(kdf: KdfInterface, ops: X25519Operations) {
    super(kdf)
    const curve = this._curve
    this._curve = {
      ...curve,
      getPublicKey: sk => ops.publicKey(sk),
      getSharedSecret: (sk, pk) => ops.sharedSecret(sk, pk),
      utils: { ...curve.utils, randomSecretKey: async () => ops.randomSecretKey() },
    }
  }
}

/** suite_id of the KEM's labeled KDF calls: concat("KEM", I2OSP(kem_id = 0x0020, 2)), RFC 9180 §4.1. */
const KEM_SUITE_ID = /* @__PURE__ */ Uint8Array.of(0x4b, 0x45, 0x4d, 0x00, 0x20)

/** @hpke's DHKEM(X25519, HKDF-SHA256) with the faster X25519 and HKDF above. */
class FastDhkemX25519HkdfSha256 extends DhkemX25519HkdfSha256 {
  constructor(ops: X25519Operations) {
    super()
    const kdf = new NobleHkdfSha256()
    kdf.init(KEM_SUITE_ID)
    this._kdf = kdf
    this._prim = new FastX25519(kdf, ops)
  }
}

/** AEADs the suite can be built with: ChaCha20-Poly1305 for envelopes; AES-128-GCM only to run RFC 9180 A.1.1. */
export type HpkeAead = 'chacha20poly1305' | 'aes128gcm'

const suites = new Map<string, CipherSuite>()

/**
 * Internal: the envelope suite on a resolved backend. `undefined` (portable) gives the stock @hpke composition:
 * @hpke/dhkem-x25519's KEM (pure JS), @hpke/core's HkdfSha256 (WebCrypto), @hpke/chacha20poly1305.
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @param aead - The AEAD (ChaCha20-Poly1305 unless running RFC 9180 A.1.1).
 * @returns The cached CipherSuite.
 */
export function hpkeSuite(node: NodeCryptoModule | undefined, aead: HpkeAead = 'chacha20poly1305'): CipherSuite {
  const id = `${node === undefined ? 'portable' : 'native'}/${aead}`
  let suite = suites.get(id)
  if (suite === undefined) {
    suite = new CipherSuite({
      kem: node === undefined ? new DhkemX25519HkdfSha256() : new FastDhkemX25519HkdfSha256(x25519On(node)),
      kdf: node === undefined ? new HkdfSha256() : new NobleHkdfSha256(),
      aead: aead === 'aes128gcm' ? new Aes128Gcm() : new Chacha20Poly1305(),
    })
    suites.set(id, suite)
  }
  return suite
}

/** Inputs of {@link hpkeSeal}. */
export interface HpkeSealInput {
  recipientPublicKey: Uint8Array
  plaintext: Uint8Array
  info: Uint8Array
  aad: Uint8Array
  /** Tests only: the ephemeral key's ikm (RFC 9180 DeriveKeyPair), for known-answer tests. Never in production. */
  ikmE?: Uint8Array
}

/**
 * Internal: HPKE base-mode single-shot seal (RFC 9180 §6.1).
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @param input - Recipient public key, plaintext, info, aad (and, in tests only, a fixed ephemeral ikm).
 * @param aead - The AEAD.
 * @returns `enc` (32 bytes) and `ct` (plaintext + 16-byte tag).
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (argument `recipientPublicKey`) when the key is unusable, e.g. a
 * low-order point whose DH output is zero.
 */
export async function hpkeSeal(
  node: NodeCryptoModule | undefined,
  input: HpkeSealInput,
  aead: HpkeAead = 'chacha20poly1305',
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  const suite = hpkeSuite(node, aead)
  const unusable = (got: string, cause: unknown) =>
    new DatapactError('INVALID_INPUT', `"recipientPublicKey" must be an X25519 public key, got ${got}`, {
      details: { argument: 'recipientPublicKey', expected: 'an X25519 public key', got },
      cause,
    })
  let pk: Awaited<ReturnType<typeof suite.kem.deserializePublicKey>>
  try {
    pk = await suite.kem.deserializePublicKey(input.recipientPublicKey)
  } catch (e) {
    throw unusable('unusable key', e)
  }
  try {
    const { enc, ct } = await suite.seal(
      {
        recipientPublicKey: pk,
        info: input.info,
        ...(input.ikmE === undefined ? {} : { ekm: input.ikmE }),
      },
      input.plaintext,
      input.aad,
    )
    return { enc: new Uint8Array(enc), ct: new Uint8Array(ct) }
  } catch (e) {
    // The only input-dependent failure: an all-zero DH output, i.e. a low-order point.
    throw unusable('low-order point', e)
  }
}

/** Inputs of {@link hpkeOpen}. */
export interface HpkeOpenInput {
  recipientSecretKey: Uint8Array
  enc: Uint8Array
  ct: Uint8Array
  info: Uint8Array
  aad: Uint8Array
}

/**
 * Internal: HPKE base-mode single-shot open (RFC 9180 §6.1).
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @param input - Recipient secret key, enc, ciphertext, info, aad.
 * @param aead - The AEAD.
 * @returns The plaintext.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY when anything does not match (key, enc, ct, info, aad) or `enc` is a
 * low-order point.
 */
export async function hpkeOpen(
  node: NodeCryptoModule | undefined,
  input: HpkeOpenInput,
  aead: HpkeAead = 'chacha20poly1305',
): Promise<Uint8Array> {
  const suite = hpkeSuite(node, aead)
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(input.recipientSecretKey)
    return new Uint8Array(await suite.open({ recipientKey, enc: input.enc, info: input.info }, input.ct, input.aad))
  } catch (e) {
    throw new DatapactError('INTEGRITY', 'HPKE open failed: wrong key, or the sealed data, info or aad differ', {
      cause: e,
    })
  }
}

/** HPKE identifiers of the suite (RFC 9180 §7): KEM 0x0020, KDF 0x0001, AEAD 0x0003. */
export const HPKE_SUITE_IDS = { kem: 0x0020, kdf: 0x0001, aead: 0x0003 } as const
