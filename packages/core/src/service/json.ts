import { DatapactError } from '../errors.js'
import { bytesToHex, hexToBytes } from '../internal/bytes.js'

const BIGINT = '$bigint'
const BYTES = '$bytes'

/**
 * A `JSON.stringify` replacer for Datapact's domain objects: a `bigint` becomes `{"$bigint":"123"}` and a
 * `Uint8Array` (a `Buffer` too) `{"$bytes":"<lowercase hex>"}`. {@link jsonReviver} turns them back, so
 * `JSON.parse(JSON.stringify(x, jsonReplacer), jsonReviver)` equals `x`.
 *
 * @param key - The property name (given by `JSON.stringify`).
 * @param value - The value after `toJSON`.
 * @returns The JSON-safe value.
 * @example
 * ```ts
 * res.end(JSON.stringify(await client.billing.statement({ provider }), jsonReplacer))
 * ```
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  // The holder's own value, before `toJSON` (Buffer.toJSON would hide that it is bytes).
  const raw = typeof this === 'object' && this !== null ? (this as Record<string, unknown>)[key] : value
  if (typeof raw === 'bigint') return { [BIGINT]: raw.toString() }
  if (raw instanceof Uint8Array) return { [BYTES]: bytesToHex(raw) }
  return value
}

/**
 * A `JSON.parse` reviver, the inverse of {@link jsonReplacer}: an object with the single key `$bigint` (a decimal
 * integer string) becomes a `bigint`, one with the single key `$bytes` (lowercase hex of even length) a `Uint8Array`.
 * Anything else is kept as parsed.
 *
 * @param _key - The property name (given by `JSON.parse`).
 * @param value - The parsed value.
 * @returns The revived value.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on a `$bigint` or `$bytes` tag whose value is malformed.
 */
export function jsonReviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const keys = Object.keys(value)
  if (keys.length !== 1) return value
  const tag = keys[0]!
  const inner = (value as Record<string, unknown>)[tag]
  if (tag === BIGINT) {
    if (typeof inner !== 'string' || !/^-?(0|[1-9][0-9]*)$/.test(inner)) throw malformedTag(BIGINT, 'a decimal integer')
    return BigInt(inner)
  }
  if (tag === BYTES) {
    if (typeof inner !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(inner)) throw malformedTag(BYTES, 'lowercase hex')
    return hexToBytes(inner)
  }
  return value
}

const malformedTag = (tag: string, expected: string) =>
  new DatapactError('INVALID_INPUT', `a "${tag}" value in the JSON must be ${expected}`, {
    details: { argument: tag, expected, got: 'another value' },
  })
