import { type DatapactErrorCode, type ErrorDetails, isDatapactError, LedgerError } from '@datapact/core'
import type { ErrorDescription, Interface } from 'ethers'

/**
 * How each custom error of the Datapact contract maps onto core's error codes. Every error the contract can revert
 * with is listed; anything else (a panic, a bare revert, a revert string) is INTERNAL.
 */
export const REVERT_CODES = {
  InvalidInput: 'INVALID_INPUT',
  InvalidKeyWrap: 'INVALID_INPUT',
  InvalidUsageBytes: 'INVALID_INPUT',
  DatasetNotFound: 'NOT_FOUND',
  VersionNotFound: 'NOT_FOUND',
  GrantNotFound: 'NOT_FOUND',
  MemberNotFound: 'NOT_FOUND',
  AccessDenied: 'ACCESS_DENIED',
  UsageDenied: 'ACCESS_DENIED',
  GrantExpired: 'GRANT_EXPIRED',
  GrantRevoked: 'GRANT_REVOKED',
  QuotaExceeded: 'QUOTA_EXCEEDED',
  Conflict: 'CONFLICT',
  OutOfSequence: 'CONFLICT',
  NonceReused: 'NONCE_REUSED',
  AmountMismatch: 'AMOUNT_MISMATCH',
  SettlementMismatch: 'SETTLEMENT_MISMATCH',
} as const satisfies Record<string, DatapactErrorCode>

/** Name of a custom error of the Datapact contract. */
export type RevertName = keyof typeof REVERT_CODES

const MESSAGES: Record<RevertName, string> = {
  InvalidInput: 'the ledger refused an argument',
  InvalidKeyWrap: 'the key wraps are not exactly the entitled set (duplicate, not entitled or missing)',
  InvalidUsageBytes: "a usage record's bytes differ from the version's size",
  DatasetNotFound: 'the dataset does not exist',
  VersionNotFound: 'the version does not exist',
  GrantNotFound: 'there is no such grant',
  MemberNotFound: 'the member is not an active member',
  AccessDenied: 'the caller may not do this',
  UsageDenied: 'no grant on the dataset covers this version for the caller',
  GrantExpired: 'the grant expired',
  GrantRevoked: 'the grant was revoked',
  QuotaExceeded: 'every access the grant allows is used',
  Conflict: 'the ledger state does not allow this now',
  OutOfSequence: 'the sequence number is not the next one',
  NonceReused: 'the nonce was already used',
  AmountMismatch: 'the amount differs from what the terms give',
  SettlementMismatch: 'the statement totals differ from the ledger totals',
}

/** Network-level failures: the node cannot be reached or did not answer in time. */
const UNAVAILABLE_CODES = new Set(['NETWORK_ERROR', 'TIMEOUT', 'SERVER_ERROR', 'CANCELLED'])
/** The node refuses a call for its size: more gas than a block holds, or a request body over its limit. */
const TOO_LARGE_TEXT =
  /exceeds block gas limit|gas required exceeds|intrinsic gas too|oversized data|transaction size|too large|request entity|\b413\b/i
const UNAVAILABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|other side closed|provider destroyed/i

/** Converts a decoded argument into a detail value: ids as lowercase hex without 0x, big numbers as strings. */
function detailValue(type: string, value: unknown): string | number | boolean {
  if (type === 'bytes32') return String(value).slice(2).toLowerCase()
  if (type === 'address') return String(value).toLowerCase()
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  if (typeof value === 'boolean' || typeof value === 'number') return value
  return String(value)
}

/**
 * Maps a decoded revert of the Datapact contract to a {@link LedgerError} with the code from {@link REVERT_CODES}
 * and the error's arguments as details.
 *
 * @param decoded - The error as decoded by the contract interface.
 * @param cause - The original error.
 * @param transactionId - Hash of the reverted transaction, when one was mined.
 * @returns The mapped error; INTERNAL for errors outside the table.
 */
