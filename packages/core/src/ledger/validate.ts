import type { LedgerEventRecord } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { describe, invalidArgument } from '../internal/assert.js'

/** Most events one `readEvents` call may ask for, on every adapter. */
export const MAX_READ_LIMIT = 100_000

/** The options of `readEvents` once checked: `after` null for "from the start". */
export interface CheckedReadOptions {
  after: string | null
  limit: number
}

/** The arguments of `subscribe` once checked. */
export interface CheckedSubscription {
  /** The listener, checked to be a function. */
  listener: (event: LedgerEventRecord) => void
  /** Undefined: live events only; null: from the first event; a cursor: after it. */
  after: string | null | undefined
  /** Never throws; called with the failures of the subscription. */
  onError: (error: DatapactError) => void
}

const CURSOR = /^[\x21-\x7e]{1,128}$/

/** Reads the own property `key` of a plain options object, once; INVALID_INPUT if the read throws. */
function field(options: object, key: string, argument: string): unknown {
  try {
    return Object.hasOwn(options, key) ? (options as Record<string, unknown>)[key] : undefined
  } catch {
    throw invalidArgument(argument, 'a readable value', 'a value that throws when read')
  }
}

function plainOptions(options: unknown, argument: string, allowed: readonly string[]): object {
  let keys: Array<string | symbol>
  try {
    const proto = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined
    if (
      typeof options !== 'object' ||
      options === null ||
      Array.isArray(options) ||
      (proto !== Object.prototype && proto !== null)
    )
      throw invalidArgument(argument, 'an options object', describe(options))
    keys = Reflect.ownKeys(options)
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument(argument, 'an options object', 'a value that throws when read')
  }
  for (const k of keys)
    if (typeof k !== 'string' || !allowed.includes(k))
      throw invalidArgument(
        typeof k === 'string' ? `${argument}.${k}` : argument,
        `one of ${allowed.join(', ')}`,
        'an unknown field',
      )
  return options as object
}

function checkAfter(after: unknown, argument: string): string | null | undefined {
  if (after === undefined || after === null) return after
  if (typeof after !== 'string' || !CURSOR.test(after))
    throw invalidArgument(argument, 'a cursor returned by readEvents, or null', describe(after))
  return after
}

/**
 * Checks the options of {@link LedgerAdapter.readEvents} the same way on every adapter: an options object (or
 * nothing) with `after` a cursor string or null, and `limit` an integer in 1..{@link MAX_READ_LIMIT}. The adapter
 * then checks the cursor's own format.
 *
 * @param options - What the caller passed.
 * @param defaultLimit - The adapter's page size when `limit` is absent.
 * @returns The checked options.
 * @throws {@link DatapactError} INVALID_INPUT naming the field.
 */
export function checkReadEventsOptions(options: unknown, defaultLimit = 10_000): CheckedReadOptions {
  if (options === undefined) return { after: null, limit: defaultLimit }
  const o = plainOptions(options, 'options', ['after', 'limit'])
  const after = checkAfter(field(o, 'after', 'options.after'), 'options.after') ?? null
  const limit = field(o, 'limit', 'options.limit')
  if (limit === undefined) return { after, limit: defaultLimit }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT)
    throw invalidArgument('options.limit', `an integer in 1..${MAX_READ_LIMIT}`, describe(limit))
  return { after, limit }
}

/**
 * Checks the arguments of {@link LedgerAdapter.subscribe} the same way on every adapter: `listener` a function,
 * `options` an object (or nothing) with `after` a cursor, null or absent, and `onError` a function or absent.
 *
 * @throws {@link DatapactError} INVALID_INPUT naming the argument.
 */
export function checkSubscription(listener: unknown, options: unknown): CheckedSubscription {
  const o = options === undefined ? {} : plainOptions(options, 'options', ['after', 'onError'])
  const onError = field(o, 'onError', 'options.onError')
  if (onError !== undefined && typeof onError !== 'function')
    throw invalidArgument('options.onError', 'a function', describe(onError))
  const after = checkAfter(field(o, 'after', 'options.after'), 'options.after')
  if (typeof listener !== 'function') throw invalidArgument('listener', 'a function', describe(listener))
  const report = onError as ((e: DatapactError) => void) | undefined
  const l = listener as (event: LedgerEventRecord) => void
  return {
    listener: event => {
      try {
        l(event)
      } catch {
        // A listener's failure is its own business: it must not stop the feed nor reach the ledger.
      }
    },
    after,
    onError: error => {
      try {
        report?.(error)
      } catch {
        // Same for the error callback.
      }
    },
  }
}

/**
 * Runs `subscribe` for an adapter without ever throwing: the arguments are checked with {@link checkSubscription}
 * and `start` is called with them; a failure (bad arguments, a closed connection, anything `start` throws) is
 * delivered to `options.onError` on a later microtask (when it is a function) and the returned function does
 * nothing. So `subscribe` itself never throws, and nothing it starts throws where the caller cannot catch it.
 *
 * @param listener - What the caller passed as the listener.
 * @param options - What the caller passed as the options.
 * @param start - Starts the subscription; returns its stop function.
 * @returns The unsubscribe function.
 */
export function subscribeSafely(
  listener: unknown,
  options: unknown,
  start: (subscription: CheckedSubscription) => () => void,
): () => void {
  let checked: CheckedSubscription | undefined
  try {
    checked = checkSubscription(listener, options)
    const stop = start(checked)
    let stopped = false
    return () => {
      if (stopped) return
      stopped = true
      try {
        stop()
      } catch {
        // Stopping is best effort and must not throw at the caller.
      }
    }
  } catch (e) {
    const error =
      e instanceof DatapactError ? e : new DatapactError('INTERNAL', 'the subscription could not start', { cause: e })
    const report = checked?.onError ?? errorCallbackOf(options)
    queueMicrotask(() => report(error))
    return () => undefined
  }
}

/** The `onError` of options that failed their check, if it can be read without harm. */
function errorCallbackOf(options: unknown): (error: DatapactError) => void {
  let f: unknown
  try {
    f = typeof options === 'object' && options !== null ? (options as { onError?: unknown }).onError : undefined
  } catch {
    f = undefined
  }
  return error => {
    try {
      if (typeof f === 'function') f(error)
    } catch {
      // Ignored: an error callback's own failure goes nowhere.
    }
  }
}
