import { randomBytes } from '@noble/hashes/utils.js'
import * as r from '../codec/records.js'
import { createEncryptor, type DataSource, generateDataKey, keyCommitment, wrapKey } from '../crypto/index.js'
import type { Dataset, DatasetMetadata, Member, Terms, Version } from '../domain/index.js'
import { DatapactError, isDatapactError } from '../errors.js'
import { checkObject, invalidArgument } from '../internal/assert.js'
import { bytesToHex, hexToBytes } from '../internal/bytes.js'
import { covers, inForce } from '../rules/index.js'
import { type ClientContext, requireDataset, settingsOf, storeFor } from './context.js'

/** Progress of a long operation: plaintext bytes and chunks processed so far. */
export interface Progress {
  bytes: number
  chunks: number
}

/** Terms as a caller gives them: prices default to 0, licence to empty. */
export interface TermsInput {
  pricePerAccess?: bigint
  pricePerByte?: bigint
  currency: string
  licence?: string
}

/** Metadata as a caller gives them: only the title is required. */
export interface MetadataInput {
  title: string
  description?: string
  tags?: string[]
  mediaType?: string
  schema?: string
}

/** How a version's payload is encrypted and where it goes. */
export interface PublishOptions {
  /** Payload store name: `ledger` (default: chunks in the ledger's own state) or one given to the client. */
  store?: string
  /** Plaintext chunk size in bytes (1 KiB .. 1 MiB for the ledger store; default 64 KiB). */
  chunkSize?: number
  onProgress?: (progress: Progress) => void
}

export interface RegisterParameters extends MetadataInput, PublishOptions {
  terms: TermsInput
  /** Whether the catalog lists it (default true). */
  listed?: boolean
  /** The first version's data; omit to register without a version. */
  data?: DataSource
}

export interface RegisterResult {
  id: string
  dataset: Dataset
  /** Version 1 when `data` was given. */
  version: Version | null
}

export interface UpdateParameters extends Partial<MetadataInput> {
  terms?: Partial<TermsInput>
  listed?: boolean
}

export interface CatalogFilter {
  owner?: string
  tag?: string
  /** Include unlisted datasets (default false). */
  includeUnlisted?: boolean
}

const optional = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value)

function toMetadata(p: MetadataInput): DatasetMetadata {
  return {
    title: p.title,
    description: optional(p.description, ''),
    tags: optional(p.tags, []),
    mediaType: optional(p.mediaType, 'application/octet-stream'),
    schema: optional(p.schema, ''),
  }
}

function toTerms(t: TermsInput): Terms {
  checkObject(t, 'terms')
  return {
    pricePerAccess: optional(t.pricePerAccess, 0n),
    pricePerByte: optional(t.pricePerByte, 0n),
    currency: t.currency,
    licence: optional(t.licence, ''),
  }
}

/** Members a version's key must be wrapped for, mirroring the ledger's rule (which is what enforces it). */
async function entitledMembers(ctx: ClientContext, ds: Dataset, n: number): Promise<Member[]> {
  const [now, settings, grants] = await Promise.all([
    ctx.ledger.query('getLedgerTime', {}),
    settingsOf(ctx),
    ctx.ledger.query('listGrants', { datasetId: ds.id, grantee: null }),
  ])
  const ids = new Set([ds.owner])
  if (settings.regulatorEscrow) ids.add(settings.regulatorEscrow)
  for (const g of grants) if (inForce(g, now) && covers(g.scope, n)) ids.add(g.grantee)
  const members = await Promise.all([...ids].map(member => ctx.ledger.query('getMember', { member })))
  return members.filter((m): m is Member => m !== null && m.status === 'active')
}

