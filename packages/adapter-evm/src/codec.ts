/**
 * Mapping between core's domain values and the Datapact contract's ABI: member ids are lowercase 0x addresses,
 * dataset and upload ids 32-byte words, roles a bitmask, currencies `bytes8`, and "none" a 0 or a flag.
 */
import type {
  ConsortiumSettings,
  Dataset,
  DatasetId,
  DatasetMetadata,
  Digest,
  Grant,
  GrantScope,
  LedgerEvent,
  Member,
  MemberId,
  Nonce,
  PinnedTerms,
  Role,
  Settlement,
  StatementAck,
  Terms,
  UsageRecord,
  UsageTotals,
  Version,
} from '@datapact/core'
import { DatapactError, ROLES } from '@datapact/core'
import type { WriteArgs, WriteRuleName } from '@datapact/core/rules'
import { AbiCoder, getBytes, hexlify, keccak256, ZeroAddress } from 'ethers'
import type { EventArgs, EventName, ViewResult } from './abi.js'

const ADDRESS = /^0x[0-9a-f]{40}$/
const SCOPES = ['all', 'from', 'exact'] as const
const MASK_64 = (1n << 64n) - 1n
const MASK_128 = (1n << 128n) - 1n

/** Whether `id` is a member id the EVM ledger can hold: a lowercase 0x-prefixed address. */
export const isMemberAddress = (id: string): boolean => ADDRESS.test(id)

/** The address of a member id, or INVALID_INPUT naming `argument`. */
export function toAddress(id: string, argument: string): string {
  if (!isMemberAddress(id))
    throw new DatapactError(
      'INVALID_INPUT',
      `"${argument}" must be a member id of the EVM ledger: a lowercase address`,
      {
        details: { argument, expected: 'lowercase 0x-prefixed address', got: `string(${id.length})` },
      },
    )
  return id
}

export const toWord = (hex64: string): string => `0x${hex64}`
export const fromWord = (word: string): string => word.slice(2).toLowerCase()
/** A bytes32 word as a dataset id: its 64 hex characters, lowercased, are a dataset id by construction. */
export const datasetIdOf = (word: string): DatasetId => fromWord(word) as DatasetId
export const lower = (address: string): string => address.toLowerCase()
/** The member id of a signer's address (one ethers checked): the address, lowercased. */
export const memberIdOfAddress = (address: string): MemberId => lower(address) as MemberId
const num = (v: bigint | number): number => Number(v)
const bytes = (hex: string): Uint8Array => getBytes(hex)
/** A bytes32 word as a digest: 32 bytes by construction. */
const digestOf = (word: string): Digest => getBytes(word) as Digest

export const rolesToMask = (roles: Role[]): number =>
  ROLES.reduce((m, r, i) => (roles.includes(r) ? m | (1 << i) : m), 0)
export const maskToRoles = (mask: number | bigint): Role[] => ROLES.filter((_, i) => (Number(mask) & (1 << i)) !== 0)

/** A currency code as `bytes8`: ASCII, left-aligned, zero-padded. */
export const currencyToBytes8 = (code: string): string =>
  `0x${Buffer.from(code, 'latin1').toString('hex').padEnd(16, '0')}`
export const bytes8ToCurrency = (word: string): string =>
  Buffer.from(word.slice(2), 'hex').toString('latin1').replace(/\0+$/, '')

/** A nonce (32 lowercase hex characters) as a uint128 and back. */
export const nonceToUint = (nonce: string): bigint => BigInt(`0x${nonce}`)
export const uintToNonce = (n: bigint): Nonce => n.toString(16).padStart(32, '0') as Nonce

// --------------------------------------------------------------------- calls

// Struct arguments are objects named after the contract's struct fields (the ABI coder matches them by name).
const settingsStruct = (s: ConsortiumSettings) => ({
  admission: s.admission === 'admin' ? 1 : 0,
  regulatorEscrow: s.regulatorEscrow === null ? ZeroAddress : toAddress(s.regulatorEscrow, 'settings.regulatorEscrow'),
  periodSeconds: s.periodSeconds,
})
const metadataStruct = (m: DatasetMetadata) => ({
  title: m.title,
  description: m.description,
  tags: m.tags,
  mediaType: m.mediaType,
  schema: m.schema,
})
const termsStruct = (t: Terms) => ({
  pricePerAccess: t.pricePerAccess,
  pricePerByte: t.pricePerByte,
  currency: currencyToBytes8(t.currency),
  licence: t.licence,
})
const versionWraps = (wraps: Array<{ version: number; wrapped: Uint8Array }>) =>
  wraps.map(w => ({ version: w.version, wrapped: w.wrapped }))

