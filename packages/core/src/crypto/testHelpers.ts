/** Helpers for the crypto tests (not exported from the package). */
import { DatapactError } from '../errors.js'
import { bytesToHex, concatList, hexToBytes } from '../internal/bytes.js'
import { nativeAvailable } from './native.js'

export { bytesToHex as hex, hexToBytes as unhex }

/** Backends to run a test on: both where node:crypto exists. */
export const BACKENDS = (nativeAvailable() ? ['native', 'portable'] : ['portable']) as ('native' | 'portable')[]

/** Deterministic pseudo-random bytes (xorshift32), for reproducible inputs. */
export function pseudoRandom(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** Runs `make()` and drains the iterable it returns, keeping every piece and the error, if any. */
export async function drain(make: () => AsyncIterable<Uint8Array>): Promise<{ pieces: Uint8Array[]; error: unknown }> {
  const pieces: Uint8Array[] = []
  try {
    for await (const piece of make()) pieces.push(piece.slice())
    return { pieces, error: undefined }
  } catch (error) {
    return { pieces, error }
  }
}

/** The DatapactError code of a thrown value (or a description of what was thrown instead). */
export function codeOf(error: unknown): string {
  if (error instanceof DatapactError) return error.code
  return error === undefined ? 'no error' : `not a DatapactError: ${String(error)}`
}

/** Calls `fn` (sync or async) and returns the code of what it throws. */
export async function thrownCode(fn: () => unknown): Promise<string> {
  try {
    await fn()
    return 'no error'
  } catch (e) {
    return codeOf(e)
  }
}

/** Concatenates pieces. */
export const join = concatList

/** Splits `bytes` at the given cut points (sorted, deduplicated, clamped). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of points) {
    out.push(bytes.subarray(last, p))
    last = p
  }
  out.push(bytes.subarray(last))
  return out
}
