/**
 * `@datapact/core/errors`: the error class, its subclass for ledger failures, the stable codes and the type guard.
 * The same classes are exported from `@datapact/core`.
 *
 * @packageDocumentation
 */

/**
 * Stable error codes. Callers branch on `code`; messages are for people and may change.
 * Adding a code is a minor release; renaming or removing one is a major release.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'ACCESS_DENIED',
  'GRANT_EXPIRED',
  'GRANT_REVOKED',
  'QUOTA_EXCEEDED',
  'INTEGRITY',
  'CONFLICT',
  'NONCE_REUSED',
  'AMOUNT_MISMATCH',
  'SETTLEMENT_MISMATCH',
  'LEDGER_UNAVAILABLE',
  'CLOSED',
  'ABORTED',
  'INTERNAL',
] as const

/** One of the stable {@link DatapactError} codes. */
export type DatapactErrorCode = (typeof ERROR_CODES)[number]

/** Extra, non-secret facts about an error: ids, lengths, types. Never keys, plaintext or payloads. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>

/** Options accepted by {@link DatapactError}. */
export interface DatapactErrorOptions {
  /** Non-secret context: ids, lengths, expected and received shapes. */
  details?: ErrorDetails
  /** The underlying error, kept as `cause`. */
  cause?: unknown
}

/** Marks Datapact errors across copies of this module (CJS bundles, two installed versions). */
const BRAND = Symbol.for('@datapact/core/DatapactError')

/** Where the page that explains every error code is published; {@link DatapactError.docsUrl} points into it. */
export const ERRORS_DOCS_URL = 'https://github.com/datapact/datapact/blob/main/docs/errors.md'

/**
 * The one error class of Datapact. Every failure a caller can act on carries a stable `code`, non-secret `details`
 * and a link to the section of `docs/errors.md` that says what happened and what to do.
 *
 * Branch on `code` (or use {@link isDatapactError}); messages are for people and may change. `instanceof` works
 * across copies of the module (an ESM and a CJS bundle, two installed versions).
 *
 * @example
 * ```ts
 * try { await bob.data.fetch(id) } catch (e) {
 *   if (isDatapactError(e, 'GRANT_EXPIRED')) askForRenewal()
 *   else if (isDatapactError(e)) console.error(`${e.message} (see ${e.docsUrl})`)
 * }
 * ```
 */
export class DatapactError extends Error {
  /** `instanceof` holds for any copy of the class, so errors from one bundle are recognised by another. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false
    // `this` is the class on the right of `instanceof`: for a subclass (LedgerError), a foreign copy is recognised
    // by its class name.
    // biome-ignore lint/complexity/noThisInStatic: the target class of `instanceof` is `this` by definition.
    // biome-ignore lint/complexity/noUselessThisAlias: named for the reader.
    const target: typeof DatapactError = this
    return (
      target === DatapactError ||
      Function.prototype[Symbol.hasInstance].call(target, value) ||
      (value as Error).name === target.name
    )
  }
  override name = 'DatapactError'
  /** Stable machine-readable code. */
  readonly code: DatapactErrorCode
  /** Non-secret context (ids, lengths, expected and received shapes). */
  readonly details: ErrorDetails

  /** The section of the repository's `docs/errors.md` that explains this code, e.g. `docs/errors.md#grant_expired`. */
  get docsPath(): string {
    return `docs/errors.md#${this.code.toLowerCase()}`
  }

  /** {@link DatapactError.docsPath} on the published documentation ({@link ERRORS_DOCS_URL}). */
  get docsUrl(): string {
    return `${ERRORS_DOCS_URL}#${this.code.toLowerCase()}`
  }

  /**
   * Creates an error with a stable code.
   *
   * @param code - The stable code callers branch on.
   * @param message - For people; may change between releases.
   * @param opts - Non-secret details and the cause.
   */
  constructor(code: DatapactErrorCode, message: string, opts: DatapactErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.details = Object.freeze({ ...opts.details })
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** Extra fields carried by errors raised while talking to a ledger backend. */
export interface LedgerErrorOptions extends DatapactErrorOptions {
  /** Which ledger kind raised it: `memory`, `evm`, `fabric`. */
  ledger: string
  /** The backend's transaction id, when the failure belongs to a submitted transaction. */
  transactionId?: string
}

/** A {@link DatapactError} raised by a ledger adapter; names the ledger and, when known, the transaction. */
export class LedgerError extends DatapactError {
  override name = 'LedgerError'
  /** Which ledger kind raised it: `memory`, `evm`, `fabric`. */
  readonly ledger: string
  /** The backend's transaction id, when known. */
  readonly transactionId: string | undefined

  /**
   * Creates a ledger error.
   *
   * @param code - The stable code callers branch on.
   * @param message - For people; may change between releases.
   * @param opts - The ledger kind, the transaction id, details and the cause.
   */
  constructor(code: DatapactErrorCode, message: string, opts: LedgerErrorOptions) {
    super(code, message, opts)
    this.ledger = opts.ledger
    this.transactionId = opts.transactionId
  }
}

/**
 * Type guard for {@link DatapactError}, optionally narrowed to one code.
 *
 * @param e - Anything caught.
 * @param code - When given, only this code matches.
 * @returns Whether `e` is a DatapactError (with that code).
 */
export const isDatapactError = <C extends DatapactErrorCode>(e: unknown, code?: C): e is DatapactError & { code: C } =>
  e instanceof DatapactError && (code === undefined || e.code === code)

/** Whether `value` is one of the stable codes (used when mapping codes back from a remote ledger). */
export const isErrorCode = (value: unknown): value is DatapactErrorCode =>
  typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
