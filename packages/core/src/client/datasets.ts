import { randomBytes } from '@noble/hashes/utils.js'
import * as r from '../codec/records.js'
import { createEncryptor, type DataSource, generateDataKey, keyCommitment, wrapKey } from '../crypto/index.js'
import { primeDataSource } from '../crypto/source.js'
import type { Dataset, DatasetId, DatasetMetadata, Digest, Member, MemberId, Terms, Version } from '../domain/index.js'
import { DatapactError, isDatapactError } from '../errors.js'
import {
  abortable,
  assertOptionalBoolean,
  assertOptionalFunction,
  assertOptionalSignal,
  describe,
  invalidArgument,
  readOptions,
  readParams,
  throwIfAborted,
} from '../internal/assert.js'
import { bytesToHex, hexToBytes } from '../internal/bytes.js'
import { readEntities } from '../ledgerIndex/follower.js'
import { entitles, inCatalog, keyRecipients, requireActive, roundTripArgs } from '../rules/index.js'
import { type ClientContext, requireDataset, settingsOf, storeFor } from './context.js'
import { checkPage, type Page, type PageOptions, pageByKey, sortedBy } from './pages.js'

/** Progress of a long operation: plaintext bytes and chunks processed so far, and the total when known. */
export interface Progress {
  bytes: number
  chunks: number
  /** Plaintext bytes in all: always on fetch and stream (the size on the ledger); on publish when `data` is bytes. */
  total?: number
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
  /** Called after every encrypted chunk with the bytes and chunks done so far. */
  onProgress?: (progress: Progress) => void
  /**
   * Stops the upload: the call rejects with ABORTED and no version is published (chunks already sent to the store
   * stay there, unreferenced). Once the version is being committed, the abort no longer stops it.
   */
  signal?: AbortSignal
}

export interface RegisterParameters extends MetadataInput, PublishOptions {
  terms: TermsInput
  /** Whether the catalog lists it (default true). */
  listed?: boolean
  /** The first version's data; omit to register without a version. */
  data?: DataSource
}

/** What `datasets.register()` returns. */
export interface RegisterResult {
  /** The new dataset's id (64 hex characters). */
  id: DatasetId
  /** The dataset as recorded. */
  dataset: Dataset
  /** Version 1 when `data` was given. */
  version: Version | null
}

/** What `datasets.update()` changes: any metadata field, terms for future grants, and whether it is listed. */
export interface UpdateParameters extends Partial<MetadataInput> {
  /** New terms (for grants issued from now on; grants in force keep theirs). */
  terms?: Partial<TermsInput>
  /** Whether the catalog lists it. */
  listed?: boolean
}

/** Filters of `datasets.catalog()`. */
export interface CatalogFilter {
  /** Only datasets of this owner. */
  owner?: MemberId
  /** Only datasets with this tag. */
  tag?: string
  /** Include unlisted datasets (default false). */
  includeUnlisted?: boolean
}

const CATALOG_FIELDS = ['owner', 'tag', 'includeUnlisted'] as const

const optional = <T>(value: unknown, fallback: T): T => (value === undefined ? fallback : (value as T))

const METADATA_FIELDS = ['title', 'description', 'tags', 'mediaType', 'schema'] as const
const TERMS_FIELDS = ['pricePerAccess', 'pricePerByte', 'currency', 'licence'] as const
const PUBLISH_FIELDS = ['store', 'chunkSize', 'onProgress', 'signal'] as const
const REGISTER_FIELDS = [...METADATA_FIELDS, ...PUBLISH_FIELDS, 'terms', 'listed', 'data'] as const

function toMetadata(p: Partial<Record<(typeof METADATA_FIELDS)[number], unknown>>, path: string): DatasetMetadata {
  return r.metadata.check(
    {
      title: p.title,
      description: optional(p.description, ''),
      tags: optional(p.tags, []),
      mediaType: optional(p.mediaType, 'application/octet-stream'),
      schema: optional(p.schema, ''),
    },
    path,
  )
}

function toTerms(given: unknown, path: string): Terms {
  const t = readParams(given, path, TERMS_FIELDS)
  return r.terms.check(
    {
      pricePerAccess: optional(t.pricePerAccess, 0n),
      pricePerByte: optional(t.pricePerByte, 0n),
      currency: t.currency,
      licence: optional(t.licence, ''),
    },
    path,
  )
}