export function revertToError(decoded: ErrorDescription, cause: unknown, transactionId?: string): LedgerError {
  const name = decoded.name as RevertName
  const code: DatapactErrorCode = Object.hasOwn(REVERT_CODES, name) ? REVERT_CODES[name] : 'INTERNAL'
  const details: Record<string, string | number | boolean> = { revert: decoded.name }
  decoded.fragment.inputs.forEach((input, i) => {
    details[input.name] = detailValue(input.type, decoded.args[i])
  })
  const message = Object.hasOwn(MESSAGES, name)
    ? `${MESSAGES[name]} (${decoded.signature})`
    : `the contract reverted with ${decoded.signature}`
  return new LedgerError(code, message, {
    ledger: 'evm',
    details,
    cause,
    ...(transactionId === undefined ? {} : { transactionId }),
  })
}

/** Finds revert data (0x-prefixed hex) anywhere in an ethers or JSON-RPC error. */
export function revertData(e: unknown, depth = 0): string | undefined {
  if (depth > 6 || e === null || typeof e !== 'object') return undefined
  const o = e as Record<string, unknown>
  if (typeof o.data === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(o.data) && o.data.length >= 10) return o.data
  for (const key of ['error', 'info', 'cause', 'data']) {
    const found = revertData(o[key], depth + 1)
    if (found) return found
  }
  return undefined
}

/** Whether an error (or one it wraps) has a message matching `pattern`. */
function mentions(e: unknown, pattern: RegExp, depth = 0): boolean {
  if (depth > 6 || e === null || typeof e !== 'object') return false
  const o = e as Record<string, unknown>
  if (typeof o.message === 'string' && pattern.test(o.message)) return true
  return ['error', 'info', 'cause'].some(k => mentions(o[k], pattern, depth + 1))
}

/** Whether an error means the node could not be reached (or answered too late). */
export function isUnavailable(e: unknown, depth = 0): boolean {
  if (depth > 6 || e === null || typeof e !== 'object') return false
  const o = e as Record<string, unknown>
  if (typeof o.code === 'string' && (UNAVAILABLE_CODES.has(o.code) || UNAVAILABLE_TEXT.test(o.code))) return true
  if (typeof o.message === 'string' && UNAVAILABLE_TEXT.test(o.message)) return true
  return ['error', 'info', 'cause', 'errors'].some(k => {
    const v = o[k]
    return Array.isArray(v) ? v.some(x => isUnavailable(x, depth + 1)) : isUnavailable(v, depth + 1)
  })
}

/**
 * Maps any failure of a call to the ledger onto a {@link LedgerError}: a custom error of the contract to its code,
 * an unreachable node to LEDGER_UNAVAILABLE, anything else to INTERNAL. DatapactErrors pass through unchanged.
 *
 * @param e - What was thrown.
 * @param iface - The contract interface, to decode revert data.
 * @param operation - What was being done, for the message.
 * @param transactionId - The transaction, when one exists.
 * @returns The error to throw.
 */
export function toLedgerError(e: unknown, iface: Interface, operation: string, transactionId?: string): Error {
  if (isDatapactError(e)) return e
  const data = revertData(e)
  if (data) {
    let decoded: ErrorDescription | null = null
    try {
      decoded = iface.parseError(data)
    } catch {}
    if (decoded) return revertToError(decoded, e, transactionId)
  }
  const details: ErrorDetails = { operation }
  const txId = transactionId === undefined ? {} : { transactionId }
  if (mentions(e, TOO_LARGE_TEXT))
    return new LedgerError('INVALID_INPUT', `the call is too large for one transaction on this chain (${operation})`, {
      ledger: 'evm',
      details: { ...details, argument: 'args' },
      cause: e,
      ...txId,
    })
  if (isUnavailable(e))
    return new LedgerError('LEDGER_UNAVAILABLE', `the EVM node cannot be reached (${operation})`, {
      ledger: 'evm',
      details,
      cause: e,
      ...txId,
    })
  return new LedgerError('INTERNAL', `the EVM ledger failed unexpectedly (${operation})`, {
    ledger: 'evm',
    details: { ...details, revert: data ?? '' },
    cause: e,
    ...txId,
  })
}
