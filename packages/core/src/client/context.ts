import type { MemberKeys } from '../crypto/index.js'
import type { ConsortiumSettings, Dataset, DatasetId, Member, MemberId, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import type { LedgerAdapter, PayloadStore } from '../ledger/index.js'
import type { LedgerIndex } from '../ledgerIndex/index.js'
import { DEFAULT_SETTINGS } from '../rules/index.js'

/** What every area of the client shares: the ledger connection, the member's keys, the payload stores. */
export interface ClientContext {
  readonly ledger: LedgerAdapter
  readonly keys: MemberKeys
  readonly stores: ReadonlyMap<string, PayloadStore>
  readonly defaultStore: string
  readonly me: MemberId
  /** The member-side index of this member's node (statements and usage lists read it). */
  readonly index: LedgerIndex
}

export async function requireDataset(ctx: ClientContext, datasetId: DatasetId): Promise<Dataset> {
  const ds = await ctx.ledger.query('getDataset', { datasetId })
  if (!ds) throw new DatapactError('NOT_FOUND', `dataset ${datasetId} does not exist`, { details: { datasetId } })
  return ds
}

export async function requireVersion(ctx: ClientContext, datasetId: DatasetId, number: number): Promise<Version> {
  const v = await ctx.ledger.query('getVersion', { datasetId, number })
  if (!v)
    throw new DatapactError('NOT_FOUND', `version ${number} of dataset ${datasetId} does not exist`, {
      details: { datasetId, version: number },
    })
  return v
}

export async function requireMember(ctx: ClientContext, member: MemberId): Promise<Member> {
  const m = await ctx.ledger.query('getMember', { member })
  if (m?.status !== 'active')
    throw new DatapactError('NOT_FOUND', `${member} is not an active member`, { details: { member } })
  return m
}

export async function settingsOf(ctx: ClientContext): Promise<ConsortiumSettings> {
  return (await ctx.ledger.query('getSettings', {})) ?? DEFAULT_SETTINGS
}

export function storeFor(ctx: ClientContext, name: string): PayloadStore {
  const store = ctx.stores.get(name)
  if (!store)
    throw new DatapactError('NOT_FOUND', `no payload store named "${name}" was given to this client`, {
      details: { store: name },
    })
  return store
}
