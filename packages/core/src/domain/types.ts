/**
 * The domain of Datapact: what lives on the ledger. Pure types, no I/O.
 * Times are ledger time in whole seconds since the Unix epoch; money is bigint in integer minor units.
 */

/**
 * The key of the type-only brands below. It has no runtime value: a branded value is a plain string or Uint8Array,
 * and the brand only keeps one kind of id from being passed where another goes.
 */
declare const brand: unique symbol

/**
 * A consortium member's identity on the ledger (EVM address, Fabric MSP id + certificate id, memory id): 1..512
 * printable ASCII characters without spaces. At runtime a plain string; make one from a string with
 * {@link @datapact/core!index.toMemberId | toMemberId}, or take it from the API (`client.memberId`, records, events).
 */
export type MemberId = string & { readonly [brand]: 'MemberId' }
/**
 * A dataset id: 32 bytes as 64 lowercase hex characters. At runtime a plain string; make one with
 * {@link @datapact/core!index.toDatasetId | toDatasetId}, or take it from the API (`register`'s `id`, records, events).
 */
export type DatasetId = string & { readonly [brand]: 'DatasetId' }
/**
 * A 32-byte digest: a SHA-256 (plaintext digest, wrap hash, statement digest), a Merkle root or a key commitment. At
 * runtime a plain Uint8Array; make one with {@link @datapact/core!index.toDigest | toDigest}.
 */
export type Digest = Uint8Array & { readonly [brand]: 'Digest' }
/**
 * A usage record's nonce: 16 bytes as 32 lowercase hex characters, chosen by the consumer before the first attempt.
 * At runtime a plain string; make one with {@link @datapact/core!index.toNonce | toNonce}, or draw them from
 * {@link @datapact/core!index.createNonceSequence | createNonceSequence}.
 */
export type Nonce = string & { readonly [brand]: 'Nonce' }
/**
 * Hex of 32 bytes.
 *
 * @deprecated Nothing in the API is typed with it: ids are {@link DatasetId}, digests are {@link Digest} (bytes).
 */
export type Hex32 = string

/** The roles a member can hold, in bit order (the EVM contract's role bitmask uses bit i for `ROLES[i]`). */
export const ROLES = ['admin', 'provider', 'consumer', 'regulator'] as const
/** What a member may do: admins admit and configure, providers publish, consumers fetch, regulators audit. */
export type Role = (typeof ROLES)[number]

/** The admission rules, in the order the EVM contract numbers them (`open` 0, `admin` 1). */
export const ADMISSION_RULES = ['open', 'admin'] as const
/** How new members get in: anyone may join (`open`), or an admin must admit them first (`admin`). */
export type AdmissionRule = (typeof ADMISSION_RULES)[number]

/** Consortium-wide settings, set at bootstrap and changed by an admin. */
export interface ConsortiumSettings {
  admission: AdmissionRule
  /** When set, every published version must carry a key wrap for this regulator member. */
  regulatorEscrow: MemberId | null
  /** Length of a billing period in seconds; period n covers [n * periodSeconds, (n + 1) * periodSeconds). */
  periodSeconds: number
}

/** A member is `active` until it leaves the consortium. */
export type MemberStatus = 'active' | 'left'

/** A consortium member as the ledger records it. */
export interface Member {
  id: MemberId
  name: string
  /** Sorted, without duplicates. */
  roles: Role[]
  /** X25519 public key that data keys are wrapped to. */
  envelopeKey: Uint8Array
  status: MemberStatus
  joinedAt: number
}

/** Descriptive metadata of a dataset, shown in the catalog. */
export interface DatasetMetadata {
  title: string
  description: string
  tags: string[]
  mediaType: string
  /** Free-form schema description (JSON Schema text, SQL DDL, ...). */
  schema: string
}

/** Commercial terms: amount per access = pricePerAccess + pricePerByte * bytes, in the currency's minor units. */
export interface Terms {
  pricePerAccess: bigint
  pricePerByte: bigint
  /** ISO 4217-like code, 3 to 8 upper-case letters or digits (e.g. CNY, USD, CREDITS). */
  currency: string
  licence: string
}

/** A dataset is `active` until its owner retires it (no new versions, grants or usage). */
export type DatasetStatus = 'active' | 'retired'

/** A dataset in the catalog: owner, metadata, terms and counters. Versions and grants are separate records. */
export interface Dataset {
  id: DatasetId
  owner: MemberId
  metadata: DatasetMetadata
  terms: Terms
  listed: boolean
  status: DatasetStatus
  /** Number of the newest version; 0 before the first publish. */
  latestVersion: number
  /** Number of grants ever issued (grant sequence numbers run from 1). */
  grantCount: number
  createdAt: number
}