/** Members a version's key must be wrapped for, mirroring the ledger's rule (which is what enforces it). */
async function entitledMembers(ctx: ClientContext, ds: Dataset, n: number): Promise<Member[]> {
  const [now, settings, grants] = await Promise.all([
    ctx.ledger.query('getLedgerTime', {}),
    settingsOf(ctx),
    ctx.ledger.query('listGrants', { datasetId: ds.id, grantee: null }),
  ])
  // The candidates' member records first (the key goes to their envelope keys), then the one rule decides.
  const candidates = new Set([ds.owner, ...grants.filter(g => entitles(g, n, now)).map(g => g.grantee)])
  if (settings.regulatorEscrow) candidates.add(settings.regulatorEscrow)
  const members = new Map<string, Member>()
  for (const m of await Promise.all([...candidates].map(member => ctx.ledger.query('getMember', { member }))))
    if (m !== null && m.status === 'active') members.set(m.id, m)
  const ids = keyRecipients({
    owner: ds.owner,
    regulatorEscrow: settings.regulatorEscrow,
    grants,
    version: n,
    now,
    isActiveMember: id => members.has(id),
  })
  return ids.flatMap(id => members.get(id) ?? [])
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
   *   role; LEDGER_UNAVAILABLE; ABORTED (`params.signal` fired: before the registration nothing is written). If
   *   publishing version 1 fails (or is aborted) after the registration committed, the error carries
   *   `details.datasetId` so the caller can publish again.
   * @example
   * ```ts
   * const { id } = await alice.datasets.register({ title: 'Tick data', terms: { pricePerAccess: 100n, currency: 'CNY' }, data })
   * ```
   */
  async register(params: RegisterParameters): Promise<RegisterResult> {
    const p = readParams(params, 'params', REGISTER_FIELDS)
    assertOptionalBoolean(p.listed, 'params.listed')
    const datasetId = bytesToHex(randomBytes(32)) as DatasetId
    const args = {
      datasetId,
      metadata: toMetadata(p, 'params'),
      terms: toTerms(p.terms, 'params.terms'),
      listed: optional(p.listed, true),
    }
    // Everything the first version needs is checked before the registration is written.
    let first: { data: DataSource; options: CheckedPublishOptions } | undefined
    if (p.data !== undefined) {
      const options = checkPublishOptions(p, 'params')
      storeFor(this.#ctx, options.store ?? this.#ctx.defaultStore)
      first = { data: await primeDataSource(p.data, 'params.data'), options }
    }
    throwIfAborted(first?.options.signal, 'register')
    const { events } = await this.#ctx.ledger.submit('registerDataset', args)
    const registered = events.find(e => e.type === 'DatasetRegistered')
    const dataset =
      registered?.type === 'DatasetRegistered' ? registered.dataset : await requireDataset(this.#ctx, datasetId)
    if (first === undefined) return { id: datasetId, dataset, version: null }
    try {
      const version = await this.#publish(datasetId, first.data, first.options)
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
   * @param options - Store, chunk size, progress callback, abort signal.
   * @returns The committed version.
   * @throws {@link DatapactError} NOT_FOUND, ACCESS_DENIED (not the owner), CONFLICT (retired, or a concurrent
   *   publish took the number), INVALID_INPUT, LEDGER_UNAVAILABLE, ABORTED (`options.signal` fired before the
   *   version was committed: no version published).
   */
  async publish(datasetId: DatasetId, data: DataSource, options?: PublishOptions): Promise<Version> {
    r.datasetId.check(datasetId, 'datasetId')
    const checked = checkPublishOptions(options, 'options')
    storeFor(this.#ctx, checked.store ?? this.#ctx.defaultStore)
    return this.#publish(datasetId, await primeDataSource(data, 'data'), checked)
  }

  /** Publishes a checked source: every check the ledger would make runs before the payload is uploaded. */
  async #publish(datasetId: DatasetId, data: DataSource, options: CheckedPublishOptions): Promise<Version> {
    const ctx = this.#ctx
    const ds = await requireDataset(ctx, datasetId)
    if (ds.owner !== ctx.me)
      throw new DatapactError('ACCESS_DENIED', `only the owner of dataset ${datasetId} may publish`, {
        details: { datasetId, caller: ctx.me },
      })
    requireActive(ds)
    const number = ds.latestVersion + 1
    const store = storeFor(ctx, options.store ?? ctx.defaultStore)
    const dataKey = generateDataKey()
    try {
      const wrapFor = async () => {
        const members = await entitledMembers(ctx, ds, number)
        return Promise.all(
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
      }
      // The wraps are made before the upload: a key that cannot be wrapped stops the publish before any write.
      let wraps = await wrapFor()
      const encryptor = createEncryptor({
        key: dataKey,
        datasetId: hexToBytes(datasetId),
        version: number,
        ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      })
      throwIfAborted(options.signal, 'publish')
      const address = await store.put(abortable(encryptor.encrypt(data), options.signal, 'publish'))
      const summary = encryptor.summary()
      if (summary.plaintextSize === 0) throw invalidArgument('data', 'at least one byte', 'an empty stream')
      throwIfAborted(options.signal, 'publish')
      const submit = async () =>
        ctx.ledger.submit('publishVersion', {
          datasetId,
          number,
          plaintextDigest: summary.plaintextDigest as Digest,
          merkleRoot: summary.merkleRoot as Digest,
          size: summary.plaintextSize,
          chunkSize: encryptor.chunkSize,
          chunkCount: summary.chunkCount,
          header: encryptor.header,
          keyCommitment: keyCommitment(dataKey, encryptor.header) as Digest,
          location: { store: store.name, address },
          wraps,
        })
      // A grant given, revoked or expired between reading the grants and committing changes who must get the
      // key; the ledger refuses the stale wrap set, so read the grants again and try once more.
      const { events } = await submit().catch(async e => {
        if (!isDatapactError(e, 'INVALID_INPUT') || e.details.argument !== 'wraps') throw e
        wraps = await wrapFor()
        return submit()
      })
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
  async update(datasetId: DatasetId, changes: UpdateParameters): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    const c = readParams(changes, 'changes', [...METADATA_FIELDS, 'terms', 'listed'] as const)
    if (Object.keys(c).length === 0) throw invalidArgument('changes', 'at least one field to change', 'none')
    assertOptionalBoolean(c.listed, 'changes.listed')
    const termChanges = c.terms === undefined ? undefined : readParams(c.terms, 'changes.terms', TERMS_FIELDS)
    const ds = await requireDataset(this.#ctx, datasetId)
    const metadata = { ...ds.metadata }
    for (const k of METADATA_FIELDS) if (c[k] !== undefined) (metadata as Record<string, unknown>)[k] = c[k]
    r.metadata.check(metadata, 'changes')
    const terms = { ...ds.terms }
    for (const k of TERMS_FIELDS)
      if (termChanges?.[k] !== undefined) (terms as Record<string, unknown>)[k] = termChanges[k]
    r.terms.check(terms, 'changes.terms')
    const changes_ = c
    const { events } = await this.#ctx.ledger.submit('updateDataset', {
      datasetId,
      metadata,
      terms,
      listed: optional(changes_.listed, ds.listed),
    })
    return events.some(e => e.type === 'DatasetUpdated') ? await requireDataset(this.#ctx, datasetId) : ds
  }

  /**
   * Retires a dataset: no new versions or grants; grants in force keep working.
   *
   * @param datasetId - The dataset.
   * @returns The retired dataset.
   * @throws {@link DatapactError} INVALID_INPUT (bad id), NOT_FOUND, ACCESS_DENIED (not the owner), CONFLICT
   *   (already retired), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async retire(datasetId: DatasetId): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    await this.#ctx.ledger.submit('retireDataset', { datasetId })
    return requireDataset(this.#ctx, datasetId)
  }

  /** A dataset by id. @throws {@link DatapactError} NOT_FOUND. */
  async get(datasetId: DatasetId): Promise<Dataset> {
    r.datasetId.check(datasetId, 'datasetId')
    return requireDataset(this.#ctx, datasetId)
  }

  /**
   * The catalog: listed datasets (or all, with `includeUnlisted`), optionally by owner and tag.
   *
   * @param filter - Owner, tag, unlisted.
   * @returns The datasets.
   * @throws {@link DatapactError} INVALID_INPUT (bad filter), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async catalog(filter?: CatalogFilter): Promise<Dataset[]> {
    return this.#catalog(readOptions(filter, 'filter', CATALOG_FIELDS))
  }

  async #catalog(f: Partial<Record<(typeof CATALOG_FIELDS)[number], unknown>>): Promise<Dataset[]> {
    assertOptionalBoolean(f.includeUnlisted, 'filter.includeUnlisted')
    // Checked as the ledger's listDatasets checks its arguments; then read from the index, caught up first.
    const filter = roundTripArgs('listDatasets', {
      owner: f.owner ?? null,
      tag: f.tag ?? null,
      listedOnly: f.includeUnlisted !== true,
    }) as { owner: MemberId | null; tag: string | null; listedOnly: boolean }
    await this.#ctx.index.sync()
    return (await readEntities(this.#ctx.index.store, 'dataset')).filter(ds => inCatalog(ds, filter))
  }

  /**
   * One page of the catalog, ordered by dataset id: filtered as {@link Datasets.catalog}.
   *
   * @param filter - Owner, tag, unlisted, plus `cursor` (from the previous page) and `limit` (1..1000, default 100).
   * @returns The page's datasets and the cursor of the next page (null on the last one).
   * @throws {@link DatapactError} INVALID_INPUT (bad filter, a cursor that is not one this method returned, a limit
   *   outside 1..1000), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   * @example
   * ```ts
   * const first = await bob.datasets.catalogPage({ tag: 'finance', limit: 20 })
   * const next = first.cursor ? await bob.datasets.catalogPage({ tag: 'finance', limit: 20, cursor: first.cursor }) : null
   * ```
   */
  async catalogPage(filter?: CatalogFilter & PageOptions): Promise<Page<Dataset>> {
    const f = readOptions(filter, 'filter', [...CATALOG_FIELDS, 'cursor', 'limit'])
    const page = checkPage(f.cursor, f.limit, 'filter')
    const { cursor: _c, limit: _l, ...rest } = f
    const all = await this.#catalog(rest)
    return pageByKey(
      sortedBy(all, d => d.id),
      d => d.id,
      page,
      'filter',
    )
  }

  /**
   * Every version of a dataset, oldest first: the append-only history anchored on the ledger.
   *
   * @param datasetId - The dataset.
   * @returns The versions.
   * @throws {@link DatapactError} INVALID_INPUT (bad id), NOT_FOUND (no such dataset), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async history(datasetId: DatasetId): Promise<Version[]> {
    r.datasetId.check(datasetId, 'datasetId')
    await requireDataset(this.#ctx, datasetId)
    return this.#ctx.ledger.query('listVersions', { datasetId })
  }

  /** One version. @throws {@link DatapactError} NOT_FOUND. */
  async version(datasetId: DatasetId, number: number): Promise<Version> {
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

interface CheckedPublishOptions {
  store?: string
  chunkSize?: number
  onProgress?: (progress: Progress) => void
  signal?: AbortSignal
}

/** Reads and checks the publish options (of `publish`, or among the parameters of `register`). */
function checkPublishOptions(given: unknown, path: string): CheckedPublishOptions {
  const o = path === 'params' ? (given as Record<string, unknown>) : readOptions(given, path, PUBLISH_FIELDS)
  const out: CheckedPublishOptions = {}
  if (o.store !== undefined) out.store = r.storeName.check(o.store, `${path}.store`)
  if (o.chunkSize !== undefined) {
    if (
      typeof o.chunkSize !== 'number' ||
      !Number.isSafeInteger(o.chunkSize) ||
      o.chunkSize < 1024 ||
      o.chunkSize > 1 << 20
    )
      throw invalidArgument(`${path}.chunkSize`, 'integer in 1024..1048576', describe(o.chunkSize))
    out.chunkSize = o.chunkSize
  }
  assertOptionalFunction(o.onProgress, `${path}.onProgress`)
  if (o.onProgress !== undefined) out.onProgress = o.onProgress as (progress: Progress) => void
  assertOptionalSignal(o.signal, `${path}.signal`)
  if (o.signal !== undefined) out.signal = o.signal
  return out
}