/** The contract function and arguments of a write rule call (arguments already checked by core's schema). */
export function encodeCall<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): { fn: string; values: unknown[] } {
  switch (rule) {
    case 'joinConsortium': {
      const { name, roles, envelopeKey, settings } = args as WriteArgs['joinConsortium']
      // Bootstrap settings carry no escrow (the rule refuses one); any given escrow is encoded so the ledger refuses it.
      const s =
        settings === null ? { admission: 0, regulatorEscrow: ZeroAddress, periodSeconds: 0 } : settingsStruct(settings)
      return { fn: rule, values: [name, rolesToMask(roles), envelopeKey, settings !== null, s] }
    }
    case 'admitMember':
    case 'setMemberRoles': {
      const a = args as WriteArgs['admitMember']
      return { fn: rule, values: [toAddress(a.member, 'member'), rolesToMask(a.roles)] }
    }
    case 'rotateEnvelopeKey':
      return { fn: rule, values: [(args as WriteArgs['rotateEnvelopeKey']).envelopeKey] }
    case 'leaveConsortium':
      return { fn: rule, values: [] }
    case 'updateSettings':
      return { fn: rule, values: [settingsStruct((args as WriteArgs['updateSettings']).settings)] }
    case 'registerDataset':
    case 'updateDataset': {
      const { datasetId, metadata, terms, listed } = args as WriteArgs['registerDataset']
      return { fn: rule, values: [toWord(datasetId), metadataStruct(metadata), termsStruct(terms), listed] }
    }
    case 'retireDataset':
      return { fn: rule, values: [toWord((args as WriteArgs['retireDataset']).datasetId)] }
    case 'storePayload': {
      const p = args as WriteArgs['storePayload']
      return { fn: rule, values: [toWord(p.upload), p.first, p.chunks, p.last] }
    }
    case 'publishVersion': {
      const v = args as WriteArgs['publishVersion']
      const params = {
        datasetId: toWord(v.datasetId),
        number: v.number,
        plaintextDigest: v.plaintextDigest,
        merkleRoot: v.merkleRoot,
        size: v.size,
        chunkSize: v.chunkSize,
        chunkCount: v.chunkCount,
        header: v.header,
        keyCommitment: v.keyCommitment,
        location: { store: v.location.store, addr: v.location.address },
      }
      const wraps = v.wraps.map((w, i) => ({ member: toAddress(w.member, `wraps[${i}].member`), wrapped: w.wrapped }))
      return { fn: rule, values: [params, wraps] }
    }
    case 'grantAccess': {
      const g = args as WriteArgs['grantAccess']
      // On-chain 0 means "never": a literal 0 (always in the past) is sent as 1, which the ledger refuses the same way.
      const expiresAt = g.expiresAt === null ? 0 : g.expiresAt === 0 ? 1 : g.expiresAt
      const terms = {
        scopeKind: SCOPES.indexOf(g.scope.kind),
        scopeVersion: g.scope.version,
        expiresAt,
        maxAccesses: g.maxAccesses ?? 0,
        hasPriceOverride: g.priceOverride !== null,
        priceOverride: g.priceOverride ?? 0n,
      }
      return { fn: rule, values: [toWord(g.datasetId), toAddress(g.grantee, 'grantee'), terms, versionWraps(g.wraps)] }
    }
    case 'addKeyWraps': {
      const k = args as WriteArgs['addKeyWraps']
      return { fn: rule, values: [toWord(k.datasetId), toAddress(k.member, 'member'), versionWraps(k.wraps)] }
    }
    case 'revokeAccess': {
      const a = args as WriteArgs['revokeAccess']
      return { fn: rule, values: [toWord(a.datasetId), toAddress(a.grantee, 'grantee')] }
    }
    case 'acceptTerms': {
      const { datasetId, terms: t } = args as WriteArgs['acceptTerms']
      return {
        fn: rule,
        values: [
          toWord(datasetId),
          { pricePerAccess: t.pricePerAccess, pricePerByte: t.pricePerByte, currency: currencyToBytes8(t.currency) },
        ],
      }
    }
    case 'recordUsage':
      return { fn: rule, values: encodeUsage(args as WriteArgs['recordUsage']) }
    case 'acknowledgeStatement': {
      const s = args as WriteArgs['acknowledgeStatement']
      return {
        fn: rule,
        values: [
          toAddress(s.provider, 'provider'),
          toAddress(s.consumer, 'consumer'),
          s.period,
          currencyToBytes8(s.currency),
          s.digest,
          s.amount,
          s.count,
        ],
      }
    }
    default:
      throw new DatapactError('INVALID_INPUT', `unknown write rule "${String(rule)}"`, {
        details: { argument: 'rule' },
      })
  }
}

