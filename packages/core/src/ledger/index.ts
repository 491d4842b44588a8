export type { EventPage, LedgerAdapter, PayloadStore, SubmitResult } from './adapter.js'
