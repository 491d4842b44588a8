import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { assertBytes } from '../internal/assert.js'
import { concatBytes, equalBytes, utf8ToBytes } from '../internal/bytes.js'
import { DATA_KEY_LENGTH } from './stream.js'

/**
 * Data-key commitment: what a version anchors on the ledger so that a consumer can tell, before it is metered,
 * whether the key it unwrapped is the key the payload was encrypted under. ChaCha20-Poly1305 is not key-committing
 * (another key can open a crafted ciphertext), and a key wrap only proves who sealed it, so the ledger carries
 *
 *   keyCommitment = HMAC-SHA256(key = dataKey, message = "datapact/key-commitment/v1" || header)
 *
 * where `header` is the version's encoded payload header (it binds format, algorithm, chunk size, dataset id,
 * version and salt). HMAC-SHA256 is collision-resistant in its key for 32-byte keys, so no second key matches the
 * same commitment, and it reveals nothing about the key.
 */

/** Length of a key commitment. */
export const KEY_COMMITMENT_LENGTH = 32

const LABEL = /* @__PURE__ */ utf8ToBytes('datapact/key-commitment/v1')

/**
 * The commitment to a version's data key.
 *
 * @param dataKey - The 32-byte data key.
 * @param header - The version's encoded payload header.
 * @returns 32 bytes.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an argument is not bytes of the right size.
 */
export function keyCommitment(dataKey: Uint8Array, header: Uint8Array): Uint8Array {
  assertBytes(dataKey, 'dataKey', DATA_KEY_LENGTH)
  assertBytes(header, 'header')
  return hmac(sha256, dataKey, concatBytes(LABEL, header))
}

/**
 * Whether `dataKey` is the key `commitment` commits to for `header`.
 *
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an argument is not bytes of the right size.
 */
export function checkKeyCommitment(dataKey: Uint8Array, header: Uint8Array, commitment: Uint8Array): boolean {
  assertBytes(commitment, 'commitment', KEY_COMMITMENT_LENGTH)
  return equalBytes(keyCommitment(dataKey, header), commitment)
}
