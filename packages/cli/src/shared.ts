/**
 * What the CLI adds to `@datapact/core/service`: its own error codes, the exit status by code, what to do about
 * each, a JSON replacer for readable `--json` output, and the passphrase prompt. Joining (`ensureMember`) and the
 * passphrase variable come from core.
 */
import { readFile } from 'node:fs/promises'
import { type DatapactErrorCode, isDatapactError } from '@datapact/core'
import { PASSPHRASE_ENV } from '@datapact/core/service'

/** An error the CLI raises itself (configuration, usage, an audit that found violations). */
export class CliError extends Error {
  override name = 'CliError'
  /** One of the CLI's own codes, listed in {@link EXIT_CODES}. */
  readonly code: CliErrorCode
  /** What the operator should do about it (printed after the message). */
  readonly hint: string | undefined

  /**
   * Creates a CLI error.
   *
   * @param code - The CLI error code.
   * @param message - What went wrong.
   * @param hint - What to do about it.
   */
  constructor(code: CliErrorCode, message: string, hint?: string) {
    super(message)
    this.code = code
    this.hint = hint
  }
}

/** The CLI's own error codes, beside core's {@link @datapact/core!index.DatapactErrorCode | DatapactErrorCode}s. */
export type CliErrorCode = 'USAGE' | 'CONFIG' | 'AUDIT_VIOLATIONS' | 'OUTPUT'

/**
 * Process exit status by error code: stable, documented in docs/cli.md. 0 is success, 1 an unexpected failure.
 * Scripts can branch on them (for example 6: the grant was revoked, ask the provider).
 */
export const EXIT_CODES: Readonly<Record<DatapactErrorCode | CliErrorCode, number>> = Object.freeze({
  INTERNAL: 1,
  USAGE: 2,
  INVALID_INPUT: 2,
  CONFIG: 3,
  NOT_FOUND: 4,
  ACCESS_DENIED: 5,
  GRANT_REVOKED: 6,
  GRANT_EXPIRED: 7,
  QUOTA_EXCEEDED: 8,
  INTEGRITY: 9,
  CONFLICT: 10,
  NONCE_REUSED: 11,
  AMOUNT_MISMATCH: 12,
  SETTLEMENT_MISMATCH: 13,
  LEDGER_UNAVAILABLE: 14,
  CLOSED: 15,
  OUTPUT: 16,
  ABORTED: 17,
  AUDIT_VIOLATIONS: 20,
})

/** What to do about each code, printed under the message. */
const HINTS: Readonly<Record<string, string>> = {
  INVALID_INPUT: 'check the arguments (datapact <command> --help)',
  NOT_FOUND: 'check the id (datapact catalog lists datasets; datapact grants lists grants)',
  ACCESS_DENIED: 'this member may not do that: check the keystore and config used, or ask the owner for a grant',
  GRANT_REVOKED: 'the provider revoked the grant: ask it for a new one',
  GRANT_EXPIRED: 'the grant expired: ask the provider to renew it',
  QUOTA_EXCEEDED: 'the grant has no accesses left: ask the provider for a larger quota',
  INTEGRITY: 'the data does not match the ledger: nothing was kept; report it to the provider and the regulator',
  CONFLICT: 'the ledger already holds this (or another change came first): re-read and retry',
  AMOUNT_MISMATCH: 'the access would cost more than --max-amount: raise it or check the terms',
  SETTLEMENT_MISMATCH: 'the statement does not match the ledger totals: recompute it (datapact statement) and retry',
  LEDGER_UNAVAILABLE: 'the ledger cannot be reached: check the connection in the config (datapact config check)',
  CLOSED: 'the connection was closed: run the command again',
}

/**
 * The exit status for an error: its code's entry in {@link EXIT_CODES}, 1 for anything else.
 *
 * @param error - What was thrown.
 * @returns The process exit status (never 0).
 */
export function exitCodeOf(error: unknown): number {
  const code = errorCodeOf(error)
  return EXIT_CODES[code as keyof typeof EXIT_CODES] ?? 1
}

/**
 * The stable code of an error: a DatapactError's or CliError's code, otherwise INTERNAL.
 *
 * @param error - What was thrown.
 * @returns The code.
 */
export function errorCodeOf(error: unknown): string {
  if (error instanceof CliError) return error.code
  if (isDatapactError(error)) return error.code
  return 'INTERNAL'
}

/**
 * The error as the CLI prints it: code, message, what to do, and the error's details (ids, lengths; core never puts
 * secrets in them). Unexpected errors give only their message, never a stack or a cause chain.
 *
 * @param error - What was thrown.
 * @returns A plain, JSON-safe object.
 */
export function describeError(error: unknown): {
  code: string
  exitCode: number
  message: string
  hint?: string
  details?: Record<string, unknown>
} {
  const code = errorCodeOf(error)
  const message = error instanceof Error ? error.message : String(error)
  const hint =
    error instanceof CliError
      ? error.hint
      : isDatapactError(error, 'ACCESS_DENIED') && error.details.argument === 'passphrase'
        ? `check the passphrase (${PASSPHRASE_ENV} or the prompt) and the keystore path`
        : HINTS[code]
  const details = isDatapactError(error) && Object.keys(error.details).length > 0 ? { ...error.details } : undefined
  return {
    code,
    exitCode: exitCodeOf(error),
    message,
    ...(hint ? { hint } : {}),
    ...(details ? { details } : {}),
  }
}

/**
 * A `JSON.stringify` replacer: bigint as a decimal string, bytes (Uint8Array) as lowercase hex.
 *
 * @param _key - The property name (unused).
 * @param value - The value.
 * @returns The JSON-safe value.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return value
}

/**
 * Reads the keystore passphrase: from `DATAPACT_PASSPHRASE`, else a prompt on the terminal (input hidden). Never
 * logged or echoed.
 *
 * @param env - The environment.
 * @param prompt - The prompt text.
 * @param confirm - Ask twice and require both to match (for a new keystore).
 * @returns The passphrase.
 * @throws {@link CliError} CONFIG when there is no terminal and the variable is not set, or the two entries differ.
 */
export async function readPassphrase(env: NodeJS.ProcessEnv, prompt: string, confirm = false): Promise<string> {
  const fromEnv = env[PASSPHRASE_ENV]
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv
  if (!process.stdin.isTTY || !process.stderr.isTTY)
    throw new CliError(
      'CONFIG',
      'no passphrase: the keystore passphrase comes from a terminal prompt or the environment',
      `set ${PASSPHRASE_ENV} (or run in a terminal to be prompted)`,
    )
  const first = await hiddenPrompt(prompt)
  if (confirm && (await hiddenPrompt('Repeat the passphrase: ')) !== first)
    throw new CliError(
      'CONFIG',
      'the two passphrases differ',
      'run the command again and type the same passphrase twice',
    )
  if (first.length === 0) throw new CliError('CONFIG', 'the passphrase is empty', 'type a passphrase')
  return first
}

/** Reads one line from the terminal without echoing it. */
function hiddenPrompt(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const done = (err?: Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      err ? reject(err) : resolve(value)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new CliError('USAGE', 'interrupted'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}

/**
 * Reads a keystore file, mapping a missing or unreadable file to a CONFIG error that says what to do.
 *
 * @param path - The keystore path.
 * @returns The keystore JSON text.
 * @throws {@link CliError} CONFIG when the file is missing or unreadable.
 */
export async function readKeystoreFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new CliError(
      'CONFIG',
      `the keystore ${path} cannot be read (${code ?? 'error'})`,
      code === 'ENOENT' ? 'create it with: datapact keys init' : 'check the "keystore" path in the config',
    )
  }
}
