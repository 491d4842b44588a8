import * as r from '../codec/records.js'
import { array, int, object } from '../codec/schema.js'
import type { Dataset, Grant, UsageRecord, UsageTotals, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { covers, requireInForce, requireQuota } from './access.js'
import { checkUsageTime, priceOf } from './checks.js'
import { defineRule } from './define.js'
import { DEFAULT_SETTINGS } from './members.js'
import { keys } from './state.js'

/** The billing period that ledger time `at` falls in. */
export const periodOf = (at: number, periodSeconds: number): number => Math.floor(at / periodSeconds)

const claim = object({
  datasetId: r.datasetId,
  version: r.versionNumber,
  bytes: int(0, r.LIMITS.uint53),
  amount: r.money,
  nonce: r.nonce,
  wrapHash: r.digest,
})

/**
 * The consumer (the caller) records accesses, one or a batch. Each is refused outside a grant in force
 * (ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED), dated before the grant or its last usage (CONFLICT), for a version the scope does not cover (ACCESS_DENIED), past the
 * quota (QUOTA_EXCEEDED), with bytes other than the version's size (INVALID_INPUT), with an amount other than the
 * terms give (AMOUNT_MISMATCH) or with a nonce already used (NONCE_REUSED). A batch is all-or-nothing.
 */
export const recordUsage = defineRule(
  object({ records: array(claim, r.LIMITS.usageBatch, 1) }),
  array(r.usageRecord, r.LIMITS.usageBatch),
  async (state, args) => {
    const me = await state.activeCaller()
    const now = state.port.now()
    const settings = (await state.settings()) ?? DEFAULT_SETTINGS
    const period = periodOf(now, settings.periodSeconds)
    const out: UsageRecord[] = []
    // What the batch has read or changed so far, by key: each is read once and written once, at the end, as the
    // records before it leave it (the checks of record i see the grant and totals after records 0..i-1).
    const datasets = new Map<string, Dataset>()
    const versions = new Map<string, Version>()
    const grants = new Map<string, Grant>()
    const totalsByKey = new Map<string, UsageTotals>()
    for (const [i, c] of args.records.entries()) {
      const where = { datasetId: c.datasetId, version: c.version, index: i }
      const ds = datasets.get(c.datasetId) ?? (await state.requireDataset(c.datasetId))
      datasets.set(ds.id, ds)
      const grant = grants.get(ds.id) ?? (await state.grant(ds.id, me.id))
      if (!grant)
        throw new DatapactError('ACCESS_DENIED', `${me.id} holds no grant on dataset ${ds.id}`, { details: where })
      requireInForce(grant, now, where)
      checkUsageTime(grant, now)
      const versionKey = keys.version(ds.id, c.version)
      const version = versions.get(versionKey) ?? (await state.requireVersion(ds.id, c.version))
      versions.set(versionKey, version)
      if (!covers(grant.scope, c.version))
        throw new DatapactError('ACCESS_DENIED', `the grant does not cover version ${c.version}`, { details: where })
      requireQuota(grant, where)
      if (c.bytes !== version.size)
        throw new DatapactError('INVALID_INPUT', `an access of version ${c.version} delivers ${version.size} bytes`, {
          details: { ...where, argument: `records[${i}].bytes` },
        })
      const expected = priceOf(grant, c.bytes)
      if (c.amount !== expected)
        throw new DatapactError('AMOUNT_MISMATCH', `the terms give ${expected}, the record says ${c.amount}`, {
          details: { ...where, expected: expected.toString(), got: c.amount.toString() },
        })
      const nonceKey = keys.nonce(me.id, c.nonce)
      if ((await state.port.get(nonceKey)) !== undefined)
        throw new DatapactError('NONCE_REUSED', `nonce ${c.nonce} was already used`, { details: where })
      grants.set(ds.id, { ...grant, used: grant.used + 1, lastUsedAt: now })
      const record: UsageRecord = {
        datasetId: ds.id,
        version: c.version,
        consumer: me.id,
        provider: ds.owner,
        bytes: c.bytes,
        amount: c.amount,
        currency: grant.terms.currency,
        period,
        at: now,
        nonce: c.nonce,
        grantSeq: grant.seq,
        wrapHash: c.wrapHash,
      }
      // The record itself stays under its nonce, so a retry with the same nonce can find what was recorded.
      await state.write(r.usageRecord, nonceKey, record)
      const key = { provider: ds.owner, consumer: me.id, period, currency: record.currency }
      const totalsKey = keys.totals(key)
      const totals = totalsByKey.get(totalsKey) ?? (await state.emptyTotals(key))
      totalsByKey.set(totalsKey, {
        ...totals,
        count: totals.count + 1,
        bytes: totals.bytes + record.bytes,
        amount: totals.amount + record.amount,
      })
      state.port.emit({ type: 'UsageRecorded', record })
      out.push(record)
    }
    for (const [datasetId, grant] of grants) await state.write(r.grant, keys.grant(datasetId, me.id), grant)
    for (const [key, totals] of totalsByKey) await state.write(r.totals, key, totals)
    return out
  },
)
