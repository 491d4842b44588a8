import { encode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import { array, int, literal, object } from '../codec/schema.js'
import { sha256 } from '../crypto/index.js'
import type { DatasetId, Digest, MemberId, Nonce, Settlement, UsageRecord } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { invalidArgument, readParams } from '../internal/assert.js'
import { equalBytes } from '../internal/bytes.js'
import { periodOf } from '../rules/index.js'
import { type ClientContext, settingsOf } from './context.js'

/** One line of a statement: one metered access. */
export interface StatementRow {
  datasetId: DatasetId
  version: number
  bytes: number
  amount: bigint
  at: number
  nonce: Nonce
}

/**
 * A deterministic roll-up of the usage between one provider and one consumer in one billing period and currency.
 * Every member computes the same rows and digest from its own node. Statements of a key follow one another: the
 * open one covers the records after those already settled, so usage arriving after a settlement is billed by the
 * next statement and never twice.
 */
export interface Statement {
  provider: MemberId
  consumer: MemberId
  period: number
  currency: string
  /** 1 for the first statement of the key, then 2, 3, ... (settled statements so far + 1). */
  sequence: number
  /** Index of the first row among all usage records of the key, in ledger order (records already settled). */
  first: number
  /** Ledger time the period starts at (inclusive) and ends at (exclusive), seconds. */
  periodStart: number
  periodEnd: number
  /** Rows in ledger order. */
  rows: StatementRow[]
  count: number
  bytes: number
  amount: bigint
  /** SHA-256 over the canonical encoding of everything above. */
  digest: Digest
}

/** Which statement `billing.statement()` computes: provider, consumer, period and currency. */
export interface StatementParameters {
  /** The provider; default this member. */
  provider?: MemberId
  /** The consumer; default this member. */
  consumer?: MemberId
  /** Billing period index; default the current one. */
  period?: number
  /** Currency; default the currency of the period's usage (required when there is none or several). */
  currency?: string
}

const rowSchema = object({
  datasetId: r.datasetId,
  version: r.versionNumber,
  bytes: int(0, r.LIMITS.uint53),
  amount: r.money,
  at: r.time,
  nonce: r.nonce,
})

/** A statement row: the fields of a usage record (or a row) that a statement lists, and nothing else. */
const statementRow = ({ datasetId, version, bytes, amount, at, nonce }: StatementRow): StatementRow => ({
  datasetId,
  version,
  bytes,
  amount,
  at,
  nonce,
})

/** The canonical form a statement digest is computed over (format tag included so digests never collide). */
const statementBody = object({
  format: literal('datapact-statement/2'),
  provider: r.memberId,
  consumer: r.memberId,
  period: int(0, r.LIMITS.uint53),
  currency: r.currency,
  sequence: int(1, r.LIMITS.uint32),
  first: int(0, r.LIMITS.uint53),
  periodStart: r.time,
  periodEnd: r.time,
  rows: array(rowSchema, 100_000_000),
  count: int(0, r.LIMITS.uint53),
  bytes: int(0, r.LIMITS.uint53),
  amount: r.money,
})

const FORMAT = 'datapact-statement/2' as const

/** A statement as `settle` accepts it: exactly the fields of {@link Statement}. */
const { format: _format, ...statementFields } = statementBody.fields
const statementSchema = object({ ...statementFields, digest: r.digest })

/** Digest of a statement's canonical encoding. */
export function statementDigest(s: Omit<Statement, 'digest'>): Digest {
  const { provider, consumer, period, currency, sequence, first, periodStart, periodEnd, rows, count, bytes, amount } =
    s
  return sha256(
    encode(statementBody, {
      format: FORMAT,
      provider,
      consumer,
      period,
      currency,
      sequence,
      first,
      periodStart,
      periodEnd,
      rows: rows.map(statementRow),
      count,
      bytes,
      amount,
    }),
  ) as Digest
}

/**
 * Builds the open statement of a key: `records` are all usage records of one provider, consumer, period and currency
 * in ledger order; `settled` says how many statements and records of the key are already settled.
 */
export function buildStatement(
  key: { provider: MemberId; consumer: MemberId; period: number; currency: string },
  periodSeconds: number,
  records: readonly UsageRecord[],
  settled: { statements: number; closedCount: number } = { statements: 0, closedCount: 0 },
): Statement {
  return openStatement(key, periodSeconds, records.slice(settled.closedCount), settled)
}

/** Builds the open statement of a key from its open records only (those after the `closedCount` settled ones). */
function openStatement(
  key: { provider: MemberId; consumer: MemberId; period: number; currency: string },
  periodSeconds: number,
  open: readonly UsageRecord[],
  settled: { statements: number; closedCount: number },
): Statement {
  const rows = open.map(statementRow)
  const body = {
    ...key,
    sequence: settled.statements + 1,
    first: settled.closedCount,
    periodStart: key.period * periodSeconds,
    periodEnd: (key.period + 1) * periodSeconds,
    rows,
    count: rows.length,
    bytes: rows.reduce((n, x) => n + x.bytes, 0),
    amount: rows.reduce((n, x) => n + x.amount, 0n),
  }
  return { ...body, digest: statementDigest(body) }
}

/** Billing: statements every party computes identically, and settlement on the ledger. */
export class Billing {
  readonly #ctx: ClientContext

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Computes the open statement between a provider and a consumer for a period from the ledger's usage records: the
   * records after those already settled for that key. It reads them from the member-side index (caught up with
   * this member's node first), so it costs the records of the statement, not the whole history.
   *
   * @param given - Provider and consumer (one defaults to this member), period, currency.
   * @returns The statement with its digest.
   * @throws {@link DatapactError} INVALID_INPUT (missing party or ambiguous currency).
   * @example
   * ```ts
   * const st = await bob.billing.statement({ provider: alice.memberId })
   * ```
   */
  async statement(given: StatementParameters): Promise<Statement> {
    const params = readParams(given, 'params', ['provider', 'consumer', 'period', 'currency']) as StatementParameters
    const ctx = this.#ctx
    const provider = params.provider ?? ctx.me
    const consumer = params.consumer ?? ctx.me
    r.memberId.check(provider, 'params.provider')
    r.memberId.check(consumer, 'params.consumer')
    if (provider === consumer) throw invalidArgument('params', 'a provider and a different consumer', 'the same member')
    if (params.currency !== undefined) r.currency.check(params.currency, 'params.currency')
    if (params.period !== undefined) int(0, r.LIMITS.uint53).check(params.period, 'params.period')
    const settings = await settingsOf(ctx)
    const period = params.period ?? periodOf(await ctx.ledger.query('getLedgerTime', {}), settings.periodSeconds)
    const index = ctx.index
    await index.sync()
    let currency = params.currency
    if (currency === undefined) {
      const currencies = await index.store.currencies({ provider, consumer, period })
      if (currencies.length !== 1)
        throw invalidArgument(
          'params.currency',
          'a currency (the period has none or several)',
          currencies.join(',') || 'none',
        )
      currency = currencies[0]!
    }
    const key = { provider, consumer, period, currency }
    // The settlement first, then the records up to the head: a settlement committed in between leaves the rows of
    // a statement that no longer settles (SETTLEMENT_MISMATCH), never a statement missing rows.
    const settled = await ctx.ledger.query('getSettlement', key)
    await index.sync()
    const open = await index.store.usage({ ...key, offset: settled.closedCount })
    return openStatement(
      key,
      settings.periodSeconds,
      open.map(x => x.record),
      settled,
    )
  }

  /**
   * Acknowledges a statement on the ledger as this member (its provider or consumer). It settles once both parties
   * acknowledged the same digest and totals and those are still the ledger's open totals. Acknowledging the same
   * statement again (a retry) changes nothing.
   *
   * @returns The settlement state after this acknowledgement (`settledDigest` is the statement's once it settled).
   * @throws {@link DatapactError} INTEGRITY (the statement was altered: its digest does not match its rows),
   *   SETTLEMENT_MISMATCH (totals differ from the ledger's open totals), ACCESS_DENIED (not a party),
   *   INVALID_INPUT (an empty statement: nothing to settle).
   */
  async settle(given: Statement): Promise<Settlement> {
    // The whole statement is checked (and copied) first: rows and totals are what the digest is computed over.
    const statement = statementSchema.check(given, 'statement')
    if (!equalBytes(statementDigest(statement), statement.digest))
      throw new DatapactError('INTEGRITY', 'the statement does not match its digest: recompute it from the ledger', {
        details: { argument: 'statement' },
      })
    const key = {
      provider: statement.provider,
      consumer: statement.consumer,
      period: statement.period,
      currency: statement.currency,
    }
    await this.#ctx.ledger.submit('acknowledgeStatement', {
      ...key,
      digest: statement.digest,
      amount: statement.amount,
      count: statement.count,
    })
    return this.#ctx.ledger.query('getSettlement', key)
  }

  /**
   * The ledger's running totals for a provider, consumer, period and currency.
   *
   * @param key - Provider, consumer, period, currency.
   * @returns The totals, or null when nothing was recorded.
   * @throws {@link DatapactError} INVALID_INPUT (bad key), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  totals(key: { provider: MemberId; consumer: MemberId; period: number; currency: string }) {
    return this.#ctx.ledger.query('getTotals', key)
  }

  /**
   * The acknowledgement and settlement state of a statement key.
   *
   * @param key - Provider, consumer, period, currency.
   * @returns The settlement, or null before either side acknowledged.
   * @throws {@link DatapactError} INVALID_INPUT (bad key), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  settlement(key: { provider: MemberId; consumer: MemberId; period: number; currency: string }) {
    return this.#ctx.ledger.query('getSettlement', key)
  }
}
