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
  PinnedTerms,
  Settlement,
  StatementAck,
  Terms,
  UsageRecord,
  UsageTotals,
  Version,
} from '../domain/index.js'
import { ROLES } from '../domain/index.js'
import { invalidArgument, MAX_AMOUNT } from '../internal/assert.js'
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

/** The key-wrap envelope every ledger accepts: its length and fixed prefix (see `crypto/wrap.ts`). */
export const WRAP = {
  length: 91,
  prefix: /* @__PURE__ */ Uint8Array.of(0x44, 0x50, 0x4b, 0x57, 0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03),
} as const

/**
 * A tag: no ASCII space or control character; anything else (other scripts included) is allowed. Byte-checkable, so
 * the EVM contract enforces exactly the same rule.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what the rule excludes.
const TAG = /^[^\x00-\x20\x7f]+$/

export const hex32 = string(64, 64, /^[0-9a-f]{64}$/, '64 lowercase hex characters')
export const memberId = string(LIMITS.memberId, 1, /^[\x21-\x7e]+$/, 'member id of printable ASCII without spaces')
export const datasetId = hex32
export const digest = bytes({ length: 32 })
export const uint32 = int(0, LIMITS.uint32)
export const versionNumber = int(1, LIMITS.uint32)
export const time = int(0, LIMITS.uint53)
export const money = amount(MAX_AMOUNT)
export const currency = string(8, 3, /^[A-Z0-9]{3,8}$/, 'currency code of 3-8 upper-case letters or digits')
export const nonce = string(32, 32, /^[0-9a-f]{32}$/, '32 lowercase hex characters')
export const role = literal(...ROLES)
export const roles = array(role, ROLES.length, 1)
export const envelopeKey = bytes({ length: 32 })
export const memberName = string(LIMITS.name, 1)

export const settings: Schema<ConsortiumSettings> = object({
  admission: literal('open', 'admin'),
  regulatorEscrow: nullable(memberId),
  periodSeconds: int(60, 366 * 86400),
})

export const member: Schema<Member> = object({
  id: memberId,
  name: memberName,
  roles,
  envelopeKey,
  status: literal('active', 'left'),
  joinedAt: time,
})

export const metadata: Schema<DatasetMetadata> = object({
  title: string(LIMITS.title, 1),
  description: string(LIMITS.description),
  tags: array(string(LIMITS.tag, 1, TAG, 'tag without spaces or control characters'), LIMITS.tags),
  mediaType: string(LIMITS.mediaType),
  schema: string(LIMITS.schema),
})

export const terms: Schema<Terms> = object({
  pricePerAccess: money,
  pricePerByte: money,
  currency,
  licence: string(LIMITS.licence),
})

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

export const storeName = string(
  LIMITS.storeName,
  1,
  /^[a-z0-9][a-z0-9._-]*$/,
  'store name of lowercase letters, digits, . _ -',
)

export const location: Schema<PayloadLocation> = object({
  store: storeName,
  address: string(128, 1, /^[\x21-\x7e]+$/, 'store address of printable ASCII'),
})

export const version: Schema<Version> = object({
  datasetId,
  number: versionNumber,
  plaintextDigest: digest,
  merkleRoot: digest,
  size: int(1, LIMITS.uint53),
  chunkSize: int(1024, 16 * 1024 * 1024),
  chunkCount: int(1, LIMITS.uint32),
  header: bytes({ min: 1, max: LIMITS.header }),
  keyCommitment: digest,
  location,
  previous: uint32,
  publisher: memberId,
  publishedAt: time,
})

export const pinnedTerms: Schema<PinnedTerms> = object({ pricePerAccess: money, pricePerByte: money, currency })

export const scope = object({ kind: literal('all', 'from', 'exact'), version: uint32 }) as Schema<GrantScope>

export const grant: Schema<Grant> = object({
  datasetId,
  grantee: memberId,
  seq: int(1, LIMITS.uint32),
  scope,
  expiresAt: nullable(time),
  maxAccesses: nullable(int(1, LIMITS.uint32)),
  priceOverride: nullable(money),
  terms: pinnedTerms,
  used: uint32,
  state: literal('active', 'revoked'),
  grantedAt: time,
  revokedAt: nullable(time),
  lastUsedAt: nullable(time),
})

/**
 * A key wrap as the ledger accepts it: the fixed-size envelope of `crypto/wrap.ts` (91 bytes: `DPKW`, version 1,
 * the HPKE suite ids 0x0020 0x0001 0x0003, enc, sealed key). Checked byte by byte so every ledger refuses the same.
 */
export const wrapped: Schema<Uint8Array> = (() => {
  const inner = bytes({ length: WRAP.length })
  const check = (v: unknown, path: string): Uint8Array => {
    const b = inner.check(v, path)
    for (let i = 0; i < WRAP.prefix.length; i++)
      if (b[i] !== WRAP.prefix[i]) throw invalidArgument(path, 'a Datapact key wrap envelope (DPKW v1)', 'other bytes')
    return b
  }
  return { check, toWire: v => v, fromWire: check }
})()
export const keyWrap: Schema<KeyWrap> = object({ member: memberId, wrapped })
export const versionWrap = object({ version: versionNumber, wrapped })

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
  wrapHash: digest,
})

export const totals: Schema<UsageTotals> = object({
  provider: memberId,
  consumer: memberId,
  period: int(0, LIMITS.uint53),
  currency,
  count: int(0, LIMITS.uint53),
  bytes: int(0, LIMITS.uint53),
  amount: money,
})

export const statementAck: Schema<StatementAck> = object({ digest, amount: money, count: int(0, LIMITS.uint53) })

export const settlement: Schema<Settlement> = object({
  provider: memberId,
  consumer: memberId,
  period: int(0, LIMITS.uint53),
  currency,
  providerAck: nullable(statementAck),
  consumerAck: nullable(statementAck),
  statements: uint32,
  closedCount: int(0, LIMITS.uint53),
  closedAmount: money,
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
  TermsAccepted: object({ datasetId, grantee: memberId, seq: int(1, LIMITS.uint32), terms: pinnedTerms }),
  UsageRecorded: object({ record: usageRecord }),
  StatementAcknowledged: object({
    ...statementKey,
    party: memberId,
    digest,
    amount: money,
    count: int(0, LIMITS.uint53),
  }),
  StatementSettled: object({
    ...statementKey,
    sequence: int(1, LIMITS.uint32),
    digest,
    amount: money,
    count: int(0, LIMITS.uint53),
  }),
  PayloadStored: object({ upload: hex32, first: uint32, count: uint32, complete: boolean }),
}) as unknown as Schema<LedgerEvent>

export const events = array(event, 100_000)

export const eventRecord = object({
  cursor: string(128, 1),
  txId: string(256, 1),
  at: time,
  caller: memberId,
  event,
}) as unknown as Schema<import('../domain/index.js').LedgerEventRecord>
