import type {
  ConsortiumSettings,
  Dataset,
  DatasetId,
  DatasetMetadata,
  Digest,
  Grant,
  GrantScope,
  KeyWrap,
  LedgerEvent,
  Member,
  MemberId,
  Nonce,
  PayloadLocation,
  PinnedTerms,
  Settlement,
  StatementAck,
  Terms,
  UsageRecord,
  UsageTotals,
  Version,
} from '../domain/index.js'
import { ADMISSION_RULES, ROLES, SCOPE_KINDS } from '../domain/index.js'
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
  /** A key wrap is exactly this long: the DPKW v1 envelope (see {@link WRAP}). */
  wrapped: 91,
  usageBatch: 1000,
  payloadBatch: 64,
  chunk: 16 * 1024 * 1024 + 16,
  storeName: 64,
  /** A payload store's address for a version (printable ASCII). */
  storeAddress: 128,
  /** Plaintext chunk sizes a version may use. */
  minChunkSize: 1024,
  maxChunkSize: 16 * 1024 * 1024,
  /** Billing period lengths the settings may give: a minute to 366 days. */
  minPeriodSeconds: 60,
  maxPeriodSeconds: 366 * 86400,
  uint32: 0xffff_ffff,
  /** Ledger times and sizes stay below 2^53 so every language reads them exactly. */
  uint53: Number.MAX_SAFE_INTEGER,
} as const

/** The key-wrap envelope every ledger accepts: its length and fixed prefix (see `crypto/wrap.ts`). */
export const WRAP = {
  length: LIMITS.wrapped,
  prefix: /* @__PURE__ */ Uint8Array.of(0x44, 0x50, 0x4b, 0x57, 0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03),
} as const

/**
 * A tag: no ASCII space or control character; anything else (other scripts included) is allowed. Byte-checkable, so
 * the EVM contract enforces exactly the same rule.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what the rule excludes.
const TAG = /^[^\x00-\x20\x7f]+$/

const hex32Of = <T extends string>() => string<T>(64, 64, /^[0-9a-f]{64}$/, '64 lowercase hex characters')
/** 32 bytes as 64 lowercase hex characters. */
export const hex32 = hex32Of<string>()
/** A member id: 1..512 printable ASCII characters without spaces. */
export const memberId = string<MemberId>(
  LIMITS.memberId,
  1,
  /^[\x21-\x7e]+$/,
  'member id of printable ASCII without spaces',
)
/** A dataset id: 32 bytes as 64 lowercase hex characters. */
export const datasetId = hex32Of<DatasetId>()
/** A 32-byte digest (SHA-256, Merkle root). */
export const digest = bytes<Digest>({ length: 32 })
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
export const nonce = string<Nonce>(32, 32, /^[0-9a-f]{32}$/, '32 lowercase hex characters')
/** One role: `admin`, `provider`, `consumer` or `regulator`. */
export const role = literal(...ROLES)
/** A non-empty list of roles. */
export const roles = array(role, ROLES.length, 1)
/**
 * X25519 public keys (u-coordinates, little-endian) of small order, or otherwise unusable: libsodium's blacklist
 * (`has_small_order` in crypto_scalarmult/curve25519/ref10/x25519_ref10.c). A key is refused when its first 31
 * bytes and its last byte with the top bit cleared equal one of these. The Solidity contract mirrors this list.
 */
export const WEAK_ENVELOPE_KEYS: readonly string[] = [
  // 0
  '0000000000000000000000000000000000000000000000000000000000000000',
  // 1
  '0100000000000000000000000000000000000000000000000000000000000000',
  // order 8
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  // p - 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  // p (= 0)
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  // p + 1 (= 1)
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]

const WEAK_KEY_BYTES = /* @__PURE__ */ WEAK_ENVELOPE_KEYS.map(h =>
  Uint8Array.from({ length: 32 }, (_, i) => Number.parseInt(h.slice(2 * i, 2 * i + 2), 16)),
)

