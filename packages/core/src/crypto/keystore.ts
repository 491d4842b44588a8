import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { DatapactError } from '../errors.js'
import {
  assertInteger,
  assertRecord,
  assertString,
  describe,
  invalidArgument,
  readOptions,
} from '../internal/assert.js'
import { bytesToHex, equalBytes, hexToBytes, isHex, textEncoder } from '../internal/bytes.js'
import { createMemberKeys, type MemberKeys, SIGNING_KINDS, type SigningKind, secretsOf } from './memberKeys.js'

/**
 * Encrypted keystore file for a member's secret keys: scrypt (RFC 7914, @noble/hashes) derives a 256-bit key from
 * the passphrase, XChaCha20-Poly1305 (@noble/ciphers) encrypts the secrets, and every other field of the file is
 * its associated data, so no field can be changed without detection. Binary values are lowercase hex.
 *
 * ```json
 * { "format": "datapact-keystore", "version": 1,
 *   "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "<32 bytes>" },
 *   "aead": { "name": "xchacha20poly1305", "nonce": "<24 bytes>" },
 *   "ciphertext": "<secrets + 16-byte tag>",
 *   "public": { "envelope": "<32 bytes>", "signing": { "kind": "ed25519", "publicKey": "<32 or 33 bytes>" } } }
 * ```
 *
 * The secrets plaintext is `0x01 || envelope secret (32) || signing kind (1: 0 none, 1 ed25519, 2 secp256k1,
 * 3 p256) || signing secret (32, when present)`. The passphrase is NFKC-normalized, then UTF-8 encoded.
 */

/** Default scrypt cost N = 2^17 (about 1.2 s and 128 MiB on the reference 2-core machine). */
export const DEFAULT_SCRYPT_N = 2 ** 17
/** Lowest scrypt cost accepted, for tests: N = 2^10. Production files should keep the default. */
export const MIN_SCRYPT_N = 2 ** 10
/** Highest scrypt cost accepted (bounds memory when opening an untrusted file): N = 2^20. */
export const MAX_SCRYPT_N = 2 ** 20

const FORMAT = 'datapact-keystore'
const VERSION = 1
const SALT_LENGTH = 32
const NONCE_LENGTH = 24
const TAG_LENGTH = 16
const SECRETS_VERSION = 1
const KIND_CODES: Record<SigningKind, number> = { ed25519: 1, secp256k1: 2, p256: 3 }

/** Options of {@link lockKeystore}. */
export interface LockKeystoreOptions {
  /** scrypt cost: a power of two in 2^10..2^20. Default 2^17. */
  N?: number
  /** scrypt block size, 1..16. Default 8. */
  r?: number
  /** scrypt parallelism, 1..4. Default 1. */
  p?: number
}

/** The keystore file, parsed. */
export interface KeystoreFile {
  format: typeof FORMAT
  version: typeof VERSION
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string }
  aead: { name: 'xchacha20poly1305'; nonce: string }
  ciphertext: string
  public: { envelope: string; signing?: { kind: SigningKind; publicKey: string } }
}

function checkScryptCost(N: unknown, r: unknown, p: unknown, prefix: string): { N: number; r: number; p: number } {
  assertInteger(N, `${prefix}N`, MIN_SCRYPT_N, MAX_SCRYPT_N)
  if ((N & (N - 1)) !== 0) throw invalidArgument(`${prefix}N`, 'a power of two', String(N))
  assertInteger(r, `${prefix}r`, 1, 16)
  assertInteger(p, `${prefix}p`, 1, 4)
  // scrypt needs 128 * N * r bytes; keep an untrusted file from asking for more than 1 GiB.
  if (128 * N * r > 2 ** 30) throw invalidArgument(`${prefix}r`, 'at most 1 GiB of scrypt memory (128 * N * r)', 'more')
  return { N, r, p }
}

function assertPassphrase(value: unknown): asserts value is string {
  assertString(value, 'passphrase', 1024, 1)
}

async function deriveKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Uint8Array> {
  const password = textEncoder.encode(passphrase.normalize('NFKC'))
  try {
    return await scryptAsync(password, salt, { N, r, p, dkLen: 32, maxmem: 2 ** 30 + 2 ** 20 })
  } finally {
    password.fill(0)
  }
}

/** Canonical associated data: every field of the file except the ciphertext, in a fixed order. */
function associatedData(f: Omit<KeystoreFile, 'ciphertext'>): Uint8Array {
  return textEncoder.encode(
    JSON.stringify([
      f.format,
      f.version,
      f.kdf.name,
      f.kdf.N,
      f.kdf.r,
      f.kdf.p,
      f.kdf.salt,
      f.aead.name,
      f.aead.nonce,
      f.public.envelope,
      f.public.signing?.kind ?? null,
      f.public.signing?.publicKey ?? null,
    ]),
  )
}

