import { readAllEvents } from '../../client/events.js'
import { generateDataKey, wrapKey } from '../../crypto/index.js'
import type { DatasetId } from '../../domain/index.js'
import { hexToBytes } from '../../internal/bytes.js'
import { eventCount, nonce, testBytes, ZERO32 } from '../fixtures.js'
import { type ConformanceContext, type ConformanceSuite, conformanceSuite } from './context.js'

/** Billing: statements computed alike on every node, settlement by both parties, and what a party cannot bend. */
export function billing(t: ConformanceContext): void {
  const { describe, it, expect, rejectsWith, refuses, register, granted, rawPublish, w } = t
  describe('billing', () => {
    const metered = async (n: number) => {
      const id = await granted()
      for (let i = 0; i < n; i++) await w.consumer.client.data.fetch(id)
      return id
    }
    it('computes the same statement on the provider, consumer and regulator nodes', async () => {
      await metered(3)
      const fromConsumer = await w.consumer.client.billing.statement({ provider: w.provider.id })
      const fromProvider = await w.provider.client.billing.statement({ consumer: w.consumer.id })
      const fromRegulator = await w.regulator.client.billing.statement({
        provider: w.provider.id,
        consumer: w.consumer.id,
      })
      expect(fromConsumer.digest).toEqual(fromProvider.digest)
      expect(fromRegulator).toEqual(fromConsumer)
      expect([fromConsumer.count, fromConsumer.amount]).toEqual([3, 300n])
    })
    refuses(['acknowledgeStatement.totals'], 'refuses a settlement whose totals differ from the ledger', async () => {
      await metered(2)
      const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
      await rejectsWith(
        w.consumer.ledger.submit('acknowledgeStatement', {
          provider: st.provider,
          consumer: st.consumer,
          period: st.period,
          currency: st.currency,
          digest: st.digest,
          amount: st.amount + 1n,
          count: st.count,
        }),
        'SETTLEMENT_MISMATCH',
      )
    })
    refuses(['acknowledgeStatement.party'], 'refuses an altered statement and a third party', async () => {
      await metered(1)
      const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
      await rejectsWith(w.consumer.client.billing.settle({ ...st, amount: 1n }), 'INTEGRITY')
      await rejectsWith(w.consumer2.client.billing.settle(st), 'ACCESS_DENIED')
    })
    refuses(
      ['acknowledgeStatement.totals'],
      'settles only when both parties acknowledge the same digest, and again after more usage',
      async () => {
        const id = await metered(1)
        const st1 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        expect((await w.consumer.client.billing.settle(st1)).settledDigest).toBeNull()
        await w.consumer.client.data.fetch(id)
        await rejectsWith(w.provider.client.billing.settle(st1), 'SETTLEMENT_MISMATCH')
        const st2 = await w.provider.client.billing.statement({ consumer: w.consumer.id })
        expect((await w.provider.client.billing.settle(st2)).settledDigest).toBeNull()
        expect((await w.consumer.client.billing.settle(st2)).settledDigest).toEqual(st2.digest)
        expect((await w.regulator.client.audit.verify()).ok).toBe(true)
      },
    )
  })

  describe('the bill', () => {
    const usageCount = async (id: DatasetId) => (await w.consumer.client.usage.list({ datasetId: id })).length
    const settledEvents = async () =>
      (await readAllEvents(w.consumer.ledger)).filter(e => e.event.type === 'StatementSettled').length

    refuses(
      ['recordUsage.amount', 'acceptTerms.changed', 'acceptTerms.missing'],
      'keeps the price of a grant in force when the provider reprices, and refuses stale acceptance',
      async () => {
        const id = await granted()
        await w.provider.client.datasets.update(id, { terms: { pricePerAccess: 10n ** 30n } })
        const grant = await w.consumer.client.grants.get(id)
        expect(grant?.terms.pricePerAccess).toBe(100n)
        // The ledger itself refuses the new price on the old grant.
        await rejectsWith(
          w.consumer.ledger.submit('recordUsage', {
            records: [{ datasetId: id, version: 1, bytes: 3000, amount: 10n ** 30n, nonce: nonce(), wrapHash: ZERO32 }],
          }),
          'AMOUNT_MISMATCH',
        )
        expect((await w.consumer.client.data.fetch(id)).receipt?.record.amount).toBe(100n)
        const stale = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY' }
        await rejectsWith(w.consumer.client.grants.acceptTerms(id, stale), 'CONFLICT')
        await rejectsWith(
          w.consumer2.client.grants.acceptTerms(id, { ...stale, pricePerAccess: 10n ** 30n }),
          'NOT_FOUND',
        )
      },
    )

    it('refuses before submitting when the access would cost more than maxAmount', async () => {
      const id = await granted()
      await rejectsWith(w.consumer.client.data.fetch(id, { maxAmount: 99n }), 'AMOUNT_MISMATCH')
      await rejectsWith(
        w.consumer.client.usage.record([{ datasetId: id, version: 1, maxAmount: 0n }]),
        'AMOUNT_MISMATCH',
      )
      expect(await usageCount(id)).toBe(0)
      expect((await w.consumer.client.data.fetch(id, { maxAmount: 100n })).receipt?.record.amount).toBe(100n)
    })

    it('bills nothing when the key wrapped for the consumer is not the committed key', async () => {
      const id = await granted()
      const other = await wrapKey({
        dataKey: generateDataKey(),
        recipientPublicKey: w.consumer.keys.envelope.publicKey,
        datasetId: hexToBytes(id),
        version: 1,
        recipientId: w.consumer.id,
      })
      await w.provider.ledger.submit('addKeyWraps', {
        datasetId: id,
        member: w.consumer.id,
        wraps: [{ version: 1, wrapped: other }],
      })
      await rejectsWith(w.consumer.client.data.fetch(id), 'INTEGRITY')
      await rejectsWith(w.consumer.client.data.stream(id), 'INTEGRITY')
      expect(await usageCount(id)).toBe(0)
    })

    refuses(
      ['publishVersion.shape'],
      'refuses a version whose size and chunk count disagree, and a malformed key wrap',
      async () => {
        const { version } = await register()
        const v = version!
        await rejectsWith(rawPublish(w.provider, v, { size: Number.MAX_SAFE_INTEGER }), 'INVALID_INPUT')
        await rejectsWith(rawPublish(w.provider, v, { chunkCount: v.chunkCount + 1 }), 'INVALID_INPUT')
        await rejectsWith(
          rawPublish(w.provider, v, { wraps: [{ member: w.provider.id, wrapped: new Uint8Array(91) }] }),
          'INVALID_INPUT',
        )
        expect((await w.provider.client.datasets.get(v.datasetId)).latestVersion).toBe(1)
      },
    )

    it('streams only chunks that match what was verified before metering', async () => {
      const data = testBytes(5000, 3)
      const { id, version } = await register(w.provider, data, { store: 'shared' })
      await w.provider.client.grants.grant(id, w.consumer.id)
      const { stream } = await w.consumer.client.data.stream(id)
      // The store changes its answer after the verified first read.
      w.store.tamper(version!.location.address, chunks => chunks.map((c, i) => (i === 1 ? c.fill(0x42) : c)))
      const released: Uint8Array[] = []
      await expect(
        (async () => {
          for await (const p of stream) released.push(p)
        })(),
      ).rejects.toMatchObject({ code: 'INTEGRITY' })
      expect(released).toEqual([data.subarray(0, 1024)])
    })

    refuses(
      ['acknowledgeStatement.empty'],
      'settles a statement only on two identical acknowledgements of the open totals, once',
      async () => {
        const id = await granted()
        await w.consumer.client.data.fetch(id)
        const st1 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        await w.consumer.client.billing.settle(st1)
        for (let i = 0; i < 3; i++) await w.consumer.client.data.fetch(id)
        // The provider acknowledges the old digest with the new totals: the two sides do not agree.
        const key = { provider: st1.provider, consumer: st1.consumer, period: st1.period, currency: st1.currency }
        const s = await w.provider.ledger.submit('acknowledgeStatement', {
          ...key,
          digest: st1.digest,
          amount: 400n,
          count: 4,
        })
        expect(s.events.some(e => e.type === 'StatementSettled')).toBe(false)
        expect((await w.provider.client.billing.settlement(key)).settledDigest).toBeNull()
        const st2 = await w.provider.client.billing.statement({ consumer: w.consumer.id })
        expect([st2.sequence, st2.count, st2.amount]).toEqual([1, 4, 400n])
        await w.provider.client.billing.settle(st2)
        expect((await w.consumer.client.billing.settle(st2)).settledDigest).toEqual(st2.digest)
        const before = await eventCount(w.consumer.ledger)
        // Acknowledging again, by either side, changes nothing and emits nothing.
        for (const p of [w.consumer, w.provider, w.consumer]) await p.client.billing.settle(st2)
        expect(await eventCount(w.consumer.ledger)).toBe(before)
        expect(await settledEvents()).toBe(1)
        // Usage after the settlement opens the next statement of the key, which covers only the new records.
        await w.consumer.client.data.fetch(id)
        const st3 = await w.consumer.client.billing.statement({ provider: w.provider.id })
        expect([st3.sequence, st3.first, st3.count, st3.amount]).toEqual([2, 4, 1, 100n])
        await w.consumer.client.billing.settle(st3)
        const done = await w.provider.client.billing.settle(st3)
        expect([done.statements, done.closedCount, done.closedAmount, done.settledAmount]).toEqual([2, 5, 500n, 100n])
        await rejectsWith(
          w.consumer.client.billing.settle(await w.consumer.client.billing.statement({ provider: w.provider.id })),
          'INVALID_INPUT',
        )
        expect(await settledEvents()).toBe(2)
        expect((await w.regulator.client.audit.verify()).ok).toBe(true)
      },
    )

    refuses(
      ['recordUsage.nonce'],
      'records a retried access once: same nonces report the records already there',
      async () => {
        const id = await granted()
        const accesses = [nonce(), nonce()].map(n => ({ datasetId: id, version: 1, nonce: n }))
        const first = await w.consumer.client.usage.record(accesses)
        const again = await w.consumer.client.usage.record(accesses)
        expect(again.map(r => r.record)).toEqual(first.map(r => r.record))
        expect(again.every(r => r.txId === null)).toBe(true)
        const n = nonce()
        const a = await w.consumer.client.data.fetch(id, { nonce: n })
        const b = await w.consumer.client.data.fetch(id, { nonce: n })
        expect(b.receipt?.record).toEqual(a.receipt?.record)
        expect(await usageCount(id)).toBe(3)
        // A nonce already used for another access is still refused.
        const { id: other } = await register()
        await w.provider.client.grants.grant(other, w.consumer.id)
        await rejectsWith(w.consumer.client.usage.record([{ datasetId: other, version: 1, nonce: n }]), 'NONCE_REUSED')
      },
    )
  })
}

/** The billing area of the conformance suite alone (statements, settlement, the bill). */
export const describeBillingConformance: ConformanceSuite = /* @__PURE__ */ conformanceSuite(billing)