/**
 * The compact usage encoding (see the contract's `recordUsage`): the distinct datasets sorted, the distinct wrap
 * hashes in first-use order, and two words per record, `nonce << 128 | amount` and
 * `wrapIndex << 128 | datasetIndex << 96 | version << 64 | bytes`.
 */
export function encodeUsage(args: WriteArgs['recordUsage']): [string[], string[], bigint[]] {
  const ids = [...new Set(args.records.map(r => r.datasetId))].sort()
  const index = new Map(ids.map((id, i) => [id, BigInt(i)]))
  const wraps = new Map<string, bigint>()
  const claims: bigint[] = []
  for (const r of args.records) {
    const hash = hexlify(r.wrapHash)
    const w = wraps.get(hash) ?? BigInt(wraps.size)
    wraps.set(hash, w)
    claims.push((nonceToUint(r.nonce) << 128n) | r.amount)
    claims.push((w << 128n) | (index.get(r.datasetId)! << 96n) | (BigInt(r.version) << 64n) | BigInt(r.bytes))
  }
  return [ids.map(toWord), [...wraps.keys()], claims]
}

// -------------------------------------------------------------------- events

const coder = AbiCoder.defaultAbiCoder()

type SettingsValue = EventArgs<'SettingsUpdated'>['settings']
type MetadataValue = EventArgs<'DatasetRegistered'>['metadata']
type TermsValue = EventArgs<'DatasetRegistered'>['terms']
type PinnedValue = EventArgs<'AccessGranted'>['pinned']
type GrantTermsValue = EventArgs<'AccessGranted'>['terms']

export const decodeSettings = (s: SettingsValue): ConsortiumSettings => ({
  admission: s.admission === 1 ? 'admin' : 'open',
  regulatorEscrow: s.regulatorEscrow === ZeroAddress ? null : s.regulatorEscrow,
  periodSeconds: s.periodSeconds,
})
export const decodeMetadata = (m: MetadataValue): DatasetMetadata => ({
  title: m.title,
  description: m.description,
  tags: m.tags,
  mediaType: m.mediaType,
  schema: m.schema,
})
const decodeTerms = (t: TermsValue): Terms => ({
  pricePerAccess: t.pricePerAccess,
  pricePerByte: t.pricePerByte,
  currency: bytes8ToCurrency(t.currency),
  licence: t.licence,
})
const decodePinned = (t: PinnedValue): PinnedTerms => ({
  pricePerAccess: t.pricePerAccess,
  pricePerByte: t.pricePerByte,
  currency: bytes8ToCurrency(t.currency),
})
/** A grant's scope, expiry, quota and price override. */
const decodeGrantTerms = (t: GrantTermsValue) => ({
  scope: { kind: SCOPES[t.scopeKind] ?? 'all', version: t.scopeVersion } satisfies GrantScope,
  expiresAt: t.expiresAt === 0n ? null : num(t.expiresAt),
  maxAccesses: t.maxAccesses === 0 ? null : t.maxAccesses,
  priceOverride: t.hasPriceOverride ? t.priceOverride : null,
})

/** Hash the contract stores for a dataset's metadata and licence. */
export const metadataHash = (metadata: DatasetMetadata, licence: string): string =>
  keccak256(
    coder.encode(
      ['tuple(string title, string description, string[] tags, string mediaType, string schema)', 'string'],
      [metadataStruct(metadata), licence],
    ),
  )
/** Hash the contract stores for a version's header and location. */
export const versionInfoHash = (header: Uint8Array, store: string, address: string): string =>
  keccak256(coder.encode(['bytes', 'tuple(string store, string addr)'], [header, { store, addr: address }]))

