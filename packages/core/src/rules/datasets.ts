import * as r from '../codec/records.js'
import { array, boolean, bytes, int, object } from '../codec/schema.js'
import type { Dataset, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { checkWrapSet, entitledMembers, requireActive, requireOwner } from './access.js'
import { checkChunkCount } from './checks.js'
import { defineRule } from './define.js'
import { keys } from './state.js'

/** A provider registers a dataset it then owns. The id is chosen by the caller (random 32 bytes) and must be new. */
export const registerDataset = defineRule(
  object({ datasetId: r.datasetId, metadata: r.metadata, terms: r.terms, listed: boolean }),
  r.dataset,
  async (state, args) => {
    const me = await state.activeCaller()
    if (!me.roles.includes('provider'))
      throw new DatapactError('ACCESS_DENIED', 'only a member with the provider role may register datasets', {
        details: { member: me.id },
      })
    if (await state.dataset(args.datasetId))
      throw new DatapactError('CONFLICT', `dataset ${args.datasetId} already exists`, {
        details: { datasetId: args.datasetId },
      })
    const ds: Dataset = {
      id: args.datasetId,
      owner: me.id,
      metadata: args.metadata,
      terms: args.terms,
      listed: args.listed,
      status: 'active',
      latestVersion: 0,
      grantCount: 0,
      createdAt: state.port.now(),
    }
    await state.write(r.dataset, keys.dataset(ds.id), ds)
    state.port.emit({ type: 'DatasetRegistered', dataset: ds })
    return ds
  },
)

/** The owner replaces metadata, terms and listing. New terms apply to usage recorded from then on. */
export const updateDataset = defineRule(
  object({ datasetId: r.datasetId, metadata: r.metadata, terms: r.terms, listed: boolean }),
  r.dataset,
  async (state, args) => {
    const { ds } = await requireOwner(state, args.datasetId)
    requireActive(ds)
    const updated: Dataset = { ...ds, metadata: args.metadata, terms: args.terms, listed: args.listed }
    await state.write(r.dataset, keys.dataset(ds.id), updated)
    state.port.emit({
      type: 'DatasetUpdated',
      datasetId: ds.id,
      metadata: args.metadata,
      terms: args.terms,
      listed: args.listed,
    })
    return updated
  },
)

/** The owner retires a dataset: no new versions or grants; grants in force keep working until they end. */
export const retireDataset = defineRule(object({ datasetId: r.datasetId }), r.dataset, async (state, args) => {
  const { ds } = await requireOwner(state, args.datasetId)
  requireActive(ds)
  const updated: Dataset = { ...ds, status: 'retired', listed: false }
  await state.write(r.dataset, keys.dataset(ds.id), updated)
  state.port.emit({ type: 'DatasetRetired', datasetId: ds.id })
  return updated
})

/**
 * The owner publishes the next version (number = latest + 1, append-only). The data key must be wrapped for exactly
 * the entitled members (owner, escrow regulator, grants in force covering it): a missing wrap is refused, so a
 * grantee is never left without its key, and a revoked one never receives it. A payload stored on the ledger must
 * already be there in full.
 */
export const publishVersion = defineRule(
  object({
    datasetId: r.datasetId,
    number: r.versionNumber,
    plaintextDigest: r.digest,
    merkleRoot: r.digest,
    size: int(1, r.LIMITS.uint53),
    chunkSize: int(1024, 16 * 1024 * 1024),
    chunkCount: int(1, r.LIMITS.uint32),
    header: bytes({ min: 1, max: r.LIMITS.header }),
    keyCommitment: r.digest,
    location: r.location,
    wraps: array(r.keyWrap, r.LIMITS.wraps, 1),
  }),
  r.version,
  async (state, args) => {
    checkChunkCount(args)
    const { ds, me } = await requireOwner(state, args.datasetId)
    requireActive(ds)
    if (args.number !== ds.latestVersion + 1)
      throw new DatapactError(
        'CONFLICT',
        `the next version of ${ds.id} is ${ds.latestVersion + 1}, not ${args.number}`,
        {
          details: { datasetId: ds.id, expected: ds.latestVersion + 1, got: args.number },
        },
      )
    if (args.location.store === 'ledger') {
      const address = args.location.address
      const meta = /^[0-9a-f]{64}$/.test(address) ? await state.read(payloadMeta, keys.payload(address)) : undefined
      if (!meta || meta.owner !== me.id || !meta.complete || meta.stored !== args.chunkCount)
        throw new DatapactError('INVALID_INPUT', 'the payload is not fully stored on the ledger by the owner', {
          details: { argument: 'location.address', stored: meta?.stored ?? 0, chunks: args.chunkCount },
        })
    }
    const settings = await state.settings()
    const required = await entitledMembers(state, ds, args.number, settings)
    checkWrapSet(
      args.wraps.map(w => w.member),
      required,
      `version ${args.number}`,
    )
    const version: Version = {
      datasetId: ds.id,
      number: args.number,
      plaintextDigest: args.plaintextDigest,
      merkleRoot: args.merkleRoot,
      size: args.size,
      chunkSize: args.chunkSize,
      chunkCount: args.chunkCount,
      header: args.header,
      keyCommitment: args.keyCommitment,
      location: args.location,
      previous: ds.latestVersion,
      publisher: me.id,
      publishedAt: state.port.now(),
    }
    await state.write(r.version, keys.version(ds.id, version.number), version)
    for (const w of args.wraps) await state.port.put(keys.wrap(ds.id, version.number, w.member), w.wrapped)
    await state.write(r.dataset, keys.dataset(ds.id), { ...ds, latestVersion: version.number })
    state.port.emit({ type: 'VersionPublished', version, wrappedFor: args.wraps.map(w => w.member).sort() })
    return version
  },
)

/** Progress of a payload upload on the ledger: who uploads it, how many chunks are stored, whether it is complete. */
export const payloadMeta = object({ owner: r.memberId, stored: r.uint32, complete: boolean })

/**
 * A provider stores ciphertext chunks of a payload in the ledger's own state, under an upload id it chose, so
 * every member's node holds them. Chunks arrive in order (`first` = chunks stored so far) from the one member
 * that started the upload; the batch flagged `last` completes it, and a complete upload is immutable.
 */
export const storePayload = defineRule(
  object({
    upload: r.hex32,
    first: r.uint32,
    chunks: array(bytes({ min: 1, max: r.LIMITS.chunk }), r.LIMITS.payloadBatch, 1),
    last: boolean,
  }),
  payloadMeta,
  async (state, args) => {
    const me = await state.activeCaller()
    if (!me.roles.includes('provider'))
      throw new DatapactError('ACCESS_DENIED', 'only a provider may store payloads', { details: { member: me.id } })
    const meta = (await state.read(payloadMeta, keys.payload(args.upload))) ?? {
      owner: me.id,
      stored: 0,
      complete: false,
    }
    if (meta.owner !== me.id)
      throw new DatapactError('ACCESS_DENIED', `upload ${args.upload} belongs to another member`, {
        details: { upload: args.upload },
      })
    if (meta.complete)
      throw new DatapactError('CONFLICT', `upload ${args.upload} is complete and immutable`, {
        details: { upload: args.upload },
      })
    if (args.first !== meta.stored)
      throw new DatapactError(
        'CONFLICT',
        `upload ${args.upload} continues at chunk ${meta.stored}, not ${args.first}`,
        {
          details: { upload: args.upload, expected: meta.stored, got: args.first },
        },
      )
    for (const [i, chunk] of args.chunks.entries()) await state.port.put(keys.chunk(args.upload, args.first + i), chunk)
    const updated = { owner: me.id, stored: meta.stored + args.chunks.length, complete: args.last }
    await state.write(payloadMeta, keys.payload(args.upload), updated)
    state.port.emit({
      type: 'PayloadStored',
      upload: args.upload,
      first: args.first,
      count: args.chunks.length,
      complete: args.last,
    })
    return updated
  },
)
