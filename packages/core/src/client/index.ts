export type { AuditCheck, AuditOptions, AuditReport, AuditViolation } from './audit.js'
export {
  Billing,
  buildStatement,
  type Statement,
  type StatementParameters,
  type StatementRow,
  statementDigest,
} from './billing.js'
export { Data, type FetchOptions, type FetchResult, type StreamResult } from './data.js'
export { Datapact, type DatapactOptions } from './datapact.js'
export {
  type CatalogFilter,
  Datasets,
  type MetadataInput,
  type Progress,
  type PublishOptions,
  type RegisterParameters,
  type RegisterResult,
  type TermsInput,
  type UpdateParameters,
} from './datasets.js'
export {
  EVENT_TYPES,
  type EventRecord,
  Events,
  type EventsOnOptions,
  type EventsStreamOptions,
  type EventType,
} from './events.js'
export { type GrantOptions, Grants, type GrantView, type ScopeInput } from './grants.js'
export { LedgerPayloadStore } from './ledgerStore.js'
export { type JoinParameters, Members } from './members.js'
export { createNonceSequence } from './nonces.js'
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageOptions } from './pages.js'
export { type Logger, TELEMETRY_SCOPE } from './telemetry.js'
export { type Access, type Receipt, Usage, type UsageFilter } from './usage.js'