/** A log decoded into core events, plus who caused it (undefined: the caller of the transaction's previous log). */
export interface DecodedLog {
  events: LedgerEvent[]
  caller: MemberId | undefined
}

const one = (event: LedgerEvent, caller: MemberId): DecodedLog => ({ events: [event], caller })

/** The version a VersionPublished log carries. */
export const versionFromEvent = (a: EventArgs<'VersionPublished'>): Version => {
  const p = a.version
  return {
    datasetId: datasetIdOf(p.datasetId),
    number: p.number,
    plaintextDigest: digestOf(p.plaintextDigest),
    merkleRoot: digestOf(p.merkleRoot),
    size: num(p.size),
    chunkSize: p.chunkSize,
    chunkCount: p.chunkCount,
    header: bytes(p.header),
    keyCommitment: digestOf(p.keyCommitment),
    location: { store: p.location.store, address: p.location.addr },
    previous: p.number - 1,
    publisher: a.publisher,
    publishedAt: num(a.publishedAt),
  }
}

const ascending = (x: number, y: number) => x - y

/** One function per event: its decoded arguments into core events and the caller. */
const EVENTS: { [N in EventName]: (a: EventArgs<N>) => DecodedLog } = {
  ConsortiumBootstrapped: a =>
    one({ type: 'ConsortiumBootstrapped', admin: a.admin, settings: decodeSettings(a.settings) }, a.admin),
  SettingsUpdated: a => one({ type: 'SettingsUpdated', settings: decodeSettings(a.settings) }, a.admin),
  MemberAdmitted: a => one({ type: 'MemberAdmitted', member: a.member, roles: maskToRoles(a.roles) }, a.admin),
  MemberJoined: a =>
    one(
      {
        type: 'MemberJoined',
        member: a.member,
        name: a.name,
        roles: maskToRoles(a.roles),
        envelopeKey: bytes(a.envelopeKey),
      },
      a.member,
    ),
  MemberRolesChanged: a => one({ type: 'MemberRolesChanged', member: a.member, roles: maskToRoles(a.roles) }, a.admin),
  EnvelopeKeyRotated: a =>
    one({ type: 'EnvelopeKeyRotated', member: a.member, envelopeKey: bytes(a.envelopeKey) }, a.member),
  MemberLeft: a => one({ type: 'MemberLeft', member: a.member }, a.member),
  DatasetRegistered: a => {
    const dataset: Dataset = {
      id: datasetIdOf(a.datasetId),
      owner: a.owner,
      metadata: decodeMetadata(a.metadata),
      terms: decodeTerms(a.terms),
      listed: a.listed,
      status: 'active',
      latestVersion: 0,
      grantCount: 0,
      createdAt: num(a.createdAt),
    }
    return one({ type: 'DatasetRegistered', dataset }, a.owner)
  },
  DatasetUpdated: a =>
    one(
      {
        type: 'DatasetUpdated',
        datasetId: datasetIdOf(a.datasetId),
        metadata: decodeMetadata(a.metadata),
        terms: decodeTerms(a.terms),
        listed: a.listed,
      },
      a.owner,
    ),
  DatasetRetired: a => one({ type: 'DatasetRetired', datasetId: datasetIdOf(a.datasetId) }, a.owner),
  PayloadStored: a =>
    one(
      {
        type: 'PayloadStored',
        upload: fromWord(a.upload),
        first: a.first,
        count: a.chunks.length,
        complete: a.complete,
      },
      a.owner,
    ),
  VersionPublished: a => {
    const wrappedFor = a.wraps.map(w => w.member).sort()
    return one({ type: 'VersionPublished', version: versionFromEvent(a), wrappedFor }, a.publisher)
  },
  AccessGranted: a => {
    const grant: Grant = {
      datasetId: datasetIdOf(a.datasetId),
      grantee: a.grantee,
      seq: a.seq,
      ...decodeGrantTerms(a.terms),
      terms: decodePinned(a.pinned),
      used: 0,
      state: 'active',
      grantedAt: num(a.grantedAt),
      revokedAt: null,
      lastUsedAt: null,
    }
    const wrappedVersions = a.wraps.map(w => w.version).sort(ascending)
    return one({ type: 'AccessGranted', grant, wrappedVersions }, a.owner)
  },
  KeysWrapped: a => {
    const versions = a.wraps.map(w => w.version).sort(ascending)
    return one({ type: 'KeysWrapped', datasetId: datasetIdOf(a.datasetId), member: a.member, versions }, a.owner)
  },
  AccessRevoked: a =>
    one({ type: 'AccessRevoked', datasetId: datasetIdOf(a.datasetId), grantee: a.grantee, seq: a.seq }, a.owner),
  TermsAccepted: a =>
    one(
      {
        type: 'TermsAccepted',
        datasetId: datasetIdOf(a.datasetId),
        grantee: a.grantee,
        seq: a.seq,
        terms: decodePinned(a.terms),
      },
      a.grantee,
    ),
  UsageRecorded: a => ({ events: usageEvents(a), caller: a.consumer }),
  StatementAcknowledged: a =>
    one(
      {
        type: 'StatementAcknowledged',
        provider: a.provider,
        consumer: a.consumer,
        period: num(a.period),
        currency: bytes8ToCurrency(a.currency),
        party: a.party,
        digest: digestOf(a.digest),
        amount: a.amount,
        count: num(a.count),
      },
      a.party,
    ),
  StatementSettled: a => ({
    events: [
      {
        type: 'StatementSettled',
        provider: a.provider,
        consumer: a.consumer,
        period: num(a.period),
        currency: bytes8ToCurrency(a.currency),
        sequence: a.sequence,
        digest: digestOf(a.digest),
        amount: a.amount,
        count: num(a.count),
      },
    ],
    caller: undefined,
  }),
}

