/**
 * Datapact: trade data over a permissioned ledger. Encrypted, fingerprinted, versioned datasets; access granted
 * and revoked on the ledger; every access metered; statements both sides compute identically; an audit that
 * replays the ledger.
 * @packageDocumentation
 */

export * from './client/index.js'
export {
  isDatasetId,
  isDigest,
  isMemberId,
  isNonce,
  toDatasetId,
  toDigest,
  toMemberId,
  toNonce,
} from './codec/ids.js'
export type { DataSource, MemberKeys } from './crypto/index.js'
export { generateMemberKeys, lockKeystore, unlockKeystore } from './crypto/index.js'
export type * from './domain/index.js'
export { ADMISSION_RULES, ROLES, SCOPE_KINDS } from './domain/index.js'
export {
  DatapactError,
  type DatapactErrorCode,
  type DatapactErrorOptions,
  ERROR_CODES,
  ERRORS_DOCS_URL,
  type ErrorDetails,
  isDatapactError,
  isErrorCode,
  LedgerError,
  type LedgerErrorOptions,
} from './errors.js'
export {
  type CheckedReadOptions,
  type CheckedSubscription,
  checkReadEventsOptions,
  checkSubscription,
  type EventPage,
  type LedgerAdapter,
  MAX_READ_LIMIT,
  type PayloadStore,
  type SubmitResult,
  type SubscribeOptions,
  subscribeSafely,
} from './ledger/index.js'
export {
  type CheckedAppend,
  checkCurrenciesKey,
  checkEntitiesQuery,
  checkIndexAppend,
  checkUsageQuery,
  type IndexedEntity,
  type IndexedEntityKind,
  type IndexedUsage,
  type IndexPosition,
  type IndexStore,
  MemoryIndexStore,
  matchesUsage,
  type UsageQuery,
  usageOf,
} from './ledgerIndex/index.js'
export { FileSystemPayloadStore } from './stores/fileSystemStore.js'
export { MemoryPayloadStore } from './stores/memoryStore.js'
