import { randomBytes } from 'node:crypto'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { type LockKeystoreOptions, lockKeystore, type MemberKeys, unlockKeystore } from '../crypto/index.js'
import { DatapactError } from '../errors.js'
import { assertString, readOptions } from '../internal/assert.js'

/** The environment variable {@link openKeystore} and {@link saveKeystore} read the passphrase from by default. */
export const PASSPHRASE_ENV = 'DATAPACT_PASSPHRASE'

/** Where the keystore passphrase comes from. */
export interface PassphraseOptions {
  /** The passphrase itself (a prompt's answer); when given, the environment is not read. */
  passphrase?: string
  /** The environment variable (of `process.env`) holding it (default {@link PASSPHRASE_ENV}). */
  passphraseEnv?: string
}

/** Options of {@link saveKeystore}: the passphrase source and the scrypt cost of {@link lockKeystore}. */
export interface SaveKeystoreOptions extends PassphraseOptions, LockKeystoreOptions {}

const PASSPHRASE_FIELDS = ['passphrase', 'passphraseEnv'] as const

function passphraseFrom(o: PassphraseOptions): string {
  const name = o.passphraseEnv ?? PASSPHRASE_ENV
  assertString(name, 'options.passphraseEnv', 256, 1)
  if (o.passphrase !== undefined) {
    assertString(o.passphrase, 'options.passphrase', 1024)
    return o.passphrase
  }
  const value = process.env[name]
  if (value === undefined || value === '')
    throw new DatapactError('INVALID_INPUT', `no keystore passphrase: set the environment variable ${name}`, {
      details: { argument: 'options.passphraseEnv', expected: `${name} set`, got: 'unset' },
    })
  assertString(value, `the environment variable ${name}`, 1024)
  return value
}

/**
 * Reads a keystore file ({@link lockKeystore}'s JSON) and unlocks it with a passphrase given, or read from an
 * environment variable ({@link PASSPHRASE_ENV} by default): how a service or a CLI reopens its member's keys.
 *
 * @param path - The keystore file.
 * @param options - The passphrase, or which environment variable holds it.
 * @returns The member's keys.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (bad path or options, the passphrase variable unset, a file that is not
 *   a keystore); NOT_FOUND (no file at `path`); ACCESS_DENIED (wrong passphrase or an altered file).
 * @example
 * ```ts
 * const keys = await openKeystore('alice.keystore.json') // passphrase from DATAPACT_PASSPHRASE
 * ```
 */
export async function openKeystore(path: string, options?: PassphraseOptions): Promise<MemberKeys> {
  assertString(path, 'path', 4096)
  const o = readOptions(options, 'options', PASSPHRASE_FIELDS) as PassphraseOptions
  const passphrase = passphraseFrom(o)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw new DatapactError('NOT_FOUND', `no keystore file at ${path}`, { details: { path }, cause: e })
    throw new DatapactError('INVALID_INPUT', `the keystore file ${path} cannot be read (${code ?? 'error'})`, {
      details: { argument: 'path', expected: 'a readable file', got: code ?? 'error' },
      cause: e,
    })
  }
  return unlockKeystore(text, passphrase)
}

/**
 * Locks keys with a passphrase (given, or from an environment variable) and writes them to a new keystore file,
 * readable by its owner only. The file appears whole or not at all, and an existing file is never overwritten.
 *
 * @param path - The keystore file to create.
 * @param keys - The member's keys.
 * @param options - The passphrase source and the scrypt cost.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (bad path, keys or options; the passphrase variable unset);
 *   CONFLICT (a file is already at `path`).
 */
export async function saveKeystore(path: string, keys: MemberKeys, options?: SaveKeystoreOptions): Promise<void> {
  assertString(path, 'path', 4096)
  const o = readOptions(options, 'options', [...PASSPHRASE_FIELDS, 'N', 'r', 'p']) as SaveKeystoreOptions
  const passphrase = passphraseFrom(o)
  const cost: LockKeystoreOptions = {}
  if (o.N !== undefined) cost.N = o.N
  if (o.r !== undefined) cost.r = o.r
  if (o.p !== undefined) cost.p = o.p
  const text = await lockKeystore(keys, passphrase, cost)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
    // link() refuses an existing target: no keystore is ever overwritten, and readers see all of it or nothing.
    await link(tmp, path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST')
      throw new DatapactError('CONFLICT', `a file is already at ${path}: a keystore is never overwritten`, {
        details: { path },
        cause: e,
      })
    throw new DatapactError('INVALID_INPUT', `the keystore file ${path} cannot be written (${code ?? 'error'})`, {
      details: { argument: 'path', expected: 'a writable location', got: code ?? 'error' },
      cause: e,
    })
  } finally {
    await rm(tmp, { force: true })
  }
}