/**
 * Core events of one decoded Datapact log. One UsageRecorded log (a batch) gives one event per record.
 *
 * @param name - Event name.
 * @param a - Its decoded arguments, by name ({@link decodeEvent}).
 */
export function toLedgerEvents<N extends EventName>(name: N, a: EventArgs<N>): DecodedLog {
  const map = EVENTS[name] as ((a: EventArgs<N>) => DecodedLog) | undefined
  return map ? map(a) : { events: [], caller: undefined }
}

/** The usage records of one UsageRecorded log (see the contract's `recordUsage` for the packing). */
function usageEvents(a: EventArgs<'UsageRecorded'>): LedgerEvent[] {
  const { consumer, datasetIds, claims } = a
  const period = num(a.period)
  const at = num(a.at)
  const context = a.context.map(c => ({
    provider: `0x${(c >> 96n).toString(16).padStart(40, '0')}` as MemberId,
    grantSeq: Number((c >> 64n) & 0xffff_ffffn),
    currency: bytes8ToCurrency(`0x${(c & MASK_64).toString(16).padStart(16, '0')}`),
  }))
  const wrapHashes = a.wrapHashes.map(digestOf)
  const out: LedgerEvent[] = []
  for (let i = 0; i + 1 < claims.length; i += 2) {
    const w0 = claims[i]!
    const w1 = claims[i + 1]!
    const index = Number((w1 >> 96n) & 0xffff_ffffn)
    const c = context[index]!
    const record: UsageRecord = {
      datasetId: datasetIdOf(datasetIds[index]!),
      version: Number((w1 >> 64n) & 0xffff_ffffn),
      consumer,
      provider: c.provider,
      bytes: Number(w1 & MASK_64),
      amount: w0 & MASK_128,
      currency: c.currency,
      period,
      at,
      nonce: uintToNonce(w0 >> 128n),
      grantSeq: c.grantSeq,
      wrapHash: wrapHashes[Number((w1 >> 128n) & 0xffffn)]!.slice() as Digest,
    }
    out.push({ type: 'UsageRecorded', record })
  }
  return out
}

// --------------------------------------------------------------------- views

export const memberFromView = (v: ViewResult<'getMember'>): Member | null =>
  v.status === 0
    ? null
    : {
        id: v.id,
        name: v.name,
        roles: maskToRoles(v.roles),
        envelopeKey: bytes(v.envelopeKey),
        status: v.status === 1 ? 'active' : 'left',
        joinedAt: num(v.joinedAt),
      }

/** Fields of a dataset kept in storage (the rest is in its info log). */
export interface DatasetState {
  id: DatasetId
  owner: MemberId
  retired: boolean
  listed: boolean
  latestVersion: number
  grantCount: number
  createdAt: number
  currency: string
  pricePerAccess: bigint
  pricePerByte: bigint
  infoBlock: number
  infoHash: string
}

