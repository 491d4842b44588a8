import type { Dataset, DatasetId, Grant, LedgerEvent, MemberId } from '../domain/index.js'

/**
 * The dataset and grant state that the ledger's events imply, field for field as the rules write it: one definition,
 * applied by the audit's replay (which checks each event before it applies it) and by the member-side index (which
 * keeps the catalog and the grants of its node). An event that does not change the entity leaves it as it is.
 */

/** The key of a grant among the grants: dataset id, then grantee. */
export const grantKey = (datasetId: DatasetId, grantee: MemberId): string => `${datasetId}/${grantee}`

/**
 * The dataset an event changes.
 *
 * @param e - An event.
 * @returns The id of the dataset whose state the event changes, or undefined.
 */
export function datasetChangedBy(e: LedgerEvent): DatasetId | undefined {
  switch (e.type) {
    case 'DatasetRegistered':
      return e.dataset.id
    case 'DatasetUpdated':
    case 'DatasetRetired':
      return e.datasetId
    case 'VersionPublished':
      return e.version.datasetId
    case 'AccessGranted':
      return e.grant.datasetId
    default:
      return undefined
  }
}

/**
 * The grant an event changes.
 *
 * @param e - An event.
 * @returns Dataset and grantee of the grant whose state the event changes, or undefined.
 */
export function grantChangedBy(e: LedgerEvent): { datasetId: DatasetId; grantee: MemberId } | undefined {
  switch (e.type) {
    case 'AccessGranted':
      return e.grant
    case 'AccessRevoked':
    case 'TermsAccepted':
      return e
    case 'UsageRecorded':
      return { datasetId: e.record.datasetId, grantee: e.record.consumer }
    default:
      return undefined
  }
}

/**
 * A dataset after an event (registration, update, retirement, a new version, a new grant), as the rules store it.
 *
 * @param ds - The dataset before (undefined before its registration).
 * @param e - The event.
 * @returns The dataset after; `ds` itself when the event does not change it.
 */
export function datasetAfter(ds: Dataset | undefined, e: LedgerEvent): Dataset | undefined {
  if (e.type === 'DatasetRegistered') return e.dataset
  if (!ds) return ds
  switch (e.type) {
    case 'DatasetUpdated':
      return { ...ds, metadata: e.metadata, terms: e.terms, listed: e.listed }
    case 'DatasetRetired':
      return { ...ds, status: 'retired', listed: false }
    case 'VersionPublished':
      return { ...ds, latestVersion: e.version.number }
    case 'AccessGranted':
      return { ...ds, grantCount: e.grant.seq }
    default:
      return ds
  }
}

/**
 * A grant after an event (the grant, its revocation, accepted terms, a usage under it), as the rules store it.
 *
 * @param g - The grant before (undefined before the first grant to that grantee on that dataset).
 * @param e - The event.
 * @param at - The ledger time of the event's transaction.
 * @returns The grant after; `g` itself when the event does not change it.
 */
export function grantAfter(g: Grant | undefined, e: LedgerEvent, at: number): Grant | undefined {
  if (e.type === 'AccessGranted') return e.grant
  if (!g) return g
  switch (e.type) {
    case 'AccessRevoked':
      return { ...g, state: 'revoked', revokedAt: at }
    case 'TermsAccepted':
      return { ...g, terms: e.terms }
    case 'UsageRecorded':
      return { ...g, used: g.used + 1, lastUsedAt: e.record.at }
    default:
      return g
  }
}
