import { decode, encode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import type { Schema } from '../codec/schema.js'
import type { Dataset, Grant, Member, MemberId, Settlement, UsageTotals, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import type { StatePort } from './port.js'

/**
 * State keys. One flat namespace of printable keys so that every backend (a map, Fabric world state)
 * stores and range-scans them the same way. Numbers are zero-padded so key order is numeric order.
 */
export const keys = {
  /** The consortium settings. */
  settings: () => 'settings',
  /** A member record. */
  member: (id: MemberId) => `member/${id}`,
  /** Prefix of every member record. */
  members: () => 'member/',
  /** The roles an admin admitted a member with, before it joins. */
  admission: (id: MemberId) => `admission/${id}`,
  /** A dataset record. */
  dataset: (id: string) => `dataset/${id}`,
  /** Prefix of every dataset record. */
  datasets: () => 'dataset/',
  /** A dataset's version `n` (zero-padded to 10 digits). */
  version: (id: string, n: number) => `version/${id}/${pad(n)}`,
  /** Prefix of a dataset's versions. */
  versions: (id: string) => `version/${id}/`,
  /** A grantee's grant on a dataset. */
  grant: (id: string, grantee: MemberId) => `grant/${id}/${grantee}`,
  /** Prefix of a dataset's grants. */
  grants: (id: string) => `grant/${id}/`,
  /** Prefix of every grant. */
  allGrants: () => 'grant/',
  /** Grantees whose grant may be in force (granted, not revoked; expired ones are pruned by the next publish). */
  active: (id: string, grantee: MemberId) => `active/${id}/${grantee}`,
  /** Prefix of a dataset's grantees whose grant may be in force. */
  actives: (id: string) => `active/${id}/`,
  /** A member's wrapped data key for version `n` of a dataset. */
  wrap: (id: string, n: number, member: MemberId) => `wrap/${id}/${pad(n)}/${member}`,
  /** Marks a consumer's used usage nonce. */
  nonce: (consumer: MemberId, nonce: string) => `nonce/${consumer}/${nonce}`,
  /** Running usage totals of one provider, consumer, period and currency. */
  totals: (k: StatementKey) => `totals/${k.provider}/${k.consumer}/${pad(k.period, 16)}/${k.currency}`,
  /** The settlement of one provider, consumer, period and currency. */
  settlement: (k: StatementKey) => `settlement/${k.provider}/${k.consumer}/${pad(k.period, 16)}/${k.currency}`,
  /** Upload progress of a ledger-stored payload. */
  payload: (upload: string) => `payload/${upload}`,
  /** One ciphertext chunk of an upload (index zero-padded to 10 digits). */
  chunk: (upload: string, index: number) => `chunk/${upload}/${pad(index)}`,
  /** Prefix of an upload's chunks. */
  chunks: (upload: string) => `chunk/${upload}/`,
} as const

export interface StatementKey {
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
}

const pad = (n: number, width = 10) => n.toString().padStart(width, '0')

/** Typed access to the port: values are canonical CBOR of the domain records. */
export class State {
  constructor(readonly port: StatePort) {}

  async read<T>(schema: Schema<T>, key: string): Promise<T | undefined> {
    const bytes = await this.port.get(key)
    return bytes === undefined ? undefined : decodeStored(schema, bytes, key)
  }

  write<T>(schema: Schema<T>, key: string, value: T): Promise<void> {
    return this.port.put(key, encode(schema, value))
  }

  async list<T>(schema: Schema<T>, prefix: string): Promise<T[]> {
    const entries = await this.port.range(prefix)
    return entries.map(([key, bytes]) => decodeStored(schema, bytes, key))
  }

  member = (id: MemberId) => this.read(r.member, keys.member(id))
  dataset = (id: string) => this.read(r.dataset, keys.dataset(id))
  version = (id: string, n: number) => this.read(r.version, keys.version(id, n))
  grant = (id: string, grantee: MemberId) => this.read(r.grant, keys.grant(id, grantee))
  totals = (k: StatementKey) => this.read(r.totals, keys.totals(k))
  settlement = (k: StatementKey) => this.read(r.settlement, keys.settlement(k))

  async settings() {
    return this.read(r.settings, keys.settings())
  }

  /** The caller as an active member, or ACCESS_DENIED. */
  async activeCaller(): Promise<Member> {
    const id = this.port.caller()
    const m = await this.member(id)
    if (m?.status !== 'active')
      throw new DatapactError('ACCESS_DENIED', 'the caller is not an active member of the consortium', {
        details: { member: id },
      })
    return m
  }

  async requireDataset(id: string): Promise<Dataset> {
    const ds = await this.dataset(id)
    if (!ds) throw new DatapactError('NOT_FOUND', `dataset ${id} does not exist`, { details: { datasetId: id } })
    return ds
  }

  async requireVersion(id: string, n: number): Promise<Version> {
    const v = await this.version(id, n)
    if (!v)
      throw new DatapactError('NOT_FOUND', `version ${n} of dataset ${id} does not exist`, {
        details: { datasetId: id, version: n },
      })
    return v
  }

  async requireGrant(id: string, grantee: MemberId): Promise<Grant> {
    const g = await this.grant(id, grantee)
    if (!g)
      throw new DatapactError('NOT_FOUND', `no grant on dataset ${id} for ${grantee}`, {
        details: { datasetId: id, grantee },
      })
    return g
  }

  async emptyTotals(k: StatementKey): Promise<UsageTotals> {
    return (await this.totals(k)) ?? { ...k, count: 0, bytes: 0, amount: 0n }
  }

  async emptySettlement(k: StatementKey): Promise<Settlement> {
    return (
      (await this.settlement(k)) ?? {
        ...k,
        providerAck: null,
        consumerAck: null,
        statements: 0,
        closedCount: 0,
        closedAmount: 0n,
        settledDigest: null,
        settledAmount: null,
        settledCount: null,
        settledAt: null,
      }
    )
  }
}

/** Stored state that fails to decode means the state itself was damaged: INTEGRITY, naming the key. */
function decodeStored<T>(schema: Schema<T>, bytes: Uint8Array, key: string): T {
  try {
    return decode(schema, bytes, key)
  } catch (cause) {
    throw new DatapactError('INTEGRITY', `ledger state at ${key} does not decode`, { details: { key }, cause })
  }
}