/**
 * Encrypts a member's keys under a passphrase into a keystore file (JSON text; see the module notes).
 *
 * @param keys - The keys to store.
 * @param passphrase - 1..1024 characters.
 * @param opts - scrypt cost (tests may lower N down to 2^10).
 * @returns The keystore file as JSON text.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `keys` is not a MemberKeys, the passphrase is empty or too long,
 * or a cost parameter is out of range.
 * @example
 * ```ts
 * await writeFile('alice.keystore.json', await lockKeystore(generateMemberKeys(), passphrase))
 * ```
 */
export async function lockKeystore(keys: MemberKeys, passphrase: string, opts?: LockKeystoreOptions): Promise<string> {
  const secrets = secretsOf(keys)
  assertPassphrase(passphrase)
  const o: Record<string, unknown> = readOptions(opts, 'options', ['N', 'r', 'p'])
  const { N, r, p } = checkScryptCost(o.N ?? DEFAULT_SCRYPT_N, o.r ?? 8, o.p ?? 1, 'options.')
  const salt = randomBytes(SALT_LENGTH)
  const nonce = randomBytes(NONCE_LENGTH)
  const signing = keys.signing
  const header: Omit<KeystoreFile, 'ciphertext'> = {
    format: FORMAT,
    version: VERSION,
    kdf: { name: 'scrypt', N, r, p, salt: bytesToHex(salt) },
    aead: { name: 'xchacha20poly1305', nonce: bytesToHex(nonce) },
    public: {
      envelope: bytesToHex(keys.envelope.publicKey),
      ...(signing === undefined ? {} : { signing: { kind: signing.kind, publicKey: bytesToHex(signing.publicKey) } }),
    },
  }
  const plain = new Uint8Array(secrets.signing === undefined ? 34 : 66)
  plain[0] = SECRETS_VERSION
  plain.set(secrets.envelope, 1)
  secrets.envelope.fill(0)
  if (secrets.signing !== undefined) {
    plain[33] = KIND_CODES[secrets.signing.kind]
    plain.set(secrets.signing.secretKey, 34)
    secrets.signing.secretKey.fill(0)
  }
  const key = await deriveKey(passphrase, salt, N, r, p)
  try {
    const ciphertext = xchacha20poly1305(key, nonce, associatedData(header)).encrypt(plain)
    const file: KeystoreFile = {
      format: header.format,
      version: header.version,
      kdf: header.kdf,
      aead: header.aead,
      ciphertext: bytesToHex(ciphertext),
      public: header.public,
    }
    return JSON.stringify(file, null, 2)
  } finally {
    key.fill(0)
    plain.fill(0)
  }
}

function onlyKeys(value: Record<string, unknown>, argument: string, required: string[], optional: string[] = []) {
  for (const k of required) if (!(k in value)) throw invalidArgument(`${argument}.${k}`, 'present', 'missing')
  for (const k of Object.keys(value))
    if (!required.includes(k) && !optional.includes(k))
      throw invalidArgument(`${argument}.${k}`, 'absent', 'unknown field')
}

function hexField(value: unknown, argument: string, bytes?: number): Uint8Array {
  assertString(value, argument, 4096)
  if (!isHex(value, bytes))
    throw invalidArgument(
      argument,
      bytes === undefined ? 'lowercase hex' : `lowercase hex of ${bytes} bytes`,
      describe(value),
    )
  return hexToBytes(value)
}

