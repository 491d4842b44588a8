import type { MemberId } from '@datapact/core'
import { DatapactError } from '@datapact/core/errors'
import {
  decodeArgs,
  encodeResult,
  executeQuery,
  executeRule,
  isQuery,
  isWriteRule,
  type QueryName,
  queryRules,
  type RuleName,
  type WriteRuleName,
  writeRules,
} from '@datapact/core/rules'
import type { Context } from 'fabric-contract-api'
import { MemberIdError, memberIdOf } from './identity.js'
import { checkPin, pinOf, writePin } from './pinning.js'
import { contractApi } from './runtime.js'
import { StubPort } from './stubPort.js'
import { encodeEventPayload, encodeEvents, eventName, formatWireError, fromBase64, toBase64 } from './wire.js'

// The contract API comes from runtime.ts, which makes it work with the class-transformer a plain install resolves.
const { Contract, Info, Param, Returns, Transaction } = contractApi

/** The error a transaction fails with: its message is the `DATAPACT:<CODE>: ...` text the client maps back. */
class ChaincodeError extends Error {
  override name = 'ChaincodeError'
}

const fail = (code: string, message: string, details: Record<string, string | number | boolean> = {}) =>
  new ChaincodeError(formatWireError({ code, message, details }))

/**
 * The Datapact chaincode: a thin shell that runs core's ledger program (`@datapact/core/rules`) over the Fabric
 * stub. It has one transaction per write rule (submit) and per query (evaluate), named exactly like the rule. Each
 * takes one argument, the base64 of the rule's canonical CBOR arguments (`encodeArgs`), and returns base64: a write
 * returns its canonical event list, a query its canonical result (`encodeResult`).
 *
 * Each member id is pinned to the certificate of its first write (see `pinning.ts`); `rotateFabricCertificate`
 * hands it over to the next certificate.
 *
 * A write sets exactly one chaincode event, `datapact`, whose payload is the canonical CBOR of
 * `{ at, caller, events }`. Refusals fail the transaction with `DATAPACT:<CODE>: <message>`, which the client
 * (`FabricLedger`) maps back to a `DatapactError` with that code.
 */
export class DatapactContract extends Contract {
  /** The contract under its name `datapact` (transactions are called `datapact:<rule>`, or just `<rule>`). */
  constructor() {
    super('datapact')
  }

  /** An unknown transaction name is refused like an unknown rule on the memory ledger. */
  override async unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters()
    throw fail('INVALID_INPUT', `unknown rule "${fcn}"`, { argument: 'rule' })
  }
}

/** The transactions the chaincode serves: every write rule and every query of core's ledger program. */
export const transactionNames: readonly RuleName[] = [
  ...(Object.keys(writeRules) as WriteRuleName[]),
  ...(Object.keys(queryRules) as QueryName[]),
]

// One method per rule, declared with the contract-api annotations applied as plain functions: no decorator syntax,
// so tsc, tsx, esbuild and tsup all produce the same metadata (esbuild emits no design:paramtypes).
for (const name of transactionNames) {
  const prototype = DatapactContract.prototype as unknown as Record<string, unknown>
  prototype[name] = {
    async [name](ctx: Context, argsBase64: string): Promise<string> {
      return runRule(ctx, name, argsBase64)
    },
  }[name]
  Transaction(isWriteRule(name))(prototype, name)
  Param('argsBase64', 'string', 'base64 of the canonical CBOR arguments')(prototype, name)
  Returns('string')(prototype, name)
}
{
  const prototype = DatapactContract.prototype as unknown as Record<string, unknown>
  prototype.rotateFabricCertificate = rotateFabricCertificate
  Transaction(true)(prototype, 'rotateFabricCertificate')
  Param(
    'certificateBase64',
    'string',
    "base64 of the member's next certificate (PEM or DER)",
  )(prototype, 'rotateFabricCertificate')
  Returns('string')(prototype, 'rotateFabricCertificate')
}
Info({ title: 'Datapact', description: 'Datapact ledger program on Fabric' })(DatapactContract)

/**
 * Runs one rule of core's ledger program in a Fabric transaction.
 *
 * Decodes the arguments strictly, builds the stub port (caller = the member id of the submitting identity,
 * ledger time = the transaction timestamp), runs the rule, then for a write sets the `datapact` event once and
 * writes the state. It reads no randomness; the one clock it reads is the endorsing peer's own, to refuse a write
 * whose proposal timestamp (which the submitting client writes) is further than the allowed skew from it.
 *
 * @param ctx - the transaction context
 * @param rule - the rule or query name
 * @param argsBase64 - base64 of `encodeArgs(rule, args)`
 * @returns base64 of the encoded event list (writes) or of `encodeResult(rule, result)` (queries)
 * @throws Error `DATAPACT:<CODE>: <message>`: INVALID_INPUT for undecodable arguments, ACCESS_DENIED for an
 *   identity without a member id, the rule's own codes for refusals, INTERNAL for anything unexpected
 */
