/**
 * `@datapact/core/crypto`: payload encryption (STREAM over ChaCha20-Poly1305), Merkle fingerprints, SHA-256, HPKE key
 * wrapping (RFC 9180) and member keys with an encrypted keystore. Every algorithm comes from `@noble/*` or
 * `@hpke/*`; where `node:crypto` is present it runs the same algorithms on the hot paths, with identical bytes.
 *
 * @packageDocumentation
 */

export { checkKeyCommitment, KEY_COMMITMENT_LENGTH, keyCommitment } from './commitment.js'
export { createSha256, type HashOptions, type Sha256Hasher, sha256 } from './hash.js'
export {
  DATASET_ID_LENGTH,
  DEFAULT_CHUNK_SIZE,
  decodeHeader,
  encodeHeader,
  HEADER_LENGTH,
  MAX_CHUNK_SIZE,
  MAX_VERSION,
  MIN_CHUNK_SIZE,
  type PayloadHeader,
  SALT_LENGTH,
} from './header.js'
export {
  DEFAULT_SCRYPT_N,
  type KeystoreFile,
  type LockKeystoreOptions,
  lockKeystore,
  MAX_SCRYPT_N,
  MIN_SCRYPT_N,
  unlockKeystore,
} from './keystore.js'
export {
  createMemberKeys,
  EnvelopeKeys,
  type GenerateMemberKeysOptions,
  generateMemberKeys,
  MemberKeys,
  type MemberKeysParameters,
  type PublicKeyView,
  REDACTED,
  SIGNING_KINDS,
  SigningKeys,
  type SigningKind,
} from './memberKeys.js'
export {
  MERKLE_HASH_LENGTH,
  MerkleBuilder,
  type MerkleLeaves,
  type MerkleOptions,
  type MerkleProof,
  merkleLeafHash,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from './merkle.js'
export { type CryptoBackend, nativeAvailable } from './native.js'
export type { DataSource } from './source.js'
export {
  createDecryptor,
  createEncryptor,
  DATA_KEY_LENGTH,
  type DecryptBytesParameters,
  type DecryptChunksParameters,
  type Decryptor,
  type DecryptorParameters,
  decryptBytes,
  decryptChunks,
  type EncryptBytesParameters,
  type EncryptedPayload,
  type Encryptor,
  type EncryptorParameters,
  type ExpectedPayload,
  encryptBytes,
  generateDataKey,
  type PayloadSummary,
  type StreamProgress,
  toReadableStream,
} from './stream.js'
export {
  type KeyBinding,
  type UnwrapKeyParameters,
  unwrapKey,
  WRAPPED_KEY_LENGTH,
  type WrapKeyParameters,
  type WrapKeysParameters,
  type WrapRecipient,
  wrapKey,
  wrapKeys,
} from './wrap.js'
export {
  type EnvelopeKeyOptions,
  type EnvelopeKeyPair,
  envelopePublicKey,
  generateEnvelopeKeyPair,
  X25519_KEY_LENGTH,
} from './x25519.js'