/**
 * Whether a 32-byte X25519 public key is on libsodium's small-order blacklist ({@link WEAK_ENVELOPE_KEYS}),
 * compared after clearing the top bit of the last byte. Such a key gives an all-zero shared secret: HPKE refuses to
 * wrap to it, so a member holding one would block every publish of a dataset it has a grant on.
 */
export function isWeakEnvelopeKey(key: Uint8Array): boolean {
  if (key.length !== 32) return true
  return WEAK_KEY_BYTES.some(weak => {
    for (let i = 0; i < 31; i++) if (key[i] !== weak[i]) return false
    return (key[31]! & 0x7f) === weak[31]
  })
}

const x25519Key = bytes({ length: 32 })

/** An envelope (X25519) public key: 32 bytes, not of small order (see {@link isWeakEnvelopeKey}). */
export const envelopeKey: Schema<Uint8Array> = {
  check(v, path, borrow) {
    const key = x25519Key.check(v, path, borrow)
    if (isWeakEnvelopeKey(key))
      throw invalidArgument(path, 'an X25519 public key not of small order', 'a small-order key')
    return key
  },
  toWire: v => v,
  fromWire(w, path) {
    return this.check(w, path)
  },
}
/** A member's display name: 1..200 characters. */
export const memberName = string(LIMITS.name, 1)

/** Consortium settings: admission rule, regulator escrow, billing period length. */
export const settings: Schema<ConsortiumSettings> = object({
  admission: literal(...ADMISSION_RULES),
  regulatorEscrow: nullable(memberId),
  periodSeconds: int(LIMITS.minPeriodSeconds, LIMITS.maxPeriodSeconds),
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
  address: string(LIMITS.storeAddress, 1, /^[\x21-\x7e]+$/, 'store address of printable ASCII'),
})

/** A version record. */
export const version: Schema<Version> = object({
  datasetId,
  number: versionNumber,
  plaintextDigest: digest,
  merkleRoot: digest,
  size: int(1, LIMITS.uint53),
  chunkSize: int(LIMITS.minChunkSize, LIMITS.maxChunkSize),
  chunkCount: int(1, LIMITS.uint32),
  header: bytes({ min: 1, max: LIMITS.header }),
  keyCommitment: digest,
  location,
  previous: uint32,
  publisher: memberId,
  publishedAt: time,
})

/** The terms a grant pins: prices and currency (the licence is not part of the price). */
export const pinnedTerms: Schema<PinnedTerms> = object({ pricePerAccess: money, pricePerByte: money, currency })

/** A grant's scope: all versions, from version N, or exactly version N. */
export const scope = object({ kind: literal(...SCOPE_KINDS), version: uint32 }) as Schema<GrantScope>

/** A grant record. */
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
  const check = (v: unknown, path: string, borrow?: boolean): Uint8Array => {
    const b = inner.check(v, path, borrow)
    for (let i = 0; i < WRAP.prefix.length; i++)
      if (b[i] !== WRAP.prefix[i]) throw invalidArgument(path, 'a Datapact key wrap envelope (DPKW v1)', 'other bytes')
    return b
  }
  return { check, toWire: v => v, fromWire: check }
})()
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
  wrapHash: digest,
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

/** One party's acknowledgement of a statement: digest, amount and count. */
export const statementAck: Schema<StatementAck> = object({ digest, amount: money, count: int(0, LIMITS.uint53) })

/** A settlement record: both parties' acknowledged digests and the settled totals. */
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

/** A transaction's events, in order. */
export const events = array(event, 100_000)

/** A `readEvents` cursor: an opaque position of 1..128 characters. */
export const cursor = string(128, 1)

/** A ledger event with its cursor, transaction id, ledger time and caller. */
export const eventRecord = object({
  cursor,
  txId: string(256, 1),
  at: time,
  caller: memberId,
  event,
}) as unknown as Schema<import('../domain/index.js').LedgerEventRecord>
