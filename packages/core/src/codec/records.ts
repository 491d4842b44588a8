import type {
  ConsortiumSettings,
  Dataset,
  DatasetMetadata,
  Grant,
  GrantScope,
  KeyWrap,
  LedgerEvent,
  Member,
  PayloadLocation,
  Settlement,
  Terms,
  UsageRecord,
  UsageTotals,
  Version,
} from '../domain/index.js'
import { ROLES } from '../domain/index.js'
import { MAX_AMOUNT } from '../internal/assert.js'
import {
  amount,
  array,
  boolean,
  bytes,
  int,
  literal,
  nullable,
  object,
  type Schema,
  string,
  variant,
} from './schema.js'

/** Limits every ledger enforces the same way (the Solidity contract mirrors them). */
export const LIMITS = {
  memberId: 512,
  name: 200,
  title: 200,
  description: 4000,
  tags: 16,
  tag: 32,
  mediaType: 100,
  schema: 8000,
  licence: 4000,
  header: 256,
  wraps: 2000,
  wrapped: 256,
  usageBatch: 1000,
  payloadBatch: 64,
  chunk: 16 * 1024 * 1024 + 16,
  storeName: 64,
  uint32: 0xffff_ffff,
  /** Ledger times and sizes stay below 2^53 so every language reads them exactly. */
  uint53: Number.MAX_SAFE_INTEGER,
} as const

/**
 * A tag: no ASCII space or control character; anything else (other scripts included) is allowed. Byte-checkable, so
 * the EVM contract enforces exactly the same rule.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what the rule excludes.
const TAG = /^[^\x00-\x20\x7f]+$/

/** 32 bytes as 64 lowercase hex characters. */
export const hex32 = string(64, 64, /^[0-9a-f]{64}$/, '64 lowercase hex characters')
/** A member id: 1..512 printable ASCII characters without spaces. */
export const memberId = string(LIMITS.memberId, 1, /^[\x21-\x7e]+$/, 'member id of printable ASCII without spaces')
/** A dataset id: 32 bytes as 64 lowercase hex characters. */
export const datasetId = hex32
/** A 32-byte digest (SHA-256, Merkle root). */
export const digest = bytes({ length: 32 })
/** An integer in 0..2^32 - 1. */
export const uint32 = int(0, LIMITS.uint32)
/** A version number: 1..2^32 - 1. */
export const versionNumber = int(1, LIMITS.uint32)
/** A ledger time in seconds, 0..2^53 - 1. */
export const time = int(0, LIMITS.uint53)
/** An amount in minor units, 0..2^128 - 1; a decimal string on the wire. */
export const money = amount(MAX_AMOUNT)
/** A currency code: 3 to 8 upper-case letters or digits. */
export const currency = string(8, 3, /^[A-Z0-9]{3,8}$/, 'currency code of 3-8 upper-case letters or digits')
/** A usage nonce: 16 bytes as 32 lowercase hex characters. */
export const nonce = string(32, 32, /^[0-9a-f]{32}$/, '32 lowercase hex characters')
/** One role: `admin`, `provider`, `consumer` or `regulator`. */
export const role = literal(...ROLES)
/** A non-empty list of roles. */
export const roles = array(role, ROLES.length, 1)
/** A member's 32-byte X25519 envelope public key. */
export const envelopeKey = bytes({ length: 32 })
/** A member's display name: 1..200 characters. */
export const memberName = string(LIMITS.name, 1)

/** Consortium settings: admission rule, regulator escrow, billing period length. */
export const settings: Schema<ConsortiumSettings> = object({
  admission: literal('open', 'admin'),
  regulatorEscrow: nullable(memberId),
  periodSeconds: int(60, 366 * 86400),
})

/** A member record. */
export const member: Schema<Member> = object({
  id: memberId,
  name: memberName,
  roles,
  envelopeKey,
  status: literal('active', 'left'),
  joinedAt: time,
})

/** A dataset's catalog metadata. */
export const metadata: Schema<DatasetMetadata> = object({
  title: string(LIMITS.title, 1),
  description: string(LIMITS.description),
  tags: array(string(LIMITS.tag, 1, TAG, 'tag without spaces or control characters'), LIMITS.tags),
  mediaType: string(LIMITS.mediaType),
  schema: string(LIMITS.schema),
})

/** A dataset's terms: prices, currency, licence. */
export const terms: Schema<Terms> = object({
  pricePerAccess: money,
  pricePerByte: money,
  currency,
  licence: string(LIMITS.licence),
})

/** A dataset record. */
export const dataset: Schema<Dataset> = object({
  id: datasetId,
  owner: memberId,
  metadata,
  terms,
  listed: boolean,
  status: literal('active', 'retired'),
  latestVersion: uint32,
  grantCount: uint32,
  createdAt: time,
})

/** A payload store name: lowercase letters, digits, `.`, `_`, `-`; 1..64 characters. */
export const storeName = string(
  LIMITS.storeName,
  1,
  /^[a-z0-9][a-z0-9._-]*$/,
  'store name of lowercase letters, digits, . _ -',
)

