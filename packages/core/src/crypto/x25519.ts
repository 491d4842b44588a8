import { x25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { assertBytes } from '../internal/assert.js'

import { backendOption, type CryptoBackend, type NodeCryptoModule, x25519PrivateKey } from './native.js'

/** X25519 (RFC 7748) key and shared-secret length. */
export const X25519_KEY_LENGTH = 32

/** Raw X25519 operations on one backend. Inputs are 32-byte arrays; outputs are fresh 32-byte arrays. */
export interface X25519Operations {
  /** Public key X25519(sk, 9). */
  publicKey(secretKey: Uint8Array): Uint8Array
  /**
   * X25519(sk, pk).
   *
   * @throws Error when the result is all zeros (a low-order public key), as RFC 9180 §7.1.4 requires.
   */
  sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  /** 32 random bytes from the CSPRNG. */
  randomSecretKey(): Uint8Array
}

const portable: X25519Operations = {
  publicKey: sk => x25519.getPublicKey(sk),
  sharedSecret: (sk, pk) => x25519.getSharedSecret(sk, pk),
  randomSecretKey: () => randomBytes(X25519_KEY_LENGTH),
}

const copy32 = (buf: Uint8Array): Uint8Array => {
  // A fresh, exactly sized array: @hpke serializes keys through `.buffer`, and a Buffer may be a view into a pool.
  if (buf.length !== X25519_KEY_LENGTH) throw new Error(`X25519 returned ${buf.length} bytes`)
  const out = new Uint8Array(X25519_KEY_LENGTH)
  out.set(buf)
  return out
}

function nativeOperations(node: NodeCryptoModule): X25519Operations {
  const b64url = (bytes: Uint8Array) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
  // A new key pair uses its secret twice (made, then its public key): keys made by randomSecretKey() are imported
  // once, when made. Only those: a caller's array may be refilled with another key later, so it is imported on every
  // use. Keyed by the array object, so an entry lives exactly as long as that array.
  const generated = new WeakMap<Uint8Array, ReturnType<NodeCryptoModule['createPrivateKey']>>()
  const importPrivate = (sk: Uint8Array) => x25519PrivateKey(node, sk)
  const privateKeyObject = (sk: Uint8Array) => generated.get(sk) ?? importPrivate(sk)
  const publicKeyObject = (pk: Uint8Array) =>
    node.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(pk) }, format: 'jwk' })
  return {
    publicKey(sk) {
      const { x } = node.createPublicKey(privateKeyObject(sk)).export({ format: 'jwk' })
      return copy32(Buffer.from(x ?? '', 'base64url'))
    },
    // OpenSSL refuses an all-zero X25519 output ("failed during derivation"), like noble.
    sharedSecret: (sk, pk) =>
      copy32(node.diffieHellman({ privateKey: privateKeyObject(sk), publicKey: publicKeyObject(pk) })),
    randomSecretKey: () => {
      const sk = copy32(node.randomBytes(X25519_KEY_LENGTH))
      generated.set(sk, importPrivate(sk))
      return sk
    },
  }
}

let nativeCache: { node: NodeCryptoModule; ops: X25519Operations } | undefined

/**
 * Internal: X25519 on a resolved backend.
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one (@noble/curves).
 * @returns The operations.
 */
export function x25519On(node: NodeCryptoModule | undefined): X25519Operations {
  if (node === undefined) return portable
  if (nativeCache?.node !== node) nativeCache = { node, ops: nativeOperations(node) }
  return nativeCache.ops
}

/** A raw X25519 key pair, as used for key envelopes (HPKE recipients). */
export interface EnvelopeKeyPair {
  /** 32 bytes; publish it (members register it on the ledger). */
  publicKey: Uint8Array
  /** 32 bytes; keep it secret (see the keystore). */
  secretKey: Uint8Array
}

/** Options of the envelope key helpers. */
export interface EnvelopeKeyOptions {
  /** `native` or `portable`; default native when available. Same keys either way. */
  backend?: CryptoBackend
}

/**
 * Generates a random X25519 envelope key pair (raw 32-byte keys, RFC 7748), the key HPKE wraps data keys to.
 *
 * @param opts - Backend choice.
 * @returns The key pair.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the backend is unknown.
 * @example
 * ```ts
 * const { publicKey, secretKey } = generateEnvelopeKeyPair()
 * ```
 */
export function generateEnvelopeKeyPair(opts?: EnvelopeKeyOptions): EnvelopeKeyPair {
  const ops = x25519On(backendOption(opts))
  const secretKey = ops.randomSecretKey()
  return { publicKey: ops.publicKey(secretKey), secretKey }
}

/**
 * The X25519 public key of an envelope secret key.
 *
 * @param secretKey - 32 bytes.
 * @param opts - Backend choice.
 * @returns 32 bytes.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `secretKey` is not 32 bytes or the backend is unknown.
 */
export function envelopePublicKey(secretKey: Uint8Array, opts?: EnvelopeKeyOptions): Uint8Array {
  assertBytes(secretKey, 'secretKey', X25519_KEY_LENGTH)
  return x25519On(backendOption(opts)).publicKey(secretKey)
}
