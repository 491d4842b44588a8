export type { EventPage, LedgerAdapter, PayloadStore, SubmitResult, SubscribeOptions } from './adapter.js'