export async function runRule(ctx: Context, rule: RuleName, argsBase64: string): Promise<string> {
  try {
    const bytes = typeof argsBase64 === 'string' ? fromBase64(argsBase64) : undefined
    if (!bytes) throw fail('INVALID_INPUT', '"args" must be canonical base64', { argument: 'args' })
    const args = decodeArgs(rule, bytes)
    const caller = callerOf(ctx)
    const pin = await pinnedCaller(ctx, caller)
    const port = new StubPort(ctx.stub, caller)
    if (isQuery(rule)) return toBase64(encodeResult(rule, await executeQuery(port, rule, args as never)))
    if (!isWriteRule(rule)) throw fail('INVALID_INPUT', `unknown rule "${rule}"`, { argument: 'rule' })
    checkClockSkew(port.now())
    await executeRule(port, rule, args as never)
    const payload = { at: port.now(), caller: port.caller(), events: port.events }
    // Fabric keeps one chaincode event per transaction: all of this transaction's events travel in it.
    ctx.stub.setEvent(eventName, Buffer.from(encodeEventPayload(payload)))
    await port.flush()
    // The member's first write pins its certificate.
    if (!pin.pinned) await writePin(ctx, caller, pin.pin)
    return toBase64(encodeEvents(port.events))
  } catch (error) {
    throw toChaincodeError(error)
  }
}

/**
 * Hands a member over to its next certificate (a renewal with a new key, or another role): submitted with the
 * certificate the member is pinned to, it pins the given one, which must carry the same MSP id and CN. From the
 * next transaction on only the new certificate acts as the member. Sets no chaincode event.
 *
 * @param ctx - the transaction context
 * @param certificateBase64 - base64 of the next certificate, PEM or DER
 * @returns the empty string
 * @throws Error `DATAPACT:<CODE>: ...`: INVALID_INPUT when the certificate does not parse or names another member;
 *   ACCESS_DENIED when the submitter is not the pinned certificate
 */
export async function rotateFabricCertificate(ctx: Context, certificateBase64: string): Promise<string> {
  try {
    const bytes = typeof certificateBase64 === 'string' ? fromBase64(certificateBase64) : undefined
    if (!bytes) throw fail('INVALID_INPUT', '"certificate" must be canonical base64', { argument: 'certificate' })
    const caller = callerOf(ctx)
    await pinnedCaller(ctx, caller)
    let next: string
    let pin: string
    try {
      next = memberIdOf(ctx.clientIdentity.getMSPID(), bytes)
      pin = pinOf(bytes)
    } catch {
      throw fail('INVALID_INPUT', '"certificate" is not an X.509 certificate with one CN', { argument: 'certificate' })
    }
    if (next !== caller)
      throw fail('INVALID_INPUT', `the next certificate names ${next}, not ${caller}`, { argument: 'certificate' })
    await writePin(ctx, caller, pin)
    return ''
  } catch (error) {
    throw toChaincodeError(error)
  }
}

// The caller's pin check: refuses a certificate other than the pinned one.
async function pinnedCaller(ctx: Context, caller: string) {
  const pin = await checkPin(ctx, caller)
  if (pin.mismatch)
    throw fail(
      'ACCESS_DENIED',
      `member ${caller} is pinned to another certificate (another key or role); the pinned certificate hands over with rotateFabricCertificate`,
      { member: caller },
    )
  return pin
}

/** Largest distance, in seconds, between a write's proposal timestamp and this endorser's clock (default 300). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300

/**
 * The submitting client writes the proposal timestamp, and the rules take ledger time from it: every endorser
 * refuses a timestamp further than `DATAPACT_MAX_CLOCK_SKEW_SECONDS` (environment of the chaincode server) from its
 * own clock, so no client can date its usage, expiry or publish. Honest endorsers' answers may differ only for a
 * proposal near the bound; such a transaction fails endorsement, which is the safe outcome.
 */
export function checkClockSkew(txTime: number): void {
  const configured = Number(process.env.DATAPACT_MAX_CLOCK_SKEW_SECONDS ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS)
  const skew = Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_MAX_CLOCK_SKEW_SECONDS
  const now = Math.floor(Date.now() / 1000)
  if (Math.abs(txTime - now) > skew)
    throw fail(
      'INVALID_INPUT',
      `the proposal timestamp is ${txTime - now} s from the endorser's clock (at most ${skew})`,
      {
        argument: 'timestamp',
        skew,
        offset: txTime - now,
      },
    )
}

function callerOf(ctx: Context): MemberId {
  try {
    return memberIdOf(ctx.clientIdentity.getMSPID(), ctx.clientIdentity.getIDBytes())
  } catch (error) {
    if (!(error instanceof MemberIdError)) throw error
    throw fail('ACCESS_DENIED', `the submitting identity has no member id: ${error.message}`, {
      mspId: ctx.clientIdentity.getMSPID(),
    })
  }
}

function toChaincodeError(error: unknown): Error {
  if (error instanceof ChaincodeError) return error
  if (error instanceof DatapactError) {
    const details: Record<string, string | number | boolean> = {}
    for (const [k, v] of Object.entries(error.details ?? {}))
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') details[k] = v
    return fail(error.code, error.message, details)
  }
  // Unexpected: keep the text in the peer's chaincode log, send only the error's type.
  console.error('datapact chaincode: unexpected error', error)
  return fail('INTERNAL', `the chaincode failed unexpectedly (${error instanceof Error ? error.name : typeof error})`)
}
