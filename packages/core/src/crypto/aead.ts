import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { DatapactError } from '../errors.js'
import { assertBytes } from '../internal/assert.js'
import type { NodeCryptoModule } from './native.js'
import { resolveBackend, toPlainBytes } from './native.js'

/** ChaCha20-Poly1305 (RFC 8439) key length. */
export const AEAD_KEY_LENGTH = 32
/** ChaCha20-Poly1305 (RFC 8439) nonce length. */
export const AEAD_NONCE_LENGTH = 12
/** ChaCha20-Poly1305 (RFC 8439) tag length. */
export const AEAD_TAG_LENGTH = 16

/**
 * A ChaCha20-Poly1305 (RFC 8439) instance bound to one key. Internal to the crypto module: the payload stream and
 * the keystore use it; it is not part of the package's public API.
 *
 * The caller owns nonce uniqueness: never seal two messages under one key with the same nonce.
 */
export interface ChaCha20Poly1305 {
  /** Which implementation runs this instance. */
  readonly backend: 'native' | 'portable'
  /**
   * Encrypts and authenticates.
   *
   * @param nonce - 12 bytes, unique per key.
   * @param plaintext - Bytes to encrypt (read, never modified).
   * @param aad - Associated data, authenticated but not encrypted.
   * @returns `ciphertext || tag`, plaintext.length + 16 bytes, a fresh plain Uint8Array.
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  /**
   * Verifies and decrypts. Nothing is returned unless the tag verifies.
   *
   * @param nonce - The nonce used to seal.
   * @param sealed - `ciphertext || tag` (at least 16 bytes).
   * @param aad - The associated data used to seal.
   * @returns The plaintext, a fresh plain Uint8Array.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INTEGRITY when the tag does not verify (wrong key, nonce, aad, or altered bytes)
   * or `sealed` is shorter than a tag.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array
}

const authFailed = (cause?: unknown) =>
  new DatapactError('INTEGRITY', 'authentication failed: the data was altered or the key does not match', {
    ...(cause === undefined ? {} : { cause }),
  })

/**
 * Creates a ChaCha20-Poly1305 instance for `key`.
 *
 * @param key - 32-byte key (copied; later changes to the caller's array have no effect).
 * @param backend - `native` (node:crypto 'chacha20-poly1305') or `portable` (@noble/ciphers); default native when
 * available. Both produce identical bytes.
 * @returns The bound instance.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on a wrong key length or unknown backend.
 */
export function createChaCha20Poly1305(key: Uint8Array, backend?: 'native' | 'portable'): ChaCha20Poly1305 {
  assertBytes(key, 'key', AEAD_KEY_LENGTH)
  const node = resolveBackend(backend)
  return node === undefined ? portableAead(key.slice()) : nativeAead(node, key)
}

/**
 * Internal: {@link createChaCha20Poly1305} on an already resolved backend, without argument checks.
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @param key - 32-byte key (copied).
 * @returns The bound instance.
 */
export function chacha20poly1305On(node: NodeCryptoModule | undefined, key: Uint8Array): ChaCha20Poly1305 {
  return node === undefined ? portableAead(key.slice()) : nativeAead(node, key)
}

function portableAead(key: Uint8Array): ChaCha20Poly1305 {
  return {
    backend: 'portable',
    seal: (nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
    open(nonce, sealed, aad) {
      if (sealed.length < AEAD_TAG_LENGTH) throw authFailed()
      try {
        return chacha20poly1305(key, nonce, aad).decrypt(sealed)
      } catch (e) {
        throw authFailed(e)
      }
    },
  }
}

function nativeAead(node: NodeCryptoModule, key: Uint8Array): ChaCha20Poly1305 {
  // One KeyObject per instance: createCipheriv then skips re-importing the raw key for every chunk.
  const keyObject = node.createSecretKey(key)
  const options = { authTagLength: AEAD_TAG_LENGTH } as const
  return {
    backend: 'native',
    seal(nonce, plaintext, aad) {
      const cipher = node.createCipheriv('chacha20-poly1305', keyObject, nonce, options)
      cipher.setAAD(aad, { plaintextLength: plaintext.length })
      const ct = cipher.update(plaintext)
      cipher.final()
      // Not zero-filled (every byte is written below) and not pooled: the array owns its whole buffer.
      const raw = Buffer.allocUnsafeSlow(plaintext.length + AEAD_TAG_LENGTH)
      const out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
      out.set(ct, 0)
      out.set(cipher.getAuthTag(), plaintext.length)
      return out
    },
    open(nonce, sealed, aad) {
      const n = sealed.length - AEAD_TAG_LENGTH
      if (n < 0) throw authFailed()
      const decipher = node.createDecipheriv('chacha20-poly1305', keyObject, nonce, options)
      decipher.setAAD(aad, { plaintextLength: n })
      decipher.setAuthTag(sealed.subarray(n))
      const pt = decipher.update(sealed.subarray(0, n))
      try {
        decipher.final()
      } catch (e) {
        pt.fill(0)
        throw authFailed(e)
      }
      return toPlainBytes(pt)
    },
  }
}