/** Where a version's ciphertext is: store name and the store's address. */
export const location: Schema<PayloadLocation> = object({
  store: storeName,
  address: string(128, 1, /^[\x21-\x7e]+$/, 'store address of printable ASCII'),
})

/** A version record. */
export const version: Schema<Version> = object({
  datasetId,
  number: versionNumber,
  plaintextDigest: digest,
  merkleRoot: digest,
  size: int(1, LIMITS.uint53),
  chunkSize: int(1024, 16 * 1024 * 1024),
  chunkCount: int(1, LIMITS.uint32),
  header: bytes({ min: 1, max: LIMITS.header }),
  location,
  previous: uint32,
  publisher: memberId,
  publishedAt: time,
})

/** A grant's scope: all versions, from version N, or exactly version N. */
export const scope = object({ kind: literal('all', 'from', 'exact'), version: uint32 }) as Schema<GrantScope>

/** A grant record. */
export const grant: Schema<Grant> = object({
  datasetId,
  grantee: memberId,
  seq: int(1, LIMITS.uint32),
  scope,
  expiresAt: nullable(time),
  maxAccesses: nullable(int(1, LIMITS.uint32)),
  priceOverride: nullable(money),
  used: uint32,
  state: literal('active', 'revoked'),
  grantedAt: time,
  revokedAt: nullable(time),
})

/** A wrapped key envelope (1..256 bytes; 91 for the current format). */
export const wrapped = bytes({ min: 1, max: LIMITS.wrapped })
/** A wrapped data key for one member. */
export const keyWrap: Schema<KeyWrap> = object({ member: memberId, wrapped })
/** A wrapped data key for one version. */
export const versionWrap = object({ version: versionNumber, wrapped })

/** A usage record. */
export const usageRecord: Schema<UsageRecord> = object({
  datasetId,
  version: versionNumber,
  consumer: memberId,
  provider: memberId,
  bytes: int(0, LIMITS.uint53),
  amount: money,
  currency,
  period: int(0, LIMITS.uint53),
  at: time,
  nonce,
  grantSeq: int(1, LIMITS.uint32),
})

/** Running usage totals of one provider, consumer, period and currency. */
export const totals: Schema<UsageTotals> = object({
  provider: memberId,
  consumer: memberId,
  period: int(0, LIMITS.uint53),
  currency,
  count: int(0, LIMITS.uint53),
  bytes: int(0, LIMITS.uint53),
  amount: money,
})

/** A settlement record: both parties' acknowledged digests and the settled totals. */
export const settlement: Schema<Settlement> = object({
  provider: memberId,
  consumer: memberId,
  period: int(0, LIMITS.uint53),
  currency,
  providerDigest: nullable(digest),
  consumerDigest: nullable(digest),
  settledDigest: nullable(digest),
  settledAmount: nullable(money),
  settledCount: nullable(int(0, LIMITS.uint53)),
  settledAt: nullable(time),
})

const statementKey = {
  provider: memberId,
  consumer: memberId,
  period: int(0, LIMITS.uint53),
  currency,
}

/** A ledger event: a union discriminated by `type`. */
export const event = variant('type', {
  ConsortiumBootstrapped: object({ admin: memberId, settings }),
  SettingsUpdated: object({ settings }),
  MemberAdmitted: object({ member: memberId, roles }),
  MemberJoined: object({ member: memberId, name: memberName, roles, envelopeKey }),
  MemberRolesChanged: object({ member: memberId, roles }),
  EnvelopeKeyRotated: object({ member: memberId, envelopeKey }),
  MemberLeft: object({ member: memberId }),
  DatasetRegistered: object({ dataset }),
  DatasetUpdated: object({ datasetId, metadata, terms, listed: boolean }),
  DatasetRetired: object({ datasetId }),
  VersionPublished: object({ version, wrappedFor: array(memberId, LIMITS.wraps) }),
  AccessGranted: object({ grant, wrappedVersions: array(versionNumber, LIMITS.wraps) }),
  KeysWrapped: object({ datasetId, member: memberId, versions: array(versionNumber, LIMITS.wraps) }),
  AccessRevoked: object({ datasetId, grantee: memberId, seq: int(1, LIMITS.uint32) }),
  UsageRecorded: object({ record: usageRecord }),
  StatementAcknowledged: object({
    ...statementKey,
    party: memberId,
    digest,
    amount: money,
    count: int(0, LIMITS.uint53),
  }),
  StatementSettled: object({ ...statementKey, digest, amount: money, count: int(0, LIMITS.uint53) }),
  PayloadStored: object({ upload: hex32, first: uint32, count: uint32, complete: boolean }),
}) as unknown as Schema<LedgerEvent>

/** A transaction's events, in order. */
export const events = array(event, 100_000)

/** A ledger event with its cursor, transaction id, ledger time and caller. */
export const eventRecord = object({
  cursor: string(128, 1),
  txId: string(256, 1),
  at: time,
  caller: memberId,
  event,
}) as unknown as Schema<import('../domain/index.js').LedgerEventRecord>
