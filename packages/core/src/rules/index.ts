/**
 * The ledger program: every rule of the consortium as a pure, deterministic state transition over a key-value
 * port. The memory ledger and the Fabric chaincode run exactly this code; the Solidity contract mirrors it and
 * the conformance suite proves the mirror holds.
 * @packageDocumentation
 */
import { decode, encode, roundTrip } from '../codec/cbor.js'
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
import type { StatePort } from './port.js'
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

/** The names of the write rules (state-changing transactions). */
export type WriteRuleName = keyof typeof writeRules
/** The names of the queries (read-only calls). */
export type QueryName = keyof typeof queryRules
/** Any rule or query name. */
export type RuleName = WriteRuleName | QueryName
/** Arguments of each write rule. */
export type WriteArgs = { [K in WriteRuleName]: ArgsOf<(typeof writeRules)[K]> }
/** Result of each write rule. */
export type WriteResults = { [K in WriteRuleName]: ResultOf<(typeof writeRules)[K]> }
/** Arguments of each query. */
export type QueryArgs = { [K in QueryName]: ArgsOf<(typeof queryRules)[K]> }
/** Result of each query. */
export type QueryResults = { [K in QueryName]: ResultOf<(typeof queryRules)[K]> }

/** A rule name as a caller may pass it: anything. Only an own key of the rule tables is a rule. */
const unknownRule = (name: unknown, what = 'rule') =>
  new DatapactError(
    'INVALID_INPUT',
    typeof name === 'string' && name.length <= 64 ? `unknown ${what} "${name}"` : `unknown ${what}`,
    { details: { argument: 'rule', expected: `the name of a ${what}`, got: typeof name } },
  )

const definitionOf = (name: unknown): RuleDefinition<unknown, unknown> => {
  if (isWriteRule(name)) return writeRules[name] as RuleDefinition<unknown, unknown>
  if (isQuery(name)) return queryRules[name] as RuleDefinition<unknown, unknown>
  throw unknownRule(name)
}

/**
 * Whether `name` is a write rule.
 *
 * @param name - Anything.
 * @returns `true` for a write rule name.
 */
export const isWriteRule = (name: unknown): name is WriteRuleName =>
  typeof name === 'string' && Object.hasOwn(writeRules, name)
/**
 * Whether `name` is a query.
 *
 * @param name - Anything.
 * @returns `true` for a query name.
 */
export const isQuery = (name: unknown): name is QueryName => typeof name === 'string' && Object.hasOwn(queryRules, name)

/**
 * Runs a write rule over a port. Arguments are checked before any state is read. On a thrown error the caller
 * (the memory ledger's transaction, the Fabric peer) discards every write and event of the call.
 *
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for bad arguments; the rule's own codes for refusals.
 */
export function executeRule<N extends WriteRuleName>(port: StatePort, name: N, args: WriteArgs[N]) {
  return runNamed<WriteResults[N]>(port, name, args, 'write rule')
}

/**
 * Runs a query over a port (writes and events of a query are ignored by every backend).
 *
 * @param port - The state port.
 * @param name - The query.
 * @param args - Its arguments.
 * @returns The query's result.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `args` do not fit the query's schema; the port's own errors.
 */
export function executeQuery<N extends QueryName>(port: StatePort, name: N, args: QueryArgs[N]) {
  return runNamed<QueryResults[N]>(port, name, args, 'query')
}

/** Runs the write rule or query of that name; any other name (an inherited key included) is an unknown rule. */
function runNamed<R>(port: StatePort, name: unknown, args: unknown, what: 'write rule' | 'query'): Promise<R> {
  const table: Record<string, unknown> = what === 'query' ? queryRules : writeRules
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) return Promise.reject(unknownRule(name, what))
  return runDefinition(table[name] as RuleDefinition<unknown, R>, port, args)
}

/**
 * Canonical bytes of a rule call's arguments (what a chaincode transaction carries). Every ledger passes a call
 * through this and {@link decodeArgs}, so a value that has no canonical form (a holey array, a getter that throws,
 * a Proxy, an inherited or unknown key) is INVALID_INPUT on every ledger alike.
 *
 * @param name - The rule or query.
 * @param args - Its arguments.
 * @returns Canonical CBOR.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or arguments that do not fit its schema.
 */
export const encodeArgs = (name: RuleName, args: unknown): Uint8Array => encode(definitionOf(name).args, args, 'args')
/**
 * Strictly decodes a rule call's arguments.
 *
 * @param name - The rule or query.
 * @param bytes - Canonical CBOR.
 * @returns The arguments.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or anything but the canonical encoding of valid arguments.
 */
export const decodeArgs = (name: RuleName, bytes: Uint8Array): unknown => decode(definitionOf(name).args, bytes, 'args')
/**
 * Canonical bytes of a rule's result.
 *
 * @param name - The rule or query.
 * @param result - Its result.
 * @returns Canonical CBOR.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or a result that does not fit its schema.
 */
export const encodeResult = (name: RuleName, result: unknown): Uint8Array =>
  encode(definitionOf(name).result, result, 'result')
/**
 * Strictly decodes a rule's result.
 *
 * @param name - The rule or query.
 * @param bytes - Canonical CBOR.
 * @returns The result.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or anything but the canonical encoding of a valid result.
 */
export const decodeResult = (name: RuleName, bytes: Uint8Array): unknown =>
  decode(definitionOf(name).result, bytes, 'result')

/**
 * A rule call's arguments as the ledger's side reads them: {@link encodeArgs}, then decoded strictly (the codec's
 * `roundTrip`). An in-process ledger (the memory ledger) passes every call through this, so it accepts exactly
 * what a transaction can carry.
 *
 * @param name - The rule or query.
 * @param args - Its arguments.
 * @returns A fresh copy of the arguments with the wire's types.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or arguments that do not fit its schema.
 */
export const roundTripArgs = (name: RuleName, args: unknown): unknown =>
  roundTrip(definitionOf(name).args, args, 'args')
/**
 * A rule's result as the caller's side reads it: {@link encodeResult}, then decoded strictly.
 *
 * @param name - The rule or query.
 * @param result - Its result.
 * @returns A fresh copy of the result with the wire's types.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for an unknown rule or a result that does not fit its schema.
 */
export const roundTripResult = (name: RuleName, result: unknown): unknown =>
  roundTrip(definitionOf(name).result, result, 'result')

export { events as eventListSchema } from '../codec/records.js'
export {
  covers,
  entitles,
  granteeRefusal,
  inForce,
  isExpired,
  type KeyRecipientsInput,
  keyRecipients,
  quotaExhausted,
  requireActive,
  requireInForce,
  requireQuota,
} from './access.js'
export { checkChunkCount, checkUsageTime, chunkCountOf, pinTerms, priceOf, samePinnedTerms } from './checks.js'
export { DEFAULT_SETTINGS, normalizeRoles } from './members.js'
export type { StatePort } from './port.js'
export { inCatalog, inGrantList } from './queries.js'
export { REFUSALS, type Refusal, type RefusalId, WRITE_REFUSALS, type WriteRefusals } from './refusals.js'
export { keys } from './state.js'
export { periodOf } from './usage.js'
export type { LedgerEvent }
