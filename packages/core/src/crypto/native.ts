import type * as NodeCrypto from 'node:crypto'
import { assertRecord, describe, invalidArgument } from '../internal/assert.js'

/**
 * Which implementation runs a primitive. Both produce the same bytes; `native` uses `node:crypto` (OpenSSL) and is
 * the default where available, `portable` uses the pure-JS `@noble/*` / `@hpke/*` code that runs in any runtime.
 */
export type CryptoBackend = 'native' | 'portable'

/** The `node:crypto` module, as seen by the native backend. */
export type NodeCryptoModule = typeof NodeCrypto

let cached: NodeCryptoModule | null | undefined

/**
 * Loads `node:crypto` without a static import, so core stays loadable in browsers and workers. Needs
 * `process.getBuiltinModule` (Node >= 20.16); elsewhere the callers fall back to `@noble/*`.
 *
 * @returns The module (cached), or `undefined` when it is missing or lacks ChaCha20-Poly1305.
 */
export function nodeCrypto(): NodeCryptoModule | undefined {
  if (cached === undefined) {
    let mod: NodeCryptoModule | undefined
    try {
      mod = globalThis.process?.getBuiltinModule?.('node:crypto')
    } catch {
      mod = undefined
    }
    cached = mod?.getCiphers().includes('chacha20-poly1305') ? mod : null
  }
  return cached ?? undefined
}

/**
 * Whether the native backend (node:crypto) can run in this runtime.
 *
 * @returns True on Node >= 20.16 with an OpenSSL that has ChaCha20-Poly1305.
 */
export const nativeAvailable = (): boolean => nodeCrypto() !== undefined

/**
 * Resolves a caller's backend choice: `undefined` means native when available, else portable.
 *
 * @param value - The caller's `backend` option.
 * @param argument - Name of the option, for the error.
 * @returns The node:crypto module for the native backend, or `undefined` for the portable one.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the value is not a backend name, or `native` is asked for where
 * node:crypto is missing.
 */
export function resolveBackend(value: unknown, argument = 'backend'): NodeCryptoModule | undefined {
  if (value === undefined) return nodeCrypto()
  if (value === 'portable') return undefined
  if (value === 'native') {
    const mod = nodeCrypto()
    if (mod === undefined) throw invalidArgument(argument, "'portable' (node:crypto is not available here)", "'native'")
    return mod
  }
  throw invalidArgument(argument, "'native' or 'portable'", describe(value))
}

/**
 * A plain `Uint8Array` with a Node `Buffer`'s bytes: a view when the buffer owns its whole memory, else a copy (so a
 * pooled buffer never exposes its pool through `.buffer`).
 *
 * @param buf - The buffer.
 * @returns A plain Uint8Array.
 */
export function toPlainBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return new Uint8Array(buf.buffer)
  const out = new Uint8Array(buf.byteLength)
  out.set(buf)
  return out
}

/**
 * Resolves the `backend` field of an optional options object.
 *
 * @param opts - The caller's options, or undefined.
 * @returns As {@link resolveBackend}.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `opts` is not an object or the backend is not usable.
 */
export function backendOption(opts: unknown): NodeCryptoModule | undefined {
  if (opts === undefined) return nodeCrypto()
  assertRecord(opts, 'options')
  return resolveBackend(opts.backend, 'options.backend')
}

/** PKCS#8 PrivateKeyInfo for an X25519 key (RFC 8410), before the 32 key bytes. */
const PKCS8_X25519 = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
)

const base64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

/** Whether this Node imports an X25519 private JWK from `d` alone (20 and 22 do; 24 also wants `x`). */
let jwkFromSecretAlone: boolean | undefined

/**
 * Imports a raw 32-byte X25519 secret key as a KeyObject. Node 20 has no raw import for X25519 private keys, and
 * PKCS#8 import goes through OpenSSL 3's decoders (about 6x slower, the bottleneck of a key wrap); where Node builds
 * a private OKP JWK from `d` alone (EVP_PKEY_new_raw_private_key, deriving the public key), that path is taken.
 * Which one this Node supports is probed once, with a fixed key.
 *
 * @param node - node:crypto.
 * @param secretKey - 32 bytes.
 * @returns The private KeyObject.
 */
export function x25519PrivateKey(node: NodeCryptoModule, secretKey: Uint8Array): NodeCrypto.KeyObject {
  if (jwkFromSecretAlone === undefined) {
    try {
      importJwk(node, new Uint8Array(32).fill(1))
      jwkFromSecretAlone = true
    } catch {
      jwkFromSecretAlone = false
    }
  }
  return jwkFromSecretAlone ? importJwk(node, secretKey) : x25519PrivateKeyFromPkcs8(node, secretKey)
}

const importJwk = (node: NodeCryptoModule, secretKey: Uint8Array) =>
  node.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: base64url(secretKey), x: '' }, format: 'jwk' })

/**
 * Imports a raw X25519 secret key through its PKCS#8 encoding: the path every Node version takes (and the one
 * {@link x25519PrivateKey} falls back to).
 *
 * @param node - node:crypto.
 * @param secretKey - 32 bytes.
 * @returns The private KeyObject.
 */
export function x25519PrivateKeyFromPkcs8(node: NodeCryptoModule, secretKey: Uint8Array): NodeCrypto.KeyObject {
  const der = Buffer.alloc(PKCS8_X25519.length + secretKey.length)
  der.set(PKCS8_X25519, 0)
  der.set(secretKey, PKCS8_X25519.length)
  try {
    return node.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } finally {
    der.fill(0)
  }
}
