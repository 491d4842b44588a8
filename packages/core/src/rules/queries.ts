import * as r from '../codec/records.js'
import { array, boolean, bytes, int, nullable, object, string } from '../codec/schema.js'
import type { Dataset, DatasetId, Grant, MemberId } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { payloadMeta } from './datasets.js'
import { defineRule } from './define.js'
import { keys } from './state.js'

const many = 1_000_000
const statementKey = object({
  provider: r.memberId,
  consumer: r.memberId,
  period: int(0, r.LIMITS.uint53),
  currency: r.currency,
})

/** Read-only calls: evaluated on the caller's own node, never ordered, never change state. */
export const getSettings = defineRule(object({}), nullable(r.settings), async state => (await state.settings()) ?? null)

export const getLedgerTime = defineRule(object({}), r.time, async state => state.port.now())

export const getMember = defineRule(
  object({ member: r.memberId }),
  nullable(r.member),
  async (state, a) => (await state.member(a.member)) ?? null,
)

export const listMembers = defineRule(object({}), array(r.member, many), state => state.list(r.member, keys.members()))

export const getDataset = defineRule(
  object({ datasetId: r.datasetId }),
  nullable(r.dataset),
  async (state, a) => (await state.dataset(a.datasetId)) ?? null,
)

/** The catalog: datasets filtered by owner, tag and listing, in id order. */
/**
 * Whether a dataset is in a catalog listing: the filter of `listDatasets`, which the client applies to the datasets
 * of its member-side index too.
 *
 * @param ds - A dataset.
 * @param a - Owner and tag (null: any) and whether only listed datasets count.
 * @returns `true` when the dataset is listed under those filters.
 */
export const inCatalog = (
  ds: Dataset,
  a: { owner: MemberId | null; tag: string | null; listedOnly: boolean },
): boolean =>
  (a.owner === null || ds.owner === a.owner) &&
  (a.tag === null || ds.metadata.tags.includes(a.tag)) &&
  (!a.listedOnly || ds.listed)

export const listDatasets = defineRule(
  object({ owner: nullable(r.memberId), tag: nullable(string(r.LIMITS.tag, 1)), listedOnly: boolean }),
  array(r.dataset, many),
  async (state, a) => (await state.list(r.dataset, keys.datasets())).filter(ds => inCatalog(ds, a)),
)

export const getVersion = defineRule(
  object({ datasetId: r.datasetId, number: r.versionNumber }),
  nullable(r.version),
  async (state, a) => (await state.version(a.datasetId, a.number)) ?? null,
)

export const listVersions = defineRule(object({ datasetId: r.datasetId }), array(r.version, many), (state, a) =>
  state.list(r.version, keys.versions(a.datasetId)),
)

export const getGrant = defineRule(
  object({ datasetId: r.datasetId, grantee: r.memberId }),
  nullable(r.grant),
  async (state, a) => (await state.grant(a.datasetId, a.grantee)) ?? null,
)

/** Grants of one dataset, or all grants held by one grantee, or every grant. */
/**
 * Whether a grant is in a grants listing: the filter of `listGrants`, which the client applies to the grants of its
 * member-side index too.
 *
 * @param g - A grant.
 * @param a - Dataset and grantee (null: any).
 * @returns `true` when the grant matches both.
 */
export const inGrantList = (g: Grant, a: { datasetId: DatasetId | null; grantee: MemberId | null }): boolean =>
  (a.datasetId === null || g.datasetId === a.datasetId) && (a.grantee === null || g.grantee === a.grantee)

export const listGrants = defineRule(
  object({ datasetId: nullable(r.datasetId), grantee: nullable(r.memberId) }),
  array(r.grant, many),
  async (state, a) =>
    (await state.list(r.grant, a.datasetId === null ? keys.allGrants() : keys.grants(a.datasetId))).filter(g =>
      inGrantList(g, a),
    ),
)

export const getKeyWrap = defineRule(
  object({ datasetId: r.datasetId, number: r.versionNumber, member: r.memberId }),
  nullable(r.wrapped),
  async (state, a) => (await state.port.get(keys.wrap(a.datasetId, a.number, a.member))) ?? null,
)

/** The usage record a consumer filed under a nonce, or null: how a retry finds out what was recorded. */
export const getUsage = defineRule(
  object({ consumer: r.memberId, nonce: r.nonce }),
  nullable(r.usageRecord),
  async (state, a) => (await state.read(r.usageRecord, keys.nonce(a.consumer, a.nonce))) ?? null,
)

export const getTotals = defineRule(statementKey, r.totals, (state, a) => state.emptyTotals(a))

export const getSettlement = defineRule(statementKey, r.settlement, (state, a) => state.emptySettlement(a))

/** Chunks `first .. first + count - 1` of a payload stored on the ledger; NOT_FOUND if any is missing. */
export const getPayload = defineRule(
  object({ upload: r.hex32, first: r.uint32, count: int(1, r.LIMITS.payloadBatch) }),
  array(bytes({ min: 1, max: r.LIMITS.chunk }), r.LIMITS.payloadBatch),
  async (state, a) => {
    const meta = await state.read(payloadMeta, keys.payload(a.upload))
    const out: Uint8Array[] = []
    for (let i = a.first; i < a.first + a.count; i++) {
      const chunk = await state.port.get(keys.chunk(a.upload, i))
      if (!chunk)
        throw new DatapactError('NOT_FOUND', `chunk ${i} of upload ${a.upload} is not on the ledger`, {
          details: { upload: a.upload, index: i, stored: meta?.stored ?? 0 },
        })
      out.push(chunk)
    }
    return out
  },
)