/** Parses and strictly validates the file's structure (nothing secret is needed). */
function parseKeystore(json: string): KeystoreFile {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch (e) {
    throw new DatapactError('INVALID_INPUT', 'the keystore is not valid JSON', {
      details: { argument: 'keystore', expected: 'JSON text', got: 'unparsable text' },
      cause: e,
    })
  }
  const a = 'keystore'
  assertRecord(raw, a)
  onlyKeys(raw, a, ['format', 'version', 'kdf', 'aead', 'ciphertext', 'public'])
  if (raw.format !== FORMAT) throw invalidArgument(`${a}.format`, `'${FORMAT}'`, describe(raw.format))
  if (raw.version !== VERSION) throw invalidArgument(`${a}.version`, String(VERSION), describe(raw.version))
  const { kdf, aead, public: pub } = raw
  assertRecord(kdf, `${a}.kdf`)
  onlyKeys(kdf, `${a}.kdf`, ['name', 'N', 'r', 'p', 'salt'])
  if (kdf.name !== 'scrypt') throw invalidArgument(`${a}.kdf.name`, "'scrypt'", describe(kdf.name))
  checkScryptCost(kdf.N, kdf.r, kdf.p, `${a}.kdf.`)
  hexField(kdf.salt, `${a}.kdf.salt`, SALT_LENGTH)
  assertRecord(aead, `${a}.aead`)
  onlyKeys(aead, `${a}.aead`, ['name', 'nonce'])
  if (aead.name !== 'xchacha20poly1305')
    throw invalidArgument(`${a}.aead.name`, "'xchacha20poly1305'", describe(aead.name))
  hexField(aead.nonce, `${a}.aead.nonce`, NONCE_LENGTH)
  assertRecord(pub, `${a}.public`)
  onlyKeys(pub, `${a}.public`, ['envelope'], ['signing'])
  hexField(pub.envelope, `${a}.public.envelope`, 32)
  if (pub.signing !== undefined) {
    assertRecord(pub.signing, `${a}.public.signing`)
    onlyKeys(pub.signing, `${a}.public.signing`, ['kind', 'publicKey'])
    if (!SIGNING_KINDS.includes(pub.signing.kind as SigningKind))
      throw invalidArgument(`${a}.public.signing.kind`, SIGNING_KINDS.join(', '), describe(pub.signing.kind))
    hexField(pub.signing.publicKey, `${a}.public.signing.publicKey`, pub.signing.kind === 'ed25519' ? 32 : 33)
  }
  const ct = hexField(raw.ciphertext, `${a}.ciphertext`)
  // Which length goes with which `public` fields is left to the AEAD: a mismatch is damage (ACCESS_DENIED).
  if (ct.length !== 34 + TAG_LENGTH && ct.length !== 66 + TAG_LENGTH)
    throw invalidArgument(`${a}.ciphertext`, `${34 + TAG_LENGTH} or ${66 + TAG_LENGTH} bytes`, `${ct.length} bytes`)
  return raw as unknown as KeystoreFile
}

const accessDenied = (cause?: unknown) =>
  new DatapactError('ACCESS_DENIED', 'cannot open the keystore: the passphrase is wrong or the file is damaged', {
    ...(cause === undefined ? {} : { cause }),
  })

/**
 * Opens a keystore file with its passphrase.
 *
 * @param json - The keystore file text from {@link lockKeystore}.
 * @param passphrase - The passphrase it was locked with.
 * @returns The member's keys.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `json` is not a string, not JSON, or not a well-formed keystore
 * (the details name the field); ACCESS_DENIED when the passphrase is wrong or the file was altered.
 * @example
 * ```ts
 * const keys = await unlockKeystore(await readFile('alice.keystore.json', 'utf8'), passphrase)
 * ```
 */
export async function unlockKeystore(json: string, passphrase: string): Promise<MemberKeys> {
  assertString(json, 'keystore', 65536)
  assertPassphrase(passphrase)
  const file = parseKeystore(json)
  const { N, r, p } = file.kdf
  const key = await deriveKey(passphrase, hexToBytes(file.kdf.salt), N, r, p)
  let plain: Uint8Array
  try {
    plain = xchacha20poly1305(key, hexToBytes(file.aead.nonce), associatedData(file)).decrypt(
      hexToBytes(file.ciphertext),
    )
  } catch (e) {
    throw accessDenied(e)
  } finally {
    key.fill(0)
  }
  try {
    const kindCode = plain[33]
    const kind = SIGNING_KINDS.find(k => KIND_CODES[k] === kindCode)
    const withSigning = plain.length === 66
    if (plain[0] !== SECRETS_VERSION || (withSigning ? kind === undefined : kindCode !== 0)) throw accessDenied()
    if (withSigning !== (file.public.signing !== undefined) || (withSigning && kind !== file.public.signing?.kind))
      throw accessDenied()
    let keys: MemberKeys
    try {
      keys = createMemberKeys({
        envelopeSecretKey: plain.subarray(1, 33),
        ...(withSigning && kind !== undefined ? { signing: { kind, secretKey: plain.subarray(34, 66) } } : {}),
      })
    } catch (e) {
      throw accessDenied(e)
    }
    // The public keys are covered by the AEAD, so they can only disagree with the secrets in a forged file.
    const signingPublic = keys.signing?.publicKey
    if (
      !equalBytes(keys.envelope.publicKey, hexToBytes(file.public.envelope)) ||
      (signingPublic !== undefined && !equalBytes(signingPublic, hexToBytes(file.public.signing!.publicKey)))
    )
      throw accessDenied()
    return keys
  } finally {
    plain.fill(0)
  }
}