export const datasetStateFromView = (v: ViewResult<'getDataset'>): DatasetState | null =>
  v.owner === ZeroAddress
    ? null
    : {
        id: datasetIdOf(v.id),
        owner: v.owner,
        retired: v.retired,
        listed: v.listed,
        latestVersion: v.latestVersion,
        grantCount: v.grantCount,
        createdAt: num(v.createdAt),
        currency: bytes8ToCurrency(v.currency),
        pricePerAccess: v.pricePerAccess,
        pricePerByte: v.pricePerByte,
        infoBlock: num(v.infoBlock),
        infoHash: v.infoHash,
      }

export const datasetFromState = (s: DatasetState, metadata: DatasetMetadata, licence: string): Dataset => ({
  id: s.id,
  owner: s.owner,
  metadata,
  terms: { pricePerAccess: s.pricePerAccess, pricePerByte: s.pricePerByte, currency: s.currency, licence },
  listed: s.listed,
  status: s.retired ? 'retired' : 'active',
  latestVersion: s.latestVersion,
  grantCount: s.grantCount,
  createdAt: s.createdAt,
})

/** Fields of a version kept in storage (header and location are in its VersionPublished log). */
export interface VersionState {
  number: number
  plaintextDigest: Digest
  merkleRoot: Digest
  size: number
  chunkSize: number
  chunkCount: number
  publishedAt: number
  publishedBlock: number
  infoHash: string
  keyCommitment: Digest
}

export const versionStateFromView = (v: ViewResult<'getVersion'>): VersionState | null =>
  v.number === 0
    ? null
    : {
        number: v.number,
        plaintextDigest: digestOf(v.plaintextDigest),
        merkleRoot: digestOf(v.merkleRoot),
        size: num(v.size),
        chunkSize: v.chunkSize,
        chunkCount: v.chunkCount,
        publishedAt: num(v.publishedAt),
        publishedBlock: num(v.publishedBlock),
        infoHash: v.infoHash,
        keyCommitment: digestOf(v.keyCommitment),
      }

export const grantFromView = (datasetId: DatasetId, v: ViewResult<'getGrant'>): Grant | null => {
  if (v.seq === 0) return null
  return {
    datasetId,
    grantee: v.grantee,
    seq: v.seq,
    ...decodeGrantTerms(v.terms),
    used: v.used,
    state: v.revoked ? 'revoked' : 'active',
    grantedAt: num(v.grantedAt),
    revokedAt: v.revoked ? num(v.revokedAt) : null,
    terms: decodePinned(v.pinned),
    lastUsedAt: v.lastUsedAt === 0n ? null : num(v.lastUsedAt),
  }
}

export interface StatementKey {
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
}

export const totalsFromView = (k: StatementKey, v: ViewResult<'getTotals'> | null): UsageTotals => ({
  provider: k.provider,
  consumer: k.consumer,
  period: k.period,
  currency: k.currency,
  count: v ? num(v.count) : 0,
  bytes: v ? num(v.byteCount) : 0,
  amount: v ? v.amount : 0n,
})

type AckValue = ViewResult<'getSettlement'>['providerAck']
const ackFromView = (v: AckValue): StatementAck => ({
  digest: digestOf(v.digest),
  amount: v.amount,
  count: num(v.count),
})

export const settlementFromView = (k: StatementKey, v: ViewResult<'getSettlement'> | null): Settlement => {
  const flags = v ? v.flags : 0
  const settled = v !== null && v.statements > 0
  return {
    provider: k.provider,
    consumer: k.consumer,
    period: k.period,
    currency: k.currency,
    providerAck: v && flags & 1 ? ackFromView(v.providerAck) : null,
    consumerAck: v && flags & 2 ? ackFromView(v.consumerAck) : null,
    statements: v ? v.statements : 0,
    closedCount: v ? num(v.closedCount) : 0,
    closedAmount: v ? v.closedAmount : 0n,
    settledDigest: settled ? digestOf(v.settledDigest) : null,
    settledAmount: settled ? v.settledAmount : null,
    settledCount: settled ? num(v.settledCount) : null,
    settledAt: settled ? num(v.settledAt) : null,
  }
}
