/**
 * The ledger program: every rule of the consortium as a pure, deterministic state transition over a key-value
 * port. The memory ledger and the Fabric chaincode run exactly this code; the Solidity contract mirrors it and
 * the conformance suite proves the mirror holds.
 * @packageDocumentation
 */
import { decode, encode } from '../codec/cbor.js'
import type { LedgerEvent } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { acknowledgeStatement } from './billing.js'
import { publishVersion, registerDataset, retireDataset, storePayload, updateDataset } from './datasets.js'
import { type RuleDefinition, runDefinition } from './define.js'
import { acceptTerms, addKeyWraps, grantAccess, revokeAccess } from './grants.js'
import {
  admitMember,
  joinConsortium,
  leaveConsortium,
  rotateEnvelopeKey,
  setMemberRoles,
  updateSettings,
} from './members.js'
import * as queries from './queries.js'
import { recordUsage } from './usage.js'

/** Rules that change state: submitted as transactions. */
export const writeRules = {
  joinConsortium,
  admitMember,
  setMemberRoles,
  rotateEnvelopeKey,
  leaveConsortium,
  updateSettings,
  registerDataset,
  updateDataset,
  retireDataset,
  storePayload,
  publishVersion,
  grantAccess,
  addKeyWraps,
  revokeAccess,
  acceptTerms,
  recordUsage,
  acknowledgeStatement,
} as const

/** Rules that only read: evaluated on the caller's node. */
export const queryRules = {
  getSettings: queries.getSettings,
  getLedgerTime: queries.getLedgerTime,
  getMember: queries.getMember,
  listMembers: queries.listMembers,
  getDataset: queries.getDataset,
  listDatasets: queries.listDatasets,
  getVersion: queries.getVersion,
  listVersions: queries.listVersions,
  getGrant: queries.getGrant,
  listGrants: queries.listGrants,
  getKeyWrap: queries.getKeyWrap,
  getUsage: queries.getUsage,
  getTotals: queries.getTotals,
  getSettlement: queries.getSettlement,
  getPayload: queries.getPayload,
} as const

type ArgsOf<D> = D extends RuleDefinition<infer A, unknown> ? A : never
type ResultOf<D> = D extends RuleDefinition<unknown, infer R> ? R : never

export type WriteRuleName = keyof typeof writeRules
export type QueryName = keyof typeof queryRules
export type RuleName = WriteRuleName | QueryName
/** Arguments of each write rule. */
export type WriteArgs = { [K in WriteRuleName]: ArgsOf<(typeof writeRules)[K]> }
export type WriteResults = { [K in WriteRuleName]: ResultOf<(typeof writeRules)[K]> }
export type QueryArgs = { [K in QueryName]: ArgsOf<(typeof queryRules)[K]> }
export type QueryResults = { [K in QueryName]: ResultOf<(typeof queryRules)[K]> }

const definitionOf = (name: string): RuleDefinition<unknown, unknown> => {
  const def = (writeRules as Record<string, unknown>)[name] ?? (queryRules as Record<string, unknown>)[name]
  if (!def || (!Object.hasOwn(writeRules, name) && !Object.hasOwn(queryRules, name)))
    throw new DatapactError('INVALID_INPUT', `unknown rule "${name}"`, { details: { argument: 'rule' } })
  return def as RuleDefinition<unknown, unknown>
}

export const isWriteRule = (name: string): name is WriteRuleName => Object.hasOwn(writeRules, name)
export const isQuery = (name: string): name is QueryName => Object.hasOwn(queryRules, name)

/**
 * Runs a write rule over a port. Arguments are checked before any state is read. On a thrown error the caller
 * (the memory ledger's transaction, the Fabric peer) discards every write and event of the call.
 *
 * @throws {@link DatapactError} INVALID_INPUT for bad arguments; the rule's own codes for refusals.
 */
export function executeRule<N extends WriteRuleName>(
  port: import('./port.js').StatePort,
  name: N,
  args: WriteArgs[N],
): Promise<WriteResults[N]> {
  if (!isWriteRule(name)) throw new DatapactError('INVALID_INPUT', `unknown write rule "${String(name)}"`)
  return runDefinition(writeRules[name] as RuleDefinition<unknown, WriteResults[N]>, port, args)
}

/** Runs a query over a port (writes and events of a query are ignored by every backend). */
export function executeQuery<N extends QueryName>(
  port: import('./port.js').StatePort,
  name: N,
  args: QueryArgs[N],
): Promise<QueryResults[N]> {
  if (!isQuery(name)) throw new DatapactError('INVALID_INPUT', `unknown query "${String(name)}"`)
  return runDefinition(queryRules[name] as RuleDefinition<unknown, QueryResults[N]>, port, args)
}

/** Canonical bytes of a rule call's arguments (what a chaincode transaction carries). */
export const encodeArgs = (name: RuleName, args: unknown): Uint8Array => encode(definitionOf(name).args, args, 'args')
/** Strictly decodes a rule call's arguments. */
export const decodeArgs = (name: RuleName, bytes: Uint8Array): unknown => decode(definitionOf(name).args, bytes, 'args')
/** Canonical bytes of a rule's result. */
export const encodeResult = (name: RuleName, result: unknown): Uint8Array =>
  encode(definitionOf(name).result, result, 'result')
/** Strictly decodes a rule's result. */
export const decodeResult = (name: RuleName, bytes: Uint8Array): unknown =>
  decode(definitionOf(name).result, bytes, 'result')

export { events as eventListSchema } from '../codec/records.js'
export { covers, inForce, isExpired, requireInForce } from './access.js'
export { checkChunkCount, checkUsageTime, chunkCountOf, pinTerms, priceOf, samePinnedTerms } from './checks.js'
export { DEFAULT_SETTINGS, normalizeRoles } from './members.js'
export type { StatePort } from './port.js'
export { keys } from './state.js'
export { periodOf } from './usage.js'
export type { LedgerEvent }
