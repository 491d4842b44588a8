import type { DatapactErrorCode } from '../errors.js'
import { type Party, TERMS, testBytes, type World } from './fixtures.js'
import type { ConformanceExpect } from './runner.js'

interface ModelGrant {
  state: 'active' | 'revoked'
  max: number
  used: number
  /** The price pinned when the grant was made. */
  price: bigint
}

/** What the ledger should hold, kept by the simplest possible bookkeeping. */
interface Model {
  versions: number
  price: bigint
  grants: Map<string, ModelGrant>
  /** Per consumer: what was billed since its last settlement, and how many accesses. */
  billed: Map<string, bigint>
  unsettled: Map<string, number>
}

const outcome = async (p: Promise<unknown>): Promise<'ok' | DatapactErrorCode> =>
  p.then(
    () => 'ok' as const,
    (e: { code?: DatapactErrorCode }) => e.code ?? (String(e) as DatapactErrorCode),
  )

/**
 * Plays a random history (one action per seed) against the ledger through the client and against a model, and
 * checks that both agree on every outcome (success or error code), on the totals, and that the audit is clean.
 */
export async function runModelHistory(w: World, seeds: number[], expect: ConformanceExpect): Promise<void> {
  const consumers: Party[] = [w.consumer, w.consumer2]
  const { id } = await w.provider.client.datasets.register({ title: 'Model', terms: TERMS, data: testBytes(64, 0) })
  const m: Model = {
    versions: 1,
    price: TERMS.pricePerAccess,
    grants: new Map(),
    billed: new Map(),
    unsettled: new Map(),
  }
  for (const [step, seed] of seeds.entries()) {
    const c = consumers[seed % 2]!
    const g = m.grants.get(c.id)
    const action = Math.floor(seed / 2) % 6
    let expected: 'ok' | DatapactErrorCode
    let actual: 'ok' | DatapactErrorCode
    switch (action) {
      case 0:
        expected = 'ok'
        actual = await outcome(w.provider.client.datasets.publish(id, testBytes(64 + step, seed)))
        if (actual === 'ok') m.versions++
        break
      case 1: {
        const max = 1 + (seed % 3)
        expected = g?.state === 'active' ? 'CONFLICT' : 'ok'
        actual = await outcome(w.provider.client.grants.grant(id, c.id, { maxAccesses: max }))
        if (actual === 'ok') m.grants.set(c.id, { state: 'active', max, used: 0, price: m.price })
        break
      }
      case 2:
        expected = !g ? 'NOT_FOUND' : g.state === 'revoked' ? 'CONFLICT' : 'ok'
        actual = await outcome(w.provider.client.grants.revoke(id, c.id))
        if (actual === 'ok' && g) g.state = 'revoked'
        break
      case 3:
        expected = !g
          ? 'ACCESS_DENIED'
          : g.state === 'revoked'
            ? 'GRANT_REVOKED'
            : g.used >= g.max
              ? 'QUOTA_EXCEEDED'
              : 'ok'
        actual = await outcome(c.client.data.fetch(id))
        if (actual === 'ok' && g) {
          g.used++
          m.billed.set(c.id, (m.billed.get(c.id) ?? 0n) + g.price)
          m.unsettled.set(c.id, (m.unsettled.get(c.id) ?? 0) + 1)
        }
        break
      case 4:
        m.price = BigInt(seed % 500)
        expected = 'ok'
        actual = await outcome(w.provider.client.datasets.update(id, { terms: { pricePerAccess: m.price } }))
        break
      default: {
        // An empty statement has nothing to settle; otherwise the open statement settles what was billed since.
        expected = (m.unsettled.get(c.id) ?? 0) === 0 ? 'INVALID_INPUT' : 'ok'
        actual = await outcome(
          (async () => {
            const st = await c.client.billing.statement({ provider: w.provider.id, currency: 'CNY' })
            await c.client.billing.settle(st)
            const settled = await w.provider.client.billing.settle(st)
            if (settled.settledDigest === null) throw new Error('not settled')
            if (st.amount !== (m.billed.get(c.id) ?? 0n)) throw new Error(`billed ${st.amount}`)
          })(),
        )
        if (actual === 'ok') {
          m.billed.set(c.id, 0n)
          m.unsettled.set(c.id, 0)
        }
      }
    }
    expect({ step, action, outcome: actual }).toEqual({ step, action, outcome: expected })
  }
  const report = await w.regulator.client.audit.verify()
  expect(report.violations).toEqual([])
  expect(report.versions).toBe(m.versions)
}
