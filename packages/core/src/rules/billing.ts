import * as r from '../codec/records.js'
import { int, object } from '../codec/schema.js'
import type { Settlement } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { equalBytes } from '../internal/bytes.js'
import { defineRule } from './define.js'
import { keys } from './state.js'

/**
 * The provider or the consumer acknowledges a statement: its digest (over the canonical rows, computed by each
 * party from the ledger's own usage records) and its totals. The ledger refuses totals that differ from its own
 * running totals (SETTLEMENT_MISMATCH). When both parties have acknowledged the same digest, the statement is
 * settled. Later usage in the same period can be settled again by a newer statement.
 */
export const acknowledgeStatement = defineRule(
  object({
    provider: r.memberId,
    consumer: r.memberId,
    period: int(0, r.LIMITS.uint53),
    currency: r.currency,
    digest: r.digest,
    amount: r.money,
    count: int(0, r.LIMITS.uint53),
  }),
  r.settlement,
  async (state, args) => {
    const me = await state.activeCaller()
    const side = me.id === args.provider ? 'provider' : me.id === args.consumer ? 'consumer' : undefined
    if (!side || args.provider === args.consumer)
      throw new DatapactError('ACCESS_DENIED', 'only the provider or the consumer of a statement may acknowledge it', {
        details: { member: me.id },
      })
    const key = { provider: args.provider, consumer: args.consumer, period: args.period, currency: args.currency }
    const totals = await state.emptyTotals(key)
    if (totals.amount !== args.amount || totals.count !== args.count)
      throw new DatapactError('SETTLEMENT_MISMATCH', 'the statement totals differ from the ledger totals', {
        details: {
          ledgerAmount: totals.amount.toString(),
          ledgerCount: totals.count,
          amount: args.amount.toString(),
          count: args.count,
        },
      })
    const current = await state.emptySettlement(key)
    const next: Settlement = { ...current, [side === 'provider' ? 'providerDigest' : 'consumerDigest']: args.digest }
    state.port.emit({
      type: 'StatementAcknowledged',
      ...key,
      party: me.id,
      digest: args.digest,
      amount: args.amount,
      count: args.count,
    })
    const other = side === 'provider' ? next.consumerDigest : next.providerDigest
    if (other !== null && equalBytes(other, args.digest)) {
      next.settledDigest = args.digest
      next.settledAmount = args.amount
      next.settledCount = args.count
      next.settledAt = state.port.now()
      state.port.emit({ type: 'StatementSettled', ...key, digest: args.digest, amount: args.amount, count: args.count })
    }
    await state.write(r.settlement, keys.settlement(key), next)
    return next
  },
)
