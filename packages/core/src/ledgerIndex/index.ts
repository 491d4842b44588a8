export {
  type CheckedAppend,
  checkCurrenciesKey,
  checkEntitiesQuery,
  checkIndexAppend,
  checkUsageQuery,
} from './checks.js'
export {
  datasetAfter,
  datasetChangedBy,
  grantAfter,
  grantChangedBy,
  grantKey,
} from './entities.js'
export { INDEX_PAGE_SIZE, LedgerIndex } from './follower.js'
export { MemoryIndexStore } from './memory.js'
export type {
  IndexedEntity,
  IndexedEntityKind,
  IndexedUsage,
  IndexPosition,
  IndexStore,
  UsageQuery,
} from './store.js'
export { matchesUsage, usageOf } from './store.js'
