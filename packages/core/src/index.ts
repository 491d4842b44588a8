/**
 * Datapact: trade data over a permissioned ledger. Encrypted, fingerprinted, versioned datasets; access granted
 * and revoked on the ledger; every access metered; statements both sides compute identically; an audit that
 * replays the ledger.
 * @packageDocumentation
 */
export type * from './domain/index.js'
export { ROLES } from './domain/index.js'
export {
  DatapactError,
  type DatapactErrorCode,
  type DatapactErrorOptions,
  ERROR_CODES,
  type ErrorDetails,
  isDatapactError,
  isErrorCode,
  LedgerError,
  type LedgerErrorOptions,
} from './errors.js'
export type { EventPage, LedgerAdapter, PayloadStore, SubmitResult } from './ledger/index.js'
