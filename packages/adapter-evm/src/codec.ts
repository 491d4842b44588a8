/**
 * Mapping between core's domain values and the Datapact contract's ABI: member ids are lowercase 0x addresses,
 * dataset and upload ids 32-byte words, roles a bitmask, currencies `bytes8`, and "none" a 0 or a flag.
 */
import type {
  ConsortiumSettings,
  Dataset,
  DatasetMetadata,
  Grant,
  GrantScope,
  LedgerEvent,
  Member,
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
import { AbiCoder, getBytes, hexlify, keccak256, type Result, ZeroAddress } from 'ethers'

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
export const lower = (address: string): string => address.toLowerCase()
const num = (v: bigint | number): number => Number(v)
const bytes = (hex: string): Uint8Array => getBytes(hex)

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
export const uintToNonce = (n: bigint): string => n.toString(16).padStart(32, '0')

// --------------------------------------------------------------------- calls

const settingsTuple = (s: ConsortiumSettings) => [
  s.admission === 'admin' ? 1 : 0,
  s.regulatorEscrow === null ? ZeroAddress : toAddress(s.regulatorEscrow, 'settings.regulatorEscrow'),
  s.periodSeconds,
]
const metadataTuple = (m: DatasetMetadata) => [m.title, m.description, m.tags, m.mediaType, m.schema]
const termsTuple = (t: Terms) => [t.pricePerAccess, t.pricePerByte, currencyToBytes8(t.currency), t.licence]
const versionWraps = (wraps: Array<{ version: number; wrapped: Uint8Array }>) => wraps.map(w => [w.version, w.wrapped])

/** The contract function and arguments of a write rule call (arguments already checked by core's schema). */
export function encodeCall<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): { fn: string; values: unknown[] } {
  switch (rule) {
    case 'joinConsortium': {
      const { name, roles, envelopeKey, settings } = args as WriteArgs['joinConsortium']
      // Bootstrap settings carry no escrow (the rule refuses one); any given escrow is encoded so the ledger refuses it.
      const s = settings === null ? [0, ZeroAddress, 0] : settingsTuple(settings)
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
      return { fn: rule, values: [settingsTuple((args as WriteArgs['updateSettings']).settings)] }
    case 'registerDataset':
    case 'updateDataset': {
      const { datasetId, metadata, terms, listed } = args as WriteArgs['registerDataset']
      return { fn: rule, values: [toWord(datasetId), metadataTuple(metadata), termsTuple(terms), listed] }
    }
    case 'retireDataset':
      return { fn: rule, values: [toWord((args as WriteArgs['retireDataset']).datasetId)] }
    case 'storePayload': {
      const p = args as WriteArgs['storePayload']
      return { fn: rule, values: [toWord(p.upload), p.first, p.chunks, p.last] }
    }
    case 'publishVersion': {
      const v = args as WriteArgs['publishVersion']
      const params = [
        toWord(v.datasetId),
        v.number,
        v.plaintextDigest,
        v.merkleRoot,
        v.size,
        v.chunkSize,
        v.chunkCount,
        v.header,
        v.keyCommitment,
        [v.location.store, v.location.address],
      ]
      const wraps = v.wraps.map((w, i) => [toAddress(w.member, `wraps[${i}].member`), w.wrapped])
      return { fn: rule, values: [params, wraps] }
    }
    case 'grantAccess': {
      const g = args as WriteArgs['grantAccess']
      // On-chain 0 means "never": a literal 0 (always in the past) is sent as 1, which the ledger refuses the same way.
      const expiresAt = g.expiresAt === null ? 0 : g.expiresAt === 0 ? 1 : g.expiresAt
      const terms = [
        SCOPES.indexOf(g.scope.kind),
        g.scope.version,
        expiresAt,
        g.maxAccesses ?? 0,
        g.priceOverride !== null,
        g.priceOverride ?? 0n,
      ]
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
        values: [toWord(datasetId), [t.pricePerAccess, t.pricePerByte, currencyToBytes8(t.currency)]],
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

export const decodeSettings = (s: Result | unknown[]): ConsortiumSettings => ({
  admission: Number(s[0]) === 1 ? 'admin' : 'open',
  regulatorEscrow: s[1] === ZeroAddress ? null : lower(s[1] as string),
  periodSeconds: num(s[2] as bigint),
})
export const decodeMetadata = (m: Result): DatasetMetadata => ({
  title: m[0],
  description: m[1],
  tags: [...(m[2] as Result)] as string[],
  mediaType: m[3],
  schema: m[4],
})
const decodeTerms = (t: Result): Terms => ({
  pricePerAccess: t[0],
  pricePerByte: t[1],
  currency: bytes8ToCurrency(t[2]),
  licence: t[3],
})
const decodePinned = (t: Result): PinnedTerms => ({
  pricePerAccess: t.pricePerAccess,
  pricePerByte: t.pricePerByte,
  currency: bytes8ToCurrency(t.currency),
})
const decodeScope = (kind: bigint | number, version: bigint | number): GrantScope => ({
  kind: SCOPES[Number(kind)] ?? 'all',
  version: num(version),
})

/** Hash the contract stores for a dataset's metadata and licence. */
export const metadataHash = (metadata: DatasetMetadata, licence: string): string =>
  keccak256(coder.encode(['tuple(string,string,string[],string,string)', 'string'], [metadataTuple(metadata), licence]))
/** Hash the contract stores for a version's header and location. */
export const versionInfoHash = (header: Uint8Array, store: string, address: string): string =>
  keccak256(coder.encode(['bytes', 'tuple(string,string)'], [header, [store, address]]))

/** A log decoded into core events, plus who caused it (undefined: the caller of the transaction's previous log). */
export interface DecodedLog {
  events: LedgerEvent[]
  caller: string | undefined
}

/**
 * Core events of one decoded Datapact log. One UsageRecorded log (a batch) gives one event per record.
 *
 * @param name - Event name.
 * @param a - Decoded arguments (indexed and not, in declaration order).
 */
export function toLedgerEvents(name: string, a: Result): DecodedLog {
  switch (name) {
    case 'ConsortiumBootstrapped':
      return one({ type: name, admin: lower(a[0]), settings: decodeSettings(a[1]) }, a[0])
    case 'SettingsUpdated':
      return one({ type: name, settings: decodeSettings(a[1]) }, a[0])
    case 'MemberAdmitted':
      return one({ type: name, member: lower(a[0]), roles: maskToRoles(a[2]) }, a[1])
    case 'MemberJoined':
      return one(
        { type: name, member: lower(a[0]), name: a[1], roles: maskToRoles(a[2]), envelopeKey: bytes(a[3]) },
        a[0],
      )
    case 'MemberRolesChanged':
      return one({ type: name, member: lower(a[0]), roles: maskToRoles(a[2]) }, a[1])
    case 'EnvelopeKeyRotated':
      return one({ type: name, member: lower(a[0]), envelopeKey: bytes(a[1]) }, a[0])
    case 'MemberLeft':
      return one({ type: name, member: lower(a[0]) }, a[0])
    case 'DatasetRegistered': {
      const dataset: Dataset = {
        id: fromWord(a[0]),
        owner: lower(a[1]),
        metadata: decodeMetadata(a[2]),
        terms: decodeTerms(a[3]),
        listed: a[4],
        status: 'active',
        latestVersion: 0,
        grantCount: 0,
        createdAt: num(a[5]),
      }
      return one({ type: name, dataset }, a[1])
    }
    case 'DatasetUpdated':
      return one(
        {
          type: name,
          datasetId: fromWord(a[0]),
          metadata: decodeMetadata(a[2]),
          terms: decodeTerms(a[3]),
          listed: a[4],
        },
        a[1],
      )
    case 'DatasetRetired':
      return one({ type: name, datasetId: fromWord(a[0]) }, a[1])
    case 'PayloadStored':
      return one(
        { type: name, upload: fromWord(a[0]), first: num(a[2]), count: (a[4] as Result).length, complete: a[3] },
        a[1],
      )
    case 'VersionPublished': {
      const p = a[3] as Result
      const version: Version = {
        datasetId: fromWord(p[0]),
        number: num(p[1]),
        plaintextDigest: bytes(p[2]),
        merkleRoot: bytes(p[3]),
        size: num(p[4]),
        chunkSize: num(p[5]),
        chunkCount: num(p[6]),
        header: bytes(p.header),
        keyCommitment: bytes(p.keyCommitment),
        location: { store: p.location.store, address: p.location.addr },
        previous: num(p[1]) - 1,
        publisher: lower(a[2]),
        publishedAt: num(a[4]),
      }
      const wrappedFor = (a[5] as Result).map(w => lower(w[0])).sort()
      return one({ type: name, version, wrappedFor }, a[2])
    }
    case 'AccessGranted': {
      const t = a.terms as Result
      const grant: Grant = {
        datasetId: fromWord(a[0]),
        grantee: lower(a[1]),
        seq: num(a[3]),
        scope: decodeScope(t[0], t[1]),
        expiresAt: Number(t[2]) === 0 ? null : num(t[2]),
        maxAccesses: Number(t[3]) === 0 ? null : num(t[3]),
        priceOverride: t[4] ? (t[5] as bigint) : null,
        terms: decodePinned(a.pinned),
        used: 0,
        state: 'active',
        grantedAt: num(a.grantedAt),
        revokedAt: null,
        lastUsedAt: null,
      }
      const wrappedVersions = (a.wraps as Result).map(w => num(w[0])).sort((x, y) => x - y)
      return one({ type: name, grant, wrappedVersions }, a[2])
    }
    case 'KeysWrapped': {
      const versions = (a[3] as Result).map(w => num(w[0])).sort((x, y) => x - y)
      return one({ type: name, datasetId: fromWord(a[0]), member: lower(a[1]), versions }, a[2])
    }
    case 'AccessRevoked':
      return one({ type: name, datasetId: fromWord(a[0]), grantee: lower(a[1]), seq: num(a[3]) }, a[2])
    case 'TermsAccepted':
      return one(
        {
          type: name,
          datasetId: fromWord(a.datasetId),
          grantee: lower(a.grantee),
          seq: num(a.seq),
          terms: decodePinned(a.terms),
        },
        a.grantee,
      )
    case 'UsageRecorded':
      return { events: usageEvents(a), caller: lower(a[0]) }
    case 'StatementAcknowledged':
      return one(
        {
          type: name,
          provider: lower(a[0]),
          consumer: lower(a[1]),
          period: num(a[3]),
          currency: bytes8ToCurrency(a[4]),
          party: lower(a[2]),
          digest: bytes(a[5]),
          amount: a[6],
          count: num(a[7]),
        },
        a[2],
      )
    case 'StatementSettled':
      return {
        events: [
          {
            type: name,
            provider: lower(a[0]),
            consumer: lower(a[1]),
            period: num(a[2]),
            currency: bytes8ToCurrency(a.currency),
            sequence: num(a.sequence),
            digest: bytes(a.digest),
            amount: a.amount,
            count: num(a.count),
          },
        ],
        caller: undefined,
      }
    default:
      return { events: [], caller: undefined }
  }
}

const one = (event: LedgerEvent, caller: string): DecodedLog => ({ events: [event], caller: lower(caller) })

function usageEvents(a: Result): LedgerEvent[] {
  const consumer = lower(a[0])
  const period = num(a[1])
  const at = num(a[2])
  const ids = a[3] as Result
  const context = (a[4] as Result).map((c: bigint) => ({
    provider: `0x${(c >> 96n).toString(16).padStart(40, '0')}`,
    grantSeq: Number((c >> 64n) & 0xffff_ffffn),
    currency: bytes8ToCurrency(`0x${(c & MASK_64).toString(16).padStart(16, '0')}`),
  }))
  const wrapHashes = (a.wrapHashes as Result).map((h: string) => bytes(h))
  const claims = a.claims as Result
  const out: LedgerEvent[] = []
  for (let i = 0; i + 1 < claims.length; i += 2) {
    const w0 = claims[i] as bigint
    const w1 = claims[i + 1] as bigint
    const index = Number((w1 >> 96n) & 0xffff_ffffn)
    const c = context[index]!
    const record: UsageRecord = {
      datasetId: fromWord(ids[index]),
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
      wrapHash: wrapHashes[Number((w1 >> 128n) & 0xffffn)]!.slice(),
    }
    out.push({ type: 'UsageRecorded', record })
  }
  return out
}

// --------------------------------------------------------------------- views

export const memberFromView = (v: Result): Member | null =>
  Number(v[1]) === 0
    ? null
    : {
        id: lower(v[0]),
        name: v[5],
        roles: maskToRoles(v[2]),
        envelopeKey: bytes(v[4]),
        status: Number(v[1]) === 1 ? 'active' : 'left',
        joinedAt: num(v[3]),
      }

/** Fields of a dataset kept in storage (the rest is in its info log). */
export interface DatasetState {
  id: string
  owner: string
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

export const datasetStateFromView = (v: Result): DatasetState | null =>
  v[1] === ZeroAddress
    ? null
    : {
        id: fromWord(v[0]),
        owner: lower(v[1]),
        retired: v[2],
        listed: v[3],
        latestVersion: num(v[4]),
        grantCount: num(v[5]),
        createdAt: num(v[6]),
        currency: bytes8ToCurrency(v[7]),
        pricePerAccess: v[8],
        pricePerByte: v[9],
        infoBlock: num(v[10]),
        infoHash: v[11],
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
  plaintextDigest: Uint8Array
  merkleRoot: Uint8Array
  size: number
  chunkSize: number
  chunkCount: number
  publishedAt: number
  publishedBlock: number
  infoHash: string
  keyCommitment: Uint8Array
}

export const versionStateFromView = (v: Result): VersionState | null =>
  Number(v[0]) === 0
    ? null
    : {
        number: num(v[0]),
        plaintextDigest: bytes(v[1]),
        merkleRoot: bytes(v[2]),
        size: num(v[3]),
        chunkSize: num(v[4]),
        chunkCount: num(v[5]),
        publishedAt: num(v[6]),
        publishedBlock: num(v[7]),
        infoHash: v[8],
        keyCommitment: bytes(v.keyCommitment),
      }

export const grantFromView = (datasetId: string, v: Result): Grant | null => {
  if (Number(v[1]) === 0) return null
  const t = v[2] as Result
  return {
    datasetId,
    grantee: lower(v[0]),
    seq: num(v[1]),
    scope: decodeScope(t[0], t[1]),
    expiresAt: Number(t[2]) === 0 ? null : num(t[2]),
    maxAccesses: Number(t[3]) === 0 ? null : num(t[3]),
    priceOverride: t[4] ? (t[5] as bigint) : null,
    used: num(v[3]),
    state: v[4] ? 'revoked' : 'active',
    grantedAt: num(v[5]),
    revokedAt: v[4] ? num(v[6]) : null,
    terms: decodePinned(v.pinned),
    lastUsedAt: Number(v.lastUsedAt) === 0 ? null : num(v.lastUsedAt),
  }
}

export interface StatementKey {
  provider: string
  consumer: string
  period: number
  currency: string
}

export const totalsFromView = (k: StatementKey, v: Result | null): UsageTotals => ({
  provider: k.provider,
  consumer: k.consumer,
  period: k.period,
  currency: k.currency,
  count: v ? num(v[0]) : 0,
  bytes: v ? num(v[1]) : 0,
  amount: v ? (v[2] as bigint) : 0n,
})

const ackFromView = (v: Result): StatementAck => ({ digest: bytes(v.digest), amount: v.amount, count: num(v.count) })

export const settlementFromView = (k: StatementKey, v: Result | null): Settlement => {
  const flags = v ? Number(v.flags) : 0
  const settled = v !== null && Number(v.statements) > 0
  return {
    provider: k.provider,
    consumer: k.consumer,
    period: k.period,
    currency: k.currency,
    providerAck: flags & 1 ? ackFromView(v!.providerAck) : null,
    consumerAck: flags & 2 ? ackFromView(v!.consumerAck) : null,
    statements: v ? num(v.statements) : 0,
    closedCount: v ? num(v.closedCount) : 0,
    closedAmount: v ? (v.closedAmount as bigint) : 0n,
    settledDigest: settled ? bytes(v!.settledDigest) : null,
    settledAmount: settled ? (v!.settledAmount as bigint) : null,
    settledCount: settled ? num(v!.settledCount) : null,
    settledAt: settled ? num(v!.settledAt) : null,
  }
}
