/**
 * `@datapact/core/service`: what a backend service (or a CLI) embedding a Datapact client needs around it. Error
 * codes to HTTP statuses and a retry flag, a JSON replacer and reviver for bigint and bytes, joining once
 * (`ensureMember`), keystore files with the passphrase from the environment, and Node / web stream adapters for
 * `data.stream()` with backpressure that abort the response on a failed chunk. Node only (it uses `node:fs` and
 * `node:stream`).
 *
 * @packageDocumentation
 */

export {
  ERROR_STATUS,
  type ErrorResponse,
  type ErrorStatus,
  errorResponse,
  httpStatusOf,
  isRetryable,
} from './errors.js'
export { jsonReplacer, jsonReviver } from './json.js'
export {
  openKeystore,
  PASSPHRASE_ENV,
  type PassphraseOptions,
  type SaveKeystoreOptions,
  saveKeystore,
} from './keystore.js'
export { type EnsureMemberResult, ensureMember } from './members.js'
export { toNodeReadable, toWebStream } from './streams.js'
