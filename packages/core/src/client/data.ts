import * as r from '../codec/records.js'
import { checkKeyCommitment, decryptChunks, merkleLeafHash } from '../crypto/index.js'
import { decryptWhole, type WholePayload } from '../crypto/whole.js'
import type { DatasetId, Digest, Nonce, Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import {
  abortable,
  assertOptionalFunction,
  assertOptionalSignal,
  readOptions,
  throwIfAborted,
} from '../internal/assert.js'
import { bytesToHex, equalBytes } from '../internal/bytes.js'
import { covers, requireInForce } from '../rules/index.js'
import { type ClientContext, requireDataset, requireVersion, settingsOf, storeFor } from './context.js'
import type { Progress } from './datasets.js'
import { ownKeyWrap } from './grants.js'
import { verifyCiphertext } from './payload.js'
import type { Receipt, Usage } from './usage.js'

/** Options of `data.fetch()` and `data.stream()`. */
export interface FetchOptions {
  /** Version number; default the newest version this member may read. */
  version?: number
  /** Called after every verified chunk with the bytes and chunks done so far. */
  onProgress?: (progress: Progress) => void
  /** Refuse (AMOUNT_MISMATCH, nothing recorded) if the ledger would charge more than this for the access. */
  maxAmount?: bigint
  /**
   * The access's usage nonce. Pass the `details.nonce` of a failed fetch to retry it: an access already recorded
   * under that nonce is reused, not billed again. Default: a fresh nonce.
   */
  nonce?: Nonce
  /**
   * Stops the read: the call (or, for `stream`, the next read of the stream) rejects with ABORTED. An access is
   * metered only after its data verified, so a fetch aborted before that is not billed; once the usage record is
   * being written the abort no longer stops it.
   */
  signal?: AbortSignal
}

/** What `data.fetch()` returns: the verified plaintext, its version and the usage receipt. */
export interface FetchResult {
  /** The plaintext, verified against the ledger's digest and Merkle root. */
  bytes: Uint8Array
  /** The version read. */
  version: Version
  /** The usage record of this access; null for the owner and the escrow regulator, who are not metered. */
  receipt: Receipt | null
}

/** What `data.stream()` returns: the plaintext as a stream, its version and the usage receipt. */
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
   * Fetches a version: unwraps this member's key and checks it against the version's key commitment, then in one
   * pass reads and decrypts the ciphertext, checking its Merkle root and the plaintext digest against the ledger,
   * and only then records the access on the ledger (grantees only): a consumer is never billed for data it cannot
   * read. Works with the provider offline: everything comes from this member's node and the replicated store. On
   * Node, a payload of 4 MiB or more is decrypted by a helper thread (one per process, started on first use) while
   * this thread reads the store: the same checks, done side by side on two cores.
   *
   * @param datasetId - The dataset.
   * @param fetchOptions - Version (default: the newest readable), progress callback, `maxAmount` (the most one access
   *   may cost) and `nonce` (reuse a failed fetch's `details.nonces` to retry it without being billed twice).
   * @returns The plaintext, the version and the usage receipt (`txId: null` when a retry found it already recorded).
   * @throws {@link DatapactError} NOT_FOUND; ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED, QUOTA_EXCEEDED (refused by
   *   the ledger, nothing returned); AMOUNT_MISMATCH (the access would cost more than `maxAmount`; nothing sent);
   *   INTEGRITY (key, payload or plaintext do not match the ledger; nothing is metered); NONCE_REUSED (the nonce was
   *   used for another access); INVALID_INPUT (also when the version is larger than one buffer here can hold: read
   *   it with {@link Data.stream}; nothing is read or metered); LEDGER_UNAVAILABLE (with `details.nonces` for the
   *   retry); ABORTED (`options.signal` fired before the access was metered: nothing recorded, nothing returned).
   * @example
   * ```ts
   * const { bytes, version, receipt } = await bob.data.fetch(datasetId)
   * ```
   */
  async fetch(datasetId: DatasetId, fetchOptions?: FetchOptions): Promise<FetchResult> {
    const access = await this.#prepare(datasetId, fetchOptions, 'fetch')
    const { version, key, metered, options } = access
    const { signal } = options
    try {
      const store = storeFor(this.#ctx, version.location.store)
      // One pass over the store: the decryptor authenticates every chunk, and before its last chunk checks the
      // chunk count, the Merkle root of the ciphertext chunks and the plaintext size and digest against the ledger.
      // The plaintext stays private (wiped on failure) until all of that holds, and only then is the access
      // metered: no bill for bad data, no unverified plaintext released. A large payload is decrypted on two
      // threads where the runtime has them (see crypto/whole.ts).
      const bytes = await decryptWhole({
        key,
        header: version.header,
        expected: expectedOf(version),
        read: () => abortable(store.get(version.location.address, version.chunkCount), signal, 'fetch'),
        onProgress: options.onProgress,
      })
      if (signal?.aborted) bytes.fill(0)
      throwIfAborted(signal, 'fetch')
      const receipt = metered ? await this.#meter(access, options) : null
      return { bytes, version, receipt }
    } finally {
      key.fill(0)
    }
  }

  /**
   * Like {@link Data.fetch}, but streams the plaintext so memory stays independent of the payload size. The
   * ciphertext is read twice from the store: the first pass checks the Merkle root and keeps each chunk's leaf hash
   * (32 bytes a chunk); the access is metered; the second pass releases each chunk's plaintext only after that exact
   * ciphertext chunk matches the leaf verified in the first pass, so a store that serves other bytes the second
   * time is caught before any of them reaches the caller.
   *
   * @param datasetId - The dataset.
   * @param fetchOptions - Version (default: the newest readable) and progress callback.
   * @returns The plaintext stream, the version and the usage receipt.
   * @throws {@link DatapactError} as {@link Data.fetch} (NOT_FOUND; ACCESS_DENIED, GRANT_REVOKED, GRANT_EXPIRED,
   *   QUOTA_EXCEEDED; INTEGRITY; ABORTED before the access is metered). While the stream is read: INTEGRITY on a
   *   chunk that does not authenticate or a plaintext that does not match the ledger; ABORTED once `options.signal`
   *   fires.
   */
  async stream(datasetId: DatasetId, fetchOptions?: FetchOptions): Promise<StreamResult> {
    const access = await this.#prepare(datasetId, fetchOptions, 'stream')
    const { version, key, metered, options } = access
    const { signal } = options
    try {
      const store = storeFor(this.#ctx, version.location.store)
      const leaves: Uint8Array[] = []
      await verifyCiphertext(store, version, c => {
        throwIfAborted(signal, 'stream')
        leaves.push(merkleLeafHash(c))
      })
      throwIfAborted(signal, 'stream')
      const receipt = metered ? await this.#meter(access, options) : null
      const self = this
      async function* verified(): AsyncGenerator<Uint8Array> {
        let i = 0
        for await (const chunk of abortable(
          store.get(version.location.address, version.chunkCount),
          signal,
          'stream',
        )) {
          const leaf = leaves[i]
          if (leaf === undefined || !equalBytes(merkleLeafHash(chunk), leaf)) throw changedChunk(version, i, receipt)
          i++
          yield chunk
        }
        if (i !== leaves.length) throw changedChunk(version, i, receipt)
      }
      async function* plaintext() {
        try {
          yield* self.#decrypt(version, key, verified(), options)
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

  async #prepare(datasetId: DatasetId, given: unknown, what: 'fetch' | 'stream') {
    r.datasetId.check(datasetId, 'datasetId')
    // Every option is checked before anything is read or metered.
    const o = readOptions(given, 'options', ['version', 'onProgress', 'maxAmount', 'nonce', 'signal'])
    if (o.version !== undefined) r.versionNumber.check(o.version, 'options.version')
    assertOptionalFunction(o.onProgress, 'options.onProgress')
    if (o.maxAmount !== undefined) r.money.check(o.maxAmount, 'options.maxAmount')
    if (o.nonce !== undefined) r.nonce.check(o.nonce, 'options.nonce')
    assertOptionalSignal(o.signal, 'options.signal')
    const options = o as FetchOptions
    throwIfAborted(options.signal, what)
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
    const where = { datasetId, version: version.number }
    const wrap = await ownKeyWrap(ctx, datasetId, version.number)
    if (!wrap) {
      // Courtesy: say why there is no key. The boundary itself is cryptographic: no wrap, no plaintext.
      if (!metered || !grant)
        throw new DatapactError('ACCESS_DENIED', `${ctx.me} holds no grant on dataset ${datasetId}`, { details: where })
      requireInForce(grant, now, where)
      throw new DatapactError('ACCESS_DENIED', `the grant does not cover version ${version.number}`, { details: where })
    }
    // Before anything is metered: the key must be the one the ledger commits to, the payload shape consistent.
    if (!checkKeyCommitment(wrap.key, version.header, version.keyCommitment)) {
      wrap.key.fill(0)
      throw new DatapactError(
        'INTEGRITY',
        `the key wrapped for ${ctx.me} does not match the key commitment of version ${version.number}: nothing was metered`,
        { details: { ...where, wrapHash: bytesToHex(wrap.hash) } },
      )
    }
    return { version, key: wrap.key, metered, wrapHash: wrap.hash, options }
  }

  async #meter(access: { version: Version; wrapHash: Digest }, options: FetchOptions): Promise<Receipt> {
    const { version, wrapHash } = access
    const [receipt] = await this.#usage.record([
      {
        datasetId: version.datasetId,
        version: version.number,
        wrapHash,
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
        ...(options.maxAmount === undefined ? {} : { maxAmount: options.maxAmount }),
      },
    ])
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
      expected: expectedOf(version),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    })
  }
}

/** Everything the ledger holds about a version's payload, which the plaintext must match. */
const expectedOf = (v: Version): WholePayload => ({
  plaintextDigest: v.plaintextDigest,
  merkleRoot: v.merkleRoot,
  plaintextSize: v.size,
  chunkCount: v.chunkCount,
})

/** A ciphertext chunk that differs on the second read from the one verified on the first. */
const changedChunk = (v: Version, index: number, receipt: Receipt | null) =>
  new DatapactError(
    'INTEGRITY',
    `chunk ${index} of version ${v.number} changed in the store after it was verified: no plaintext of it was released`,
    {
      details: {
        datasetId: v.datasetId,
        version: v.number,
        index,
        ...(receipt ? { nonce: receipt.record.nonce } : {}),
      },
    },
  )
