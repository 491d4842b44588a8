import type { Grant, PinnedTerms, Terms, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'

/**
 * Pure checks over plain values, written once: the ledger rules, the client's courtesy checks and the audit's replay
 * all call these, so a rule cannot drift between them.
 */

/** The chunk count a payload of `size` plaintext bytes in chunks of `chunkSize` has (the last chunk may be short). */
export const chunkCountOf = (size: number, chunkSize: number): number => Math.max(1, Math.ceil(size / chunkSize))

/**
 * Refuses a version whose size, chunk size and chunk count disagree (INVALID_INPUT): a provider could otherwise
 * announce a size that bills for bytes the payload does not hold.
 */
export function checkChunkCount(v: Pick<Version, 'size' | 'chunkSize' | 'chunkCount'>): void {
  const expected = chunkCountOf(v.size, v.chunkSize)
  if (v.chunkCount !== expected)
    throw new DatapactError(
      'INVALID_INPUT',
      `a payload of ${v.size} bytes in chunks of ${v.chunkSize} has ${expected} chunks, not ${v.chunkCount}`,
      { details: { argument: 'chunkCount', expected, got: v.chunkCount } },
    )
}

/** The price terms a new grant pins: the dataset's terms without the licence text. */
export const pinTerms = (t: Terms): PinnedTerms => ({
  pricePerAccess: t.pricePerAccess,
  pricePerByte: t.pricePerByte,
  currency: t.currency,
})

/** Whether two pinned terms are the same price in the same currency. */
export const samePinnedTerms = (a: PinnedTerms, b: PinnedTerms): boolean =>
  a.pricePerAccess === b.pricePerAccess && a.pricePerByte === b.pricePerByte && a.currency === b.currency

/** Amount of one access of `bytes` bytes under a grant: its price override, else the terms pinned in it. */
export const priceOf = (grant: Pick<Grant, 'priceOverride' | 'terms'>, bytes: number): bigint =>
  grant.priceOverride ?? grant.terms.pricePerAccess + grant.terms.pricePerByte * BigInt(bytes)

/**
 * Refuses usage dated before its grant was made or before the last usage under it (CONFLICT): ledger time only moves
 * forward for a grant, whatever clock a submitter would like to use.
 */
export function checkUsageTime(grant: Pick<Grant, 'datasetId' | 'grantedAt' | 'lastUsedAt'>, now: number): void {
  const floor = Math.max(grant.grantedAt, grant.lastUsedAt ?? 0)
  if (now < floor)
    throw new DatapactError(
      'CONFLICT',
      `ledger time ${now} is before the grant's ${grant.lastUsedAt !== null && grant.lastUsedAt >= grant.grantedAt ? 'last usage' : 'start'} (${floor})`,
      { details: { datasetId: grant.datasetId, now, notBefore: floor } },
    )
}