/** Datasets: register, publish versions, update, retire, browse the catalog and the history. */
export class Datasets {
  readonly #ctx: ClientContext

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Registers a dataset owned by this member and, when `data` is given, publishes it as version 1.
   *
   * @param params - Metadata, terms, listing, and optionally the first version's data and publish options.
   * @returns The dataset id, the dataset and version 1 (or null).
   * @throws {@link DatapactError} INVALID_INPUT on bad metadata or terms; ACCESS_DENIED without the provider
   *   role; LEDGER_UNAVAILABLE. If publishing version 1 fails after the registration committed, the error carries
   *   `details.datasetId` so the caller can publish again.
   * @example
   * ```ts
   * const { id } = await alice.datasets.register({ title: 'Tick data', terms: { pricePerAccess: 100n, currency: 'CNY' }, data })
   * ```
   */
  async register(params: RegisterParameters): Promise<RegisterResult> {
    checkObject(params, 'params')
    const datasetId = bytesToHex(randomBytes(32))
    const args = {
      datasetId,
      metadata: toMetadata(params),
      terms: toTerms(params.terms),
      listed: optional(params.listed, true),
    }
    r.metadata.check(args.metadata, 'params')
    r.terms.check(args.terms, 'params.terms')
    if (params.data !== undefined) {
      checkData(params.data)
      checkPublishOptions(params)
    }
    const { events } = await this.#ctx.ledger.submit('registerDataset', args)
    const registered = events.find(e => e.type === 'DatasetRegistered')
    const dataset =
      registered?.type === 'DatasetRegistered' ? registered.dataset : await requireDataset(this.#ctx, datasetId)
    if (params.data === undefined) return { id: datasetId, dataset, version: null }
    try {
      const version = await this.publish(datasetId, params.data, params)
      return { id: datasetId, dataset: { ...dataset, latestVersion: version.number }, version }
    } catch (cause) {
      if (cause instanceof DatapactError)
        throw new DatapactError(
          cause.code,
          `dataset ${datasetId} was registered but version 1 was not published: ${cause.message}`,
          {
            details: { ...cause.details, datasetId },
            cause,
          },
        )
      throw cause
    }
  }

  /**
   * Publishes the next version: a fresh data key, the payload encrypted in chunks and stored, its digest and
   * Merkle root anchored on the ledger, and the key wrapped for the owner, the escrow regulator and every grantee
   * whose grant is in force and covers it.
   *
   * @param datasetId - The dataset (owned by this member).
   * @param data - Bytes, an (async) iterable of byte chunks, or a ReadableStream.
   * @param options - Store, chunk size, progress callback.
   * @returns The committed version.
   * @throws {@link DatapactError} NOT_FOUND, ACCESS_DENIED (not the owner), CONFLICT (retired, or a concurrent
   *   publish took the number), INVALID_INPUT, LEDGER_UNAVAILABLE.
   */
  async publish(datasetId: string, data: DataSource, options: PublishOptions = {}): Promise<Version> {
    r.datasetId.check(datasetId, 'datasetId')
    checkData(data)
    checkPublishOptions(options)
    const ctx = this.#ctx
    const ds = await requireDataset(ctx, datasetId)
    if (ds.owner !== ctx.me)
      throw new DatapactError('ACCESS_DENIED', `only the owner of dataset ${datasetId} may publish`, {
        details: { datasetId, caller: ctx.me },
      })
    const number = ds.latestVersion + 1
    const store = storeFor(ctx, options.store ?? ctx.defaultStore)
    const dataKey = generateDataKey()
    try {
      const encryptor = createEncryptor({
        key: dataKey,
        datasetId: hexToBytes(datasetId),
        version: number,
        ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      })
      const address = await store.put(encryptor.encrypt(data))
      const summary = encryptor.summary()
      if (summary.plaintextSize === 0) throw invalidArgument('data', 'at least one byte', 'an empty stream')
      const submit = async () => {
        const members = await entitledMembers(ctx, ds, number)
        const wraps = await Promise.all(
          members.map(async m => ({
            member: m.id,
            wrapped: await wrapKey({
              dataKey,
              recipientPublicKey: m.envelopeKey,
              datasetId: hexToBytes(datasetId),
              version: number,
              recipientId: m.id,
            }),
          })),
        )
        return ctx.ledger.submit('publishVersion', {
          datasetId,
          number,
          plaintextDigest: summary.plaintextDigest,
          merkleRoot: summary.merkleRoot,
          size: summary.plaintextSize,
          chunkSize: encryptor.chunkSize,
          chunkCount: summary.chunkCount,
          header: encryptor.header,
          keyCommitment: keyCommitment(dataKey, encryptor.header),
          location: { store: store.name, address },
          wraps,
        })
      }
      // A grant given, revoked or expired between reading the grants and committing changes who must get the
      // key; the ledger refuses the stale wrap set, so read the grants again and try once more.
      const { events } = await submit().catch(e =>
        isDatapactError(e, 'INVALID_INPUT') && e.details.argument === 'wraps' ? submit() : Promise.reject(e),
      )
      const published = events.find(e => e.type === 'VersionPublished')
      if (published?.type === 'VersionPublished') return published.version
      return await this.version(datasetId, number)
    } finally {
      dataKey.fill(0)
    }
  }

  /**
   * Replaces metadata, terms or listing (fields not given keep their value). New terms apply from now on.
   * @throws {@link DatapactError} NOT_FOUND, ACCESS_DENIED, CONFLICT (retired), INVALID_INPUT.
   */
  async update(datasetId: string, changes: UpdateParameters): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    checkObject(changes, 'changes')
    const fields = ['title', 'description', 'tags', 'mediaType', 'schema', 'terms', 'listed']
    const given = Object.keys(changes)
    const unknown = given.find(k => !fields.includes(k))
    if (unknown !== undefined)
      throw invalidArgument(`changes.${unknown}`, `one of ${fields.join(', ')}`, 'an unknown field')
    if (given.length === 0) throw invalidArgument('changes', 'at least one field to change', 'none')
    const ds = await requireDataset(this.#ctx, datasetId)
    const metadata = { ...ds.metadata }
    for (const k of ['title', 'description', 'tags', 'mediaType', 'schema'] as const)
      if (changes[k] !== undefined) (metadata as Record<string, unknown>)[k] = changes[k]
    const terms = { ...ds.terms }
    if (changes.terms !== undefined) {
      checkObject(changes.terms, 'changes.terms')
      for (const [k, v] of Object.entries(changes.terms)) if (v !== undefined) (terms as Record<string, unknown>)[k] = v
    }
    const { events } = await this.#ctx.ledger.submit('updateDataset', {
      datasetId,
      metadata,
      terms,
      listed: optional(changes.listed, ds.listed),
    })
    return events.some(e => e.type === 'DatasetUpdated') ? await requireDataset(this.#ctx, datasetId) : ds
  }

