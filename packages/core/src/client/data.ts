import * as r from '../codec/records.js'
import { decryptChunks } from '../crypto/index.js'
import type { Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { assertOptionalFunction, readOptions } from '../internal/assert.js'
import { covers, isExpired } from '../rules/index.js'
import { type ClientContext, requireDataset, requireVersion, settingsOf, storeFor } from './context.js'
import type { Progress } from './datasets.js'
import { unwrapOwnKey } from './grants.js'
import { verifyCiphertext } from './payload.js'
import type { Receipt, Usage } from './usage.js'

export interface FetchOptions {
  /** Version number; default the newest version this member may read. */
  version?: number
  onProgress?: (progress: Progress) => void
}

export interface FetchResult {
  bytes: Uint8Array
  version: Version
  /** The usage record of this access; null for the owner and the escrow regulator, who are not metered. */
  receipt: Receipt | null
}

export interface StreamResult {
  /** Plaintext, chunk by chunk; each chunk is released only after it authenticates. */
  stream: AsyncIterable<Uint8Array>
  version: Version
  receipt: Receipt | null
}

/** Data: fetch, verify, meter and decrypt from this member's own node. */
export class Data {
  readonly #ctx: ClientContext
  readonly #usage: Usage

  /** @internal */
  constructor(ctx: ClientContext, usage: Usage) {
    this.#ctx = ctx
    this.#usage = usage
  }

  /**
   * Fetches a version: reads the ciphertext from the payload store, checks its Merkle root against the ledger,
   * records the access on the ledger (grantees only), then decrypts and checks the plaintext digest. Works with the
   * provider offline: everything comes from this member's node and the replicated store.
   *
   * @param datasetId - The dataset.
   * @param options - Version (default: the newest readable) and progress callback.
   * @returns The plaintext, the version and the usage receipt.
   * @throws {@link DatapactError} NOT_FOUND; ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED, QUOTA_EXCEEDED (refused by
   *   the ledger, nothing returned); INTEGRITY (payload or key does not match the ledger; no usage is recorded when
   *   the ciphertext fails its check).
   * @example
   * ```ts
   * const { bytes, version, receipt } = await bob.data.fetch(datasetId)
   * ```
   */
  async fetch(datasetId: string, fetchOptions?: FetchOptions): Promise<FetchResult> {
    const { version, key, metered, options } = await this.#prepare(datasetId, fetchOptions)
    try {
      const chunks: Uint8Array[] = []
      await verifyCiphertext(storeFor(this.#ctx, version.location.store), version, c => chunks.push(c))
      const receipt = metered ? await this.#meter(version) : null
      // The size is on the ledger and decryption refuses anything else, so one exact allocation holds the plaintext.
      const bytes = new Uint8Array(version.size)
      let offset = 0
      for await (const p of this.#decrypt(version, key, chunks, options)) {
        if (offset + p.length > bytes.length) throw sizeMismatch(version)
        bytes.set(p, offset)
        offset += p.length
      }
      return { bytes, version, receipt }
    } finally {
      key.fill(0)
    }
  }

  /**
   * Like {@link Data.fetch}, but streams the plaintext: the ciphertext is read twice from the store (once to check
   * the Merkle root before metering, once to decrypt), so memory stays independent of the payload size.
   */
  async stream(datasetId: string, fetchOptions?: FetchOptions): Promise<StreamResult> {
    const { version, key, metered, options } = await this.#prepare(datasetId, fetchOptions)
    try {
      await verifyCiphertext(storeFor(this.#ctx, version.location.store), version)
      const receipt = metered ? await this.#meter(version) : null
      const store = storeFor(this.#ctx, version.location.store)
      const self = this
      async function* plaintext() {
        try {
          yield* self.#decrypt(version, key, store.get(version.location.address, version.chunkCount), options)
        } finally {
          key.fill(0)
        }
      }
      return { stream: plaintext(), version, receipt }
    } catch (e) {
      key.fill(0)
      throw e
    }
  }

  async #prepare(datasetId: string, given: unknown) {
    r.datasetId.check(datasetId, 'datasetId')
    // Every option is checked before anything is read or metered.
    const o = readOptions(given, 'options', ['version', 'onProgress'])
    if (o.version !== undefined) r.versionNumber.check(o.version, 'options.version')
    assertOptionalFunction(o.onProgress, 'options.onProgress')
    const options = o as FetchOptions
    const ctx = this.#ctx
    const [ds, settings, grant, now] = await Promise.all([
      requireDataset(ctx, datasetId),
      settingsOf(ctx),
      ctx.ledger.query('getGrant', { datasetId, grantee: ctx.me }),
      ctx.ledger.query('getLedgerTime', {}),
    ])
    const metered = ctx.me !== ds.owner && ctx.me !== settings.regulatorEscrow
    const n = options.version ?? (grant?.scope.kind === 'exact' && metered ? grant.scope.version : ds.latestVersion)
    if (n === 0)
      throw new DatapactError('NOT_FOUND', `dataset ${datasetId} has no version yet`, { details: { datasetId } })
    if (options.version === undefined && metered && grant && !covers(grant.scope, n))
      throw new DatapactError('NOT_FOUND', `no published version of ${datasetId} is covered by the grant yet`, {
        details: { datasetId, latestVersion: ds.latestVersion },
      })
    const version = await requireVersion(ctx, datasetId, n)
    const key = await unwrapOwnKey(ctx, datasetId, version.number, true)
    if (!key) {
      // Courtesy: say why there is no key. The boundary itself is cryptographic: no wrap, no plaintext.
      const where = { datasetId, version: version.number }
      if (!metered || !grant)
        throw new DatapactError('ACCESS_DENIED', `${ctx.me} holds no grant on dataset ${datasetId}`, { details: where })
      if (grant.state === 'revoked')
        throw new DatapactError('GRANT_REVOKED', `the grant on dataset ${datasetId} was revoked`, { details: where })
      if (isExpired(grant, now))
        throw new DatapactError('GRANT_EXPIRED', `the grant on dataset ${datasetId} has expired`, { details: where })
      throw new DatapactError('ACCESS_DENIED', `the grant does not cover version ${version.number}`, { details: where })
    }
    return { version, key, metered, options }
  }

  async #meter(version: Version): Promise<Receipt> {
    const [receipt] = await this.#usage.record([{ datasetId: version.datasetId, version: version.number }])
    return receipt!
  }

  /** Decrypts, checking digest, root, size and chunk count against the ledger before the last chunk is released. */
  #decrypt(
    version: Version,
    key: Uint8Array,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: FetchOptions,
  ): AsyncIterable<Uint8Array> {
    return decryptChunks({
      key,
      header: version.header,
      chunks,
      expected: {
        plaintextDigest: version.plaintextDigest,
        merkleRoot: version.merkleRoot,
        plaintextSize: version.size,
        chunkCount: version.chunkCount,
      },
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    })
  }
}

const sizeMismatch = (v: Version) =>
  new DatapactError('INTEGRITY', `the plaintext of version ${v.number} is larger than its size on the ledger`, {
    details: { datasetId: v.datasetId, version: v.number, size: v.size },
  })
