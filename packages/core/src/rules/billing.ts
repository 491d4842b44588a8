import * as r from '../codec/records.js'
import { int, object } from '../codec/schema.js'
import type { Settlement, StatementAck } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { equalBytes } from '../internal/bytes.js'
import { defineRule } from './define.js'
import { keys } from './state.js'

/**
 * The provider or the consumer acknowledges the open statement of a key: its digest (over the canonical rows, computed
 * by each party from the ledger's own usage records) and its totals. The open statement covers the records after
 * those already settled, so its totals must equal the ledger's running totals less what was settled
 * (SETTLEMENT_MISMATCH otherwise). The ledger keeps each side's acknowledgement; the statement settles when both sides
 * acknowledged the same digest AND the same totals, and those are still the open totals. Acknowledging what this side
 * already acknowledged, or the statement last settled, changes nothing and emits nothing; an empty statement has
 * nothing to settle (INVALID_INPUT).
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
    const current = await state.emptySettlement(key)
    const ack: StatementAck = { digest: args.digest, amount: args.amount, count: args.count }
    const mine = side === 'provider' ? current.providerAck : current.consumerAck
    if (isLastSettled(current, ack) || (mine !== null && sameAck(mine, ack))) return current
    if (args.count === 0)
      throw new DatapactError('INVALID_INPUT', 'an empty statement has nothing to settle', {
        details: { argument: 'count' },
      })
    const totals = await state.emptyTotals(key)
    const open = { amount: totals.amount - current.closedAmount, count: totals.count - current.closedCount }
    if (open.amount !== args.amount || open.count !== args.count)
      throw new DatapactError('SETTLEMENT_MISMATCH', 'the statement totals differ from the open totals on the ledger', {
        details: {
          ledgerAmount: open.amount.toString(),
          ledgerCount: open.count,
          amount: args.amount.toString(),
          count: args.count,
        },
      })
    let next: Settlement = { ...current, [side === 'provider' ? 'providerAck' : 'consumerAck']: ack }
    state.port.emit({ type: 'StatementAcknowledged', ...key, party: me.id, ...ack })
    const other = side === 'provider' ? next.consumerAck : next.providerAck
    if (other !== null && sameAck(other, ack)) {
      next = {
        ...next,
        providerAck: null,
        consumerAck: null,
        statements: current.statements + 1,
        closedAmount: current.closedAmount + ack.amount,
        closedCount: current.closedCount + ack.count,
        settledDigest: ack.digest,
        settledAmount: ack.amount,
        settledCount: ack.count,
        settledAt: state.port.now(),
      }
      state.port.emit({ type: 'StatementSettled', ...key, sequence: next.statements, ...ack })
    }
    await state.write(r.settlement, keys.settlement(key), next)
    return next
  },
)

const sameAck = (a: StatementAck, b: StatementAck): boolean =>
  equalBytes(a.digest, b.digest) && a.amount === b.amount && a.count === b.count

const isLastSettled = (s: Settlement, ack: StatementAck): boolean =>
  s.settledDigest !== null &&
  sameAck({ digest: s.settledDigest, amount: s.settledAmount!, count: s.settledCount! }, ack)
