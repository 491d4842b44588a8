import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { Aes128Gcm, CipherSuite, HkdfSha256 } from '@hpke/core'
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { DatapactError } from '../errors.js'
import { NativeKemError, nativeHpke } from './hpkeNative.js'
import type { NodeCryptoModule } from './native.js'

/**
 * HPKE (RFC 9180) base mode for key envelopes: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
 *
 * - portable backend: the stock @hpke suite (@hpke/core, @hpke/dhkem-x25519, @hpke/chacha20poly1305);
 * - native backend: the same single-shot seal and open composed from node:crypto primitives (`hpkeNative.ts`):
 *   X25519 KeyObjects, HMAC-SHA256 for HKDF, the AEAD cipher.
 *
 * The RFC 9180 known-answer tests run on both backends, and a property test checks that both give the same bytes
 * (same keys, same ephemeral) and that each opens what the other sealed.
 */

/** AEADs the suite can be built with: ChaCha20-Poly1305 for envelopes; AES-128-GCM only to run RFC 9180 A.1.1. */
export type HpkeAead = 'chacha20poly1305' | 'aes128gcm'

const suites = new Map<HpkeAead, CipherSuite>()

/**
 * Internal: the stock @hpke suite (the portable backend, and the reference the native one is tested against).
 *
 * @param aead - The AEAD (ChaCha20-Poly1305 unless running RFC 9180 A.1.1).
 * @returns The cached CipherSuite.
 */
export function hpkeSuite(aead: HpkeAead = 'chacha20poly1305'): CipherSuite {
  let suite = suites.get(aead)
  if (suite === undefined) {
    suite = new CipherSuite({
      kem: new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: aead === 'aes128gcm' ? new Aes128Gcm() : new Chacha20Poly1305(),
    })
    suites.set(aead, suite)
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
  const unusable = (got: string, cause: unknown) =>
    new DatapactError('INVALID_INPUT', `"recipientPublicKey" must be an X25519 public key, got ${got}`, {
      details: { argument: 'recipientPublicKey', expected: 'an X25519 public key', got },
      cause,
    })
  if (node !== undefined) {
    try {
      return nativeHpke(node, aead).seal(input.recipientPublicKey, input.plaintext, input.info, input.aad, input.ikmE)
    } catch (e) {
      if (e instanceof NativeKemError) throw unusable(e.reason, e.cause)
      throw e
    }
  }
  const suite = hpkeSuite(aead)
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
  try {
    if (node !== undefined)
      return nativeHpke(node, aead).open(input.recipientSecretKey, input.enc, input.ct, input.info, input.aad)
    const suite = hpkeSuite(aead)
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
