export type { EventPage, LedgerAdapter, PayloadStore, SubmitResult, SubscribeOptions } from './adapter.js'
export {
  type CheckedReadOptions,
  type CheckedSubscription,
  checkReadEventsOptions,
  checkSubscription,
  MAX_READ_LIMIT,
  subscribeSafely,
} from './validate.js'
