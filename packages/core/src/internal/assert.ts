import { DatapactError } from '../errors.js'

/** Builds the INVALID_INPUT error every public entry point throws; names the argument, never its bytes. */
export const invalidArgument = (argument: string, expected: string, got: string): DatapactError =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}, got ${got}`, {
    details: { argument, expected, got },
  })

// A lone UTF-16 surrogate has no UTF-8 form: encoded, it would silently become U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A short, secret-free description of a value's shape for error messages. */
export function describe(value: unknown): string {
  try {
    return describeUnsafe(value)
  } catch {
    return typeof value
  }
}

function describeUnsafe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `array(${value.length})`
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (typeof value === 'string') return `string(${value.length})`
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value)
  return typeof value
}

export function assertBytes(value: unknown, argument: string, length?: number): asserts value is Uint8Array {
  if (!ArrayBuffer.isView(value) || !(value instanceof Uint8Array))
    throw invalidArgument(argument, length === undefined ? 'Uint8Array' : `Uint8Array(${length})`, describe(value))
  if (length !== undefined && value.length !== length)
    throw invalidArgument(argument, `${length} bytes`, `${value.length} bytes`)
}

export function assertNonEmptyBytes(value: unknown, argument: string): asserts value is Uint8Array {
  assertBytes(value, argument)
  if (value.length === 0) throw invalidArgument(argument, 'non-empty Uint8Array', 'Uint8Array(0)')
}

export function assertString(
  value: unknown,
  argument: string,
  maxLength = 1024,
  minLength = 0,
): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(argument, 'string', describe(value))
  if (LONE_SURROGATE.test(value)) throw invalidArgument(argument, 'well-formed text', 'a lone UTF-16 surrogate')
  if (value.length < minLength || value.length > maxLength)
    throw invalidArgument(argument, `string of ${minLength}..${maxLength} characters`, `string(${value.length})`)
}

export function assertInteger(value: unknown, argument: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidArgument(argument, `integer in ${min}..${max}`, describe(value))
  if (value < min || value > max) throw invalidArgument(argument, `integer in ${min}..${max}`, String(value))
}

/** Unsigned 128-bit ceiling for money amounts: large enough for any currency, small enough for every ledger. */
export const MAX_AMOUNT = (1n << 128n) - 1n

export function assertAmount(value: unknown, argument: string, max: bigint = MAX_AMOUNT): asserts value is bigint {
  if (typeof value !== 'bigint') throw invalidArgument(argument, 'bigint', describe(value))
  if (value < 0n || value > max)
    throw invalidArgument(argument, `bigint in 0..${max}`, value < 0n ? 'negative' : 'too large')
}

export function assertRecord(value: unknown, argument: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    throw invalidArgument(argument, 'object', describe(value))
}

export function assertOneOf<T extends string>(
  value: unknown,
  argument: string,
  options: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value))
    throw invalidArgument(argument, `one of ${options.join(', ')}`, describe(value))
}

/** Like {@link assertRecord} without narrowing: for typed parameter objects whose fields are checked one by one. */
export function checkObject(value: unknown, argument: string): void {
  assertRecord(value, argument)
}

/**
 * Reads a caller's options object safely, once: it must be a plain object (or, with `optional`, undefined), every
 * own key must be one of `allowed` (a symbol, an unknown or a prototype-named key like `toString` is INVALID_INPUT),
 * each field is read exactly once (a getter or Proxy trap that throws is INVALID_INPUT), and inherited properties
 * are never read. Returns a plain copy, so later changes by the caller cannot reach the operation.
 */
export function readOptions<K extends string>(
  value: unknown,
  argument: string,
  allowed: readonly K[],
): Partial<Record<K, unknown>> {
  if (value === undefined) return {}
  let proto: unknown
  let keys: Array<string | symbol>
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalidArgument(argument, 'an object', describe(value))
    proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) throw invalidArgument(argument, 'a plain object', describe(value))
    keys = Reflect.ownKeys(value)
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument(argument, 'an object', 'a value that throws when read')
  }
  const out: Partial<Record<K, unknown>> = {}
  for (const k of keys) {
    if (typeof k !== 'string' || !(allowed as readonly string[]).includes(k))
      throw invalidArgument(
        typeof k === 'string' ? `${argument}.${k}` : argument,
        `one of ${allowed.join(', ')}`,
        typeof k === 'string' ? 'an unknown field' : 'a symbol key',
      )
    let v: unknown
    try {
      v = (value as Record<string, unknown>)[k]
    } catch {
      throw invalidArgument(`${argument}.${k}`, 'a readable value', 'a value that throws when read')
    }
    if (v !== undefined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true })
  }
  return out
}

/** Like {@link readOptions}, but the object is required. */
export function readParams<K extends string>(
  value: unknown,
  argument: string,
  allowed: readonly K[],
): Partial<Record<K, unknown>> {
  if (value === undefined) throw invalidArgument(argument, 'an object', 'undefined')
  return readOptions(value, argument, allowed)
}

/** A function or undefined. */
export function assertOptionalFunction(
  value: unknown,
  argument: string,
): asserts value is undefined | ((...a: never[]) => unknown) {
  if (value !== undefined && typeof value !== 'function') throw invalidArgument(argument, 'a function', describe(value))
}

/** An AbortSignal (of this realm or another: checked by shape) or undefined. */
export function assertOptionalSignal(value: unknown, argument: string): asserts value is AbortSignal | undefined {
  if (value === undefined) return
  let ok = false
  try {
    const s = value as AbortSignal
    ok =
      typeof s === 'object' &&
      s !== null &&
      typeof s.aborted === 'boolean' &&
      typeof s.addEventListener === 'function' &&
      typeof s.removeEventListener === 'function'
  } catch {
    ok = false
  }
  if (!ok) throw invalidArgument(argument, 'an AbortSignal', describe(value))
}

/** Throws ABORTED, with the signal's reason as the cause, when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted)
    throw new DatapactError('ABORTED', `${what} was aborted`, { cause: signal.reason, details: { operation: what } })
}

/** Passes `items` through, checking `signal` before each one: the consumer stops at the first item after an abort. */
export async function* abortable<T>(
  items: AsyncIterable<T> | Iterable<T>,
  signal: AbortSignal | undefined,
  what: string,
): AsyncGenerator<T> {
  if (signal === undefined) return yield* items
  for await (const item of items) {
    throwIfAborted(signal, what)
    yield item
  }
  throwIfAborted(signal, what)
}

/** A boolean or undefined. */
export function assertOptionalBoolean(value: unknown, argument: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgument(argument, 'a boolean', describe(value))
}
