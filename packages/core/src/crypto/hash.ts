import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { DatapactError } from '../errors.js'
import { assertBytes } from '../internal/assert.js'
import { backendOption, type CryptoBackend, type NodeCryptoModule, toPlainBytes } from './native.js'

/** Options shared by the hashing functions. */
export interface HashOptions {
  /** `native` (node:crypto) or `portable` (@noble/hashes). Default: native when available. Same bytes either way. */
  backend?: CryptoBackend
}

/** An incremental SHA-256: feed bytes with `update`, read the 32-byte digest once with `digest`. */
export interface Sha256Hasher {
  /**
   * Absorbs more bytes. The bytes are read immediately and not kept.
   *
   * @param bytes - Next piece of the message.
   * @returns The same hasher, for chaining.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `bytes` is not a Uint8Array; CONFLICT after `digest()`.
   */
  update(bytes: Uint8Array): Sha256Hasher
  /**
   * Finishes the hash.
   *
   * @returns The 32-byte digest.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} CONFLICT when called twice.
   */
  digest(): Uint8Array
}

const finished = () => new DatapactError('CONFLICT', 'this SHA-256 hasher has already produced its digest')

/**
 * SHA-256 of `bytes` (FIPS 180-4).
 *
 * @param bytes - The message.
 * @param opts - Backend choice.
 * @returns The 32-byte digest, a plain Uint8Array.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `bytes` is not a Uint8Array or the backend is unknown.
 * @example
 * ```ts
 * const digest = sha256(new TextEncoder().encode('abc'))
 * ```
 */
export function sha256(bytes: Uint8Array, opts?: HashOptions): Uint8Array {
  assertBytes(bytes, 'bytes')
  const node = backendOption(opts)
  if (node === undefined) return nobleSha256(bytes)
  return toPlainBytes(node.createHash('sha256').update(bytes).digest())
}

/**
 * Starts an incremental SHA-256, for messages that arrive in pieces.
 *
 * @param opts - Backend choice.
 * @returns A fresh {@link Sha256Hasher}.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the backend is unknown.
 * @example
 * ```ts
 * const h = createSha256()
 * for await (const piece of source) h.update(piece)
 * const digest = h.digest()
 * ```
 */
export function createSha256(opts?: HashOptions): Sha256Hasher {
  const node = backendOption(opts)
  // Both backends behind one guard: same argument checks, same single-use rule, plain Uint8Array out.
  const inner =
    node === undefined
      ? nobleSha256.create()
      : (() => {
          const h = node.createHash('sha256')
          return { update: (b: Uint8Array) => h.update(b), digest: () => toPlainBytes(h.digest()) }
        })()
  let done = false
  const hasher: Sha256Hasher = {
    update(bytes) {
      assertBytes(bytes, 'bytes')
      if (done) throw finished()
      inner.update(bytes)
      return hasher
    },
    digest() {
      if (done) throw finished()
      done = true
      return inner.digest()
    },
  }
  return hasher
}

/**
 * Internal fast path: an unchecked incremental SHA-256 on a resolved backend (callers have validated their inputs).
 * `digest` returns a plain Uint8Array.
 */
export interface RawSha256 {
  update(bytes: Uint8Array): void
  digest(): Uint8Array
}

/**
 * Creates an unchecked hasher on a resolved backend (see `resolveBackend`).
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @returns The hasher.
 */
export function rawSha256(node: NodeCryptoModule | undefined): RawSha256 {
  if (node === undefined) return nobleSha256.create()
  const h = node.createHash('sha256')
  return {
    update: bytes => {
      h.update(bytes)
    },
    digest: () => toPlainBytes(h.digest()),
  }
}
