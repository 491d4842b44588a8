import type { DatasetId } from '../../domain/index.js'
import { eventCount, nonce, ZERO32 } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Usage: records one by one and in batches, checked by the ledger against grant, terms, size and nonce. */
export function usage(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, granted, w } = t
  describe('usage', () => {
    const claim = (id: DatasetId, extra: Record<string, unknown> = {}) => ({
      datasetId: id,
      version: 1,
      bytes: 3000,
      amount: 100n,
      nonce: nonce(),
      wrapHash: ZERO32,
      ...extra,
    })
    /** The consumer's totals with the provider in a period: count, amount, bytes. */
    const countAmountBytes = async (period: number) => {
      const t = await w.consumer.client.billing.totals({
        provider: w.provider.id,
        consumer: w.consumer.id,
        period,
        currency: 'CNY',
      })
      return [t.count, t.amount, t.bytes]
    }
    it('records a batch in one transaction', async () => {
      const id = await granted()
      const receipts = await w.consumer.client.usage.record(
        Array.from({ length: 5 }, () => ({ datasetId: id, version: 1 })),
      )
      expect(receipts).toHaveLength(5)
      expect(new Set(receipts.map(r => r.txId)).size).toBe(1)
      expect(await countAmountBytes(receipts[0]!.record.period)).toEqual([5, 500n, 15000])
    })
    it('counts a batch over two datasets of one provider into each grant and one set of totals', async () => {
      const [a, b] = [await granted(), await granted()]
      const receipts = await w.consumer.client.usage.record([
        { datasetId: a, version: 1 },
        { datasetId: b, version: 1 },
        { datasetId: a, version: 1 },
      ])
      expect(receipts.map(r => r.record.datasetId)).toEqual([a, b, a])
      expect([(await w.consumer.client.grants.get(a))?.used, (await w.consumer.client.grants.get(b))?.used]).toEqual([
        2, 1,
      ])
      expect(await countAmountBytes(receipts[0]!.record.period)).toEqual([3, 300n, 9000])
    })
    refuses(
      ['recordUsage.quota', 'recordUsage.amount'],
      'refuses a whole batch when one record is invalid',
      async () => {
        const { id } = await register()
        await w.provider.client.grants.grant(id, w.consumer.id, { maxAccesses: 3 })
        const before = await eventCount(w.consumer.ledger)
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id), claim(id), claim(id), claim(id)] }),
          'QUOTA_EXCEEDED',
        )
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', { records: [claim(id), claim(id, { amount: 1n })] }),
          'AMOUNT_MISMATCH',
        )
        expect(await eventCount(w.consumer.ledger)).toBe(before)
        expect((await w.consumer.client.grants.get(id))?.used).toBe(0)
      },
    )
    refuses(['recordUsage.nonce'], 'refuses a replayed nonce', async () => {
      const id = await granted()
      const c = claim(id)
      await w.consumer.ledger.submit('recordUsage', { records: [c] })
      await rejectsWith(w.consumer.ledger.submit('recordUsage', { records: [c] }), 'NONCE_REUSED')
      const n = nonce()
      await rejectsWith(
        w.consumer.ledger.submit('recordUsage', { records: [claim(id, { nonce: n }), claim(id, { nonce: n })] }),
        'NONCE_REUSED',
      )
    })
    refuses(['recordUsage.amount', 'recordUsage.bytes'], 'refuses a wrong amount or size', async () => {
      const id = await granted()
      await rejectsWith(
        w.consumer.ledger.submit('recordUsage', { records: [claim(id, { amount: 99n })] }),
        'AMOUNT_MISMATCH',
      )
      await rejectsWith(
        w.consumer.ledger.submit('recordUsage', { records: [claim(id, { bytes: 10 })] }),
        'INVALID_INPUT',
      )
    })
    refuses(['recordUsage.noGrant'], 'refuses usage without a grant', async () => {
      const { id } = await register()
      await rejectsWith(w.consumer.ledger.submit('recordUsage', { records: [claim(id)] }), 'ACCESS_DENIED')
      await rejectsWith(w.consumer.client.usage.record([{ datasetId: id, version: 1 }]), 'ACCESS_DENIED')
    })
  })
}

/** The usage area of the conformance suite alone (usage records and their refusals). */
export const describeUsageConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(usage)
