import type { DatasetId, Digest, MemberId, Nonce } from '../domain/index.js'
import * as r from './records.js'
import type { Schema } from './schema.js'

// The constructors run the codec's own schemas: what they accept is exactly what every ledger accepts.

const guard =
  <T>(schema: Schema<T>) =>
  (value: unknown): value is T => {
    try {
      schema.check(value, 'value')
      return true
    } catch {
      return false
    }
  }

/**
 * Checks a member id and types it as one: 1..512 printable ASCII characters without spaces (an EVM address, a
 * Fabric MSP id and certificate id, a memory ledger's id).
 *
 * @param value - The candidate, for example a command-line argument or a field of a request.
 * @param argument - The name the error gives it (default `memberId`).
 * @returns The same string, typed {@link MemberId}.
 * @throws {@link DatapactError} INVALID_INPUT (`details.argument` is `argument`) when it is not a member id.
 * @example
 * ```ts
 * await alice.grants.grant(id, toMemberId(process.argv[2], 'grantee'))
 * ```
 */
export const toMemberId = (value: string, argument = 'memberId'): MemberId => r.memberId.check(value, argument)

/**
 * Checks a dataset id and types it as one: 32 bytes as 64 lowercase hex characters.
 *
 * @param value - The candidate.
 * @param argument - The name the error gives it (default `datasetId`).
 * @returns The same string, typed {@link DatasetId}.
 * @throws {@link DatapactError} INVALID_INPUT (`details.argument` is `argument`) when it is not 64 lowercase hex
 *   characters.
 * @example
 * ```ts
 * const { bytes } = await bob.data.fetch(toDatasetId(req.params.id, 'id'))
 * ```
 */
export const toDatasetId = (value: string, argument = 'datasetId'): DatasetId => r.datasetId.check(value, argument)

/**
 * Checks a 32-byte digest (a SHA-256, a Merkle root, a key commitment) and types it as one.
 *
 * @param value - The candidate bytes.
 * @param argument - The name the error gives it (default `digest`).
 * @returns A copy of the bytes, typed {@link Digest} (later changes to `value` do not reach it).
 * @throws {@link DatapactError} INVALID_INPUT (`details.argument` is `argument`) when it is not a Uint8Array of 32
 *   bytes.
 * @example
 * ```ts
 * const wrapHash = toDigest(sha256(wrap), 'wrapHash')
 * ```
 */
export const toDigest = (value: Uint8Array, argument = 'digest'): Digest => r.digest.check(value, argument)

/**
 * Checks a usage nonce and types it as one: 16 bytes as 32 lowercase hex characters. Choose a nonce before the first
 * attempt of an access and pass the same one on a retry; {@link createNonceSequence} draws fresh ones.
 *
 * @param value - The candidate.
 * @param argument - The name the error gives it (default `nonce`).
 * @returns The same string, typed {@link Nonce}.
 * @throws {@link DatapactError} INVALID_INPUT (`details.argument` is `argument`) when it is not 32 lowercase hex
 *   characters.
 * @example
 * ```ts
 * await bob.data.fetch(id, { nonce: toNonce(savedNonce) })
 * ```
 */
export const toNonce = (value: string, argument = 'nonce'): Nonce => r.nonce.check(value, argument)

/**
 * Whether a value is a member id ({@link toMemberId} would accept it).
 *
 * @param value - Anything.
 * @returns True for 1..512 printable ASCII characters without spaces.
 */
export const isMemberId: (value: unknown) => value is MemberId = /* @__PURE__ */ guard(r.memberId)
/**
 * Whether a value is a dataset id ({@link toDatasetId} would accept it).
 *
 * @param value - Anything.
 * @returns True for 64 lowercase hex characters.
 */
export const isDatasetId: (value: unknown) => value is DatasetId = /* @__PURE__ */ guard(r.datasetId)
/**
 * Whether a value is a 32-byte digest ({@link toDigest} would accept it).
 *
 * @param value - Anything.
 * @returns True for a Uint8Array of 32 bytes.
 */
export const isDigest: (value: unknown) => value is Digest = /* @__PURE__ */ guard(r.digest)
/**
 * Whether a value is a usage nonce ({@link toNonce} would accept it).
 *
 * @param value - Anything.
 * @returns True for 32 lowercase hex characters.
 */
export const isNonce: (value: unknown) => value is Nonce = /* @__PURE__ */ guard(r.nonce)
