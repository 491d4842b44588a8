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