/** Where a version's ciphertext chunks are: in the ledger's own state, or in a named content-addressed store. */
export interface PayloadLocation {
  /** `ledger` for the ledger-backed store; any other name is a PayloadStore the client was given. */
  store: string
  /**
   * The id the store returned from `put`, chosen by the store: for the ledger store a random 32-byte upload id (64
   * hex characters); for the bundled memory and file-system stores 16 random bytes as 32 hex characters; another
   * store may use its own scheme (a content address such as a CID). It is not the Merkle root: integrity comes from
   * the version's `merkleRoot` on the ledger, never from the address. 1..128 printable ASCII characters.
   */
  address: string
}

/** One published version of a dataset: its fingerprints, encryption header and payload location. Append-only. */
export interface Version {
  datasetId: DatasetId
  number: number
  /** SHA-256 of the plaintext. */
  plaintextDigest: Digest
  /** Merkle root over the ciphertext chunks. */
  merkleRoot: Digest
  /** Plaintext size in bytes. */
  size: number
  chunkSize: number
  chunkCount: number
  /** Encoded encryption header (format, algorithm, chunk size, dataset, version, salt); public. */
  header: Uint8Array
  /**
   * Commitment to the version's data key: HMAC-SHA256(dataKey, "datapact/key-commitment/v1" || header). A consumer
   * checks the key it unwrapped against it before it is metered; the key itself never reaches the ledger.
   */
  keyCommitment: Digest
  location: PayloadLocation
  /** Previous version number; 0 for the first. */
  previous: number
  publisher: MemberId
  publishedAt: number
}

/** The kinds of grant scope, in the order the EVM contract numbers them (`all` 0, `from` 1, `exact` 2). */
export const SCOPE_KINDS = ['all', 'from', 'exact'] as const

/** Which versions a grant covers. `version` is 0 for `all`. */
export interface GrantScope {
  kind: (typeof SCOPE_KINDS)[number]
  version: number
}

/**
 * The price a grant was made under, pinned in the grant: later changes to the dataset's terms do not reach it until
 * the grantee accepts them on the ledger.
 */
export interface PinnedTerms {
  pricePerAccess: bigint
  pricePerByte: bigint
  currency: string
}

/** Stored state of a grant; `expired` is derived from ledger time, never stored. */
export type GrantState = 'active' | 'revoked'

/** A consumer's access to a dataset under pinned terms: scope, expiry, quota, price override and state. */
export interface Grant {
  datasetId: DatasetId
  grantee: MemberId
  /** Sequence number of this grant within the dataset. */
  seq: number
  scope: GrantScope
  /** Ledger time after which usage is refused; null = never. */
  expiresAt: number | null
  /** Most accesses allowed; null = unlimited. */
  maxAccesses: number | null
  /** Price per access replacing the pinned terms for this grantee; null = the pinned terms apply. */
  priceOverride: bigint | null
  /** The dataset's terms when the grant was made, or the terms the grantee accepted later. */
  terms: PinnedTerms
  used: number
  state: GrantState
  grantedAt: number
  revokedAt: number | null
  /** Ledger time of the last usage recorded under this grant; null before the first. */
  lastUsedAt: number | null
}

/** A data key wrapped (HPKE) for one member. */
export interface KeyWrap {
  member: MemberId
  wrapped: Uint8Array
}

/** One metered access, as recorded on the ledger. */
export interface UsageRecord {
  datasetId: DatasetId
  version: number
  consumer: MemberId
  provider: MemberId
  /** Bytes delivered (the version's plaintext size). */
  bytes: number
  amount: bigint
  currency: string
  /** Billing period index (see {@link ConsortiumSettings.periodSeconds}). */
  period: number
  at: number
  /** Consumer-chosen unique nonce (hex of 16 bytes); a replay is refused. */
  nonce: Nonce
  /** Grant sequence number the access was made under. */
  grantSeq: number
  /**
   * SHA-256 of the key wrap the consumer was served and opened for this access: its evidence, should the payload
   * fail to decrypt after it was metered.
   */
  wrapHash: Digest
}

/** Running totals the ledger keeps per (provider, consumer, period, currency). */
export interface UsageTotals {
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
  count: number
  bytes: number
  amount: bigint
}

/** One party's acknowledgement of an open statement: its digest and the totals it claims. */
export interface StatementAck {
  digest: Digest
  amount: bigint
  count: number
}

/**
 * Acknowledgement / settlement state of one statement key. Statements of a key follow one another: each covers the
 * usage records after those already settled (`closedCount` of them), so usage arriving after a settlement opens the
 * next statement and leaves the settled one untouched.
 */
export interface Settlement {
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
  /** The provider's acknowledgement of the open statement; null when it has none. */
  providerAck: StatementAck | null
  /** The consumer's acknowledgement of the open statement; null when it has none. */
  consumerAck: StatementAck | null
  /** Statements of this key settled so far. */
  statements: number
  /** Records and amount covered by every settled statement of this key. */
  closedCount: number
  closedAmount: bigint
  /** The last settled statement: its digest, amount, record count and ledger time; null before the first. */
  settledDigest: Digest | null
  settledAmount: bigint | null
  settledCount: number | null
  settledAt: number | null
}
