import type {
  ConsortiumSettings,
  Dataset,
  DatasetId,
  DatasetMetadata,
  Digest,
  Grant,
  MemberId,
  PinnedTerms,
  Role,
  Terms,
  UsageRecord,
  Version,
} from './types.js'

/**
 * Every state change on the ledger emits one of these, named in the past tense. Together they are enough to
 * rebuild the state: the audit verifier replays them.
 */
export type LedgerEvent =
  | { type: 'ConsortiumBootstrapped'; admin: MemberId; settings: ConsortiumSettings }
  | { type: 'SettingsUpdated'; settings: ConsortiumSettings }
  | { type: 'MemberAdmitted'; member: MemberId; roles: Role[] }
  | { type: 'MemberJoined'; member: MemberId; name: string; roles: Role[]; envelopeKey: Uint8Array }
  | { type: 'MemberRolesChanged'; member: MemberId; roles: Role[] }
  | { type: 'EnvelopeKeyRotated'; member: MemberId; envelopeKey: Uint8Array }
  | { type: 'MemberLeft'; member: MemberId }
  | { type: 'DatasetRegistered'; dataset: Dataset }
  | { type: 'DatasetUpdated'; datasetId: DatasetId; metadata: DatasetMetadata; terms: Terms; listed: boolean }
  | { type: 'DatasetRetired'; datasetId: DatasetId }
  | { type: 'VersionPublished'; version: Version; wrappedFor: MemberId[] }
  | { type: 'AccessGranted'; grant: Grant; wrappedVersions: number[] }
  | { type: 'KeysWrapped'; datasetId: DatasetId; member: MemberId; versions: number[] }
  | { type: 'AccessRevoked'; datasetId: DatasetId; grantee: MemberId; seq: number }
  | { type: 'TermsAccepted'; datasetId: DatasetId; grantee: MemberId; seq: number; terms: PinnedTerms }
  | { type: 'UsageRecorded'; record: UsageRecord }
  | {
      type: 'StatementAcknowledged'
      provider: MemberId
      consumer: MemberId
      period: number
      currency: string
      party: MemberId
      digest: Digest
      amount: bigint
      count: number
    }
  | {
      type: 'StatementSettled'
      provider: MemberId
      consumer: MemberId
      period: number
      currency: string
      /** 1 for the first statement of the key, then 2, 3, ... */
      sequence: number
      digest: Digest
      amount: bigint
      count: number
    }
  | { type: 'PayloadStored'; upload: string; first: number; count: number; complete: boolean }

/** The `type` of a {@link LedgerEvent}: `DatasetRegistered`, `AccessGranted`, `UsageRecorded`, ... */
export type LedgerEventType = LedgerEvent['type']

/** An event as read back from a ledger, with where and when it happened. */
export interface LedgerEventRecord {
  /** Opaque, ordered position; pass it back to read the events after it. */
  cursor: string
  /** Transaction id in the backend (memory sequence, EVM tx hash, Fabric tx id). */
  txId: string
  /** Ledger time in seconds. */
  at: number
  /** Who submitted the transaction. */
  caller: MemberId
  event: LedgerEvent
}
