import { type DatapactErrorCode, type ErrorDetails, isDatapactError } from '../errors.js'

/** How a service answers one error code: the HTTP status and whether the same call may succeed when retried. */
export interface ErrorStatus {
  /** The HTTP status a service answers with. */
  readonly status: number
  /**
   * Whether calling the same operation again, unchanged, may succeed (a transient ledger outage). False when only a
   * change (new grant, new input, another client) can help.
   */
  readonly retryable: boolean
}

/**
 * The one table from every {@link @datapact/core!index.DatapactErrorCode | DatapactErrorCode} to its HTTP status and `retryable` flag. It is total: a new code
 * does not compile until it is here. Refusals by the ledger's rules are 403 (access) or 429 (quota, which a retry does
 * not lift: only a new grant does); a payload that does not match the ledger is 502 (the data behind the service is
 * bad); a ledger that cannot be reached is 503 and retryable.
 */
export const ERROR_STATUS: Readonly<Record<DatapactErrorCode, ErrorStatus>> = Object.freeze({
  INVALID_INPUT: { status: 400, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  ACCESS_DENIED: { status: 403, retryable: false },
  GRANT_EXPIRED: { status: 403, retryable: false },
  GRANT_REVOKED: { status: 403, retryable: false },
  QUOTA_EXCEEDED: { status: 429, retryable: false },
  INTEGRITY: { status: 502, retryable: false },
  CONFLICT: { status: 409, retryable: false },
  NONCE_REUSED: { status: 409, retryable: false },
  AMOUNT_MISMATCH: { status: 409, retryable: false },
  SETTLEMENT_MISMATCH: { status: 409, retryable: false },
  LEDGER_UNAVAILABLE: { status: 503, retryable: true },
  CLOSED: { status: 503, retryable: false },
  // The caller's own AbortSignal stopped the work (in a service: usually the client went away); 499 is the
  // "client closed request" status of nginx and most proxies.
  ABORTED: { status: 499, retryable: false },
  INTERNAL: { status: 500, retryable: false },
})

/**
 * The HTTP status for anything caught: the table's status for a {@link @datapact/core!index.DatapactError | DatapactError}, 500 for anything else.
 *
 * @param error - Anything caught.
 * @returns An HTTP status code.
 * @example
 * ```ts
 * catch (e) { res.writeHead(httpStatusOf(e)) }
 * ```
 */
export function httpStatusOf(error: unknown): number {
  return isDatapactError(error) ? ERROR_STATUS[error.code].status : 500
}

/**
 * Whether the same call may succeed when retried unchanged: true only for a {@link @datapact/core!index.DatapactError | DatapactError} whose code the
 * table marks retryable (LEDGER_UNAVAILABLE). A fetch that failed so carries `details.nonce(s)`: retry it with that
 * nonce so the access is not billed twice.
 *
 * @param error - Anything caught.
 * @returns Whether a retry may help.
 */
export function isRetryable(error: unknown): boolean {
  return isDatapactError(error) && ERROR_STATUS[error.code].retryable
}

/** What a service sends for an error: the status and a JSON body without secrets. */
export interface ErrorResponse {
  /** The HTTP status ({@link httpStatusOf}). */
  status: number
  /** The JSON body: the code, the message, the non-secret details and the retry flag. */
  body: { code: DatapactErrorCode; message: string; details: ErrorDetails; retryable: boolean }
}

/**
 * The HTTP answer for anything caught. A {@link @datapact/core!index.DatapactError | DatapactError}'s message and details carry ids, lengths and shapes,
 * never keys, plaintext or payloads, so they are sent as they are; any other error becomes a generic INTERNAL body
 * (its message may hold anything, so it is not sent).
 *
 * @param error - Anything caught.
 * @returns The status and the body to send.
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (!isDatapactError(error))
    return {
      status: 500,
      body: { code: 'INTERNAL', message: 'internal error', details: {}, retryable: false },
    }
  const { status, retryable } = ERROR_STATUS[error.code]
  return { status, body: { code: error.code, message: error.message, details: error.details, retryable } }
}