  /** Retires a dataset: no new versions or grants; grants in force keep working. */
  async retire(datasetId: string): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    await this.#ctx.ledger.submit('retireDataset', { datasetId })
    return requireDataset(this.#ctx, datasetId)
  }

  /** A dataset by id. @throws {@link DatapactError} NOT_FOUND. */
  async get(datasetId: string): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    return requireDataset(this.#ctx, datasetId)
  }

  /** The catalog: listed datasets (or all, with `includeUnlisted`), optionally by owner and tag. */
  async catalog(filter: CatalogFilter = {}): Promise<Dataset[]> {
    checkObject(filter, 'filter')
    return this.#ctx.ledger.query('listDatasets', {
      owner: filter.owner ?? null,
      tag: filter.tag ?? null,
      listedOnly: !filter.includeUnlisted,
    })
  }

  /** Every version of a dataset, oldest first: the append-only history anchored on the ledger. */
  async history(datasetId: string): Promise<Version[]> {
    r.datasetId.check(datasetId, 'datasetId')
    await requireDataset(this.#ctx, datasetId)
    return this.#ctx.ledger.query('listVersions', { datasetId })
  }

  /** One version. @throws {@link DatapactError} NOT_FOUND. */
  async version(datasetId: string, number: number): Promise<Version> {
    r.datasetId.check(datasetId, 'datasetId')
    r.versionNumber.check(number, 'number')
    const v = await this.#ctx.ledger.query('getVersion', { datasetId, number })
    if (!v)
      throw new DatapactError('NOT_FOUND', `version ${number} of dataset ${datasetId} does not exist`, {
        details: { datasetId, version: number },
      })
    return v
  }
}

function checkPublishOptions(o: PublishOptions): void {
  checkObject(o, 'options')
  if (o.store !== undefined) r.storeName.check(o.store, 'options.store')
  if (o.chunkSize !== undefined && (!Number.isSafeInteger(o.chunkSize) || o.chunkSize < 1024 || o.chunkSize > 1 << 20))
    throw invalidArgument('options.chunkSize', 'integer in 1024..1048576', String(o.chunkSize))
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw invalidArgument('options.onProgress', 'function', typeof o.onProgress)
}

function checkData(data: unknown): void {
  if (data instanceof Uint8Array && data.length === 0)
    throw invalidArgument('data', 'at least one byte', 'Uint8Array(0)')
  const ok =
    data instanceof Uint8Array ||
    (typeof data === 'object' &&
      data !== null &&
      (Symbol.asyncIterator in data ||
        Symbol.iterator in data ||
        typeof (data as ReadableStream).getReader === 'function'))
  if (!ok) throw invalidArgument('data', 'Uint8Array, (async) iterable of Uint8Array or ReadableStream', typeof data)
}
