import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { DatapactError } from '../errors.js'
import { assertBytes, assertOneOf, describe, invalidArgument, readOptions, readParams } from '../internal/assert.js'
import { bytesToHex } from '../internal/bytes.js'
import { nodeCrypto } from './native.js'
import { X25519_KEY_LENGTH, x25519On } from './x25519.js'

/** Ledger signing algorithms a member key set can hold. */
export type SigningKind = 'ed25519' | 'secp256k1' | 'p256'

/** The signing algorithms, in their stable order. */
export const SIGNING_KINDS: readonly SigningKind[] = ['ed25519', 'secp256k1', 'p256']

/** Every secret key is 32 bytes. */
export const SECRET_KEY_LENGTH = 32

/** Shown instead of a secret by `toJSON`, `toString` and `util.inspect`. */
export const REDACTED = '[redacted]'

const INSPECT = Symbol.for('nodejs.util.inspect.custom')

const curves = {
  ed25519: { publicKey: (sk: Uint8Array) => ed25519.getPublicKey(sk), random: () => ed25519.utils.randomSecretKey() },
  secp256k1: {
    publicKey: (sk: Uint8Array) => secp256k1.getPublicKey(sk, true),
    random: () => secp256k1.utils.randomSecretKey(),
  },
  p256: { publicKey: (sk: Uint8Array) => p256.getPublicKey(sk, true), random: () => p256.utils.randomSecretKey() },
} as const

/** Public, printable view of a key pair. */
export interface PublicKeyView {
  publicKey: string
  secretKey: typeof REDACTED
}

/**
 * The X25519 envelope key pair (HPKE recipient key). The secret is held in a private field: it is readable only
 * through the `secretKey` getter and never appears in JSON, `String()`, `util.inspect` or `structuredClone`.
 */
export class EnvelopeKeys {
  readonly #publicKey: Uint8Array
  readonly #secretKey: Uint8Array

  /** @internal Use {@link createMemberKeys} or {@link generateMemberKeys}. */
  constructor(secretKey: Uint8Array, publicKey: Uint8Array) {
    this.#secretKey = secretKey
    this.#publicKey = publicKey
  }

  /** Raw 32-byte X25519 public key (a copy). */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice()
  }

  /** Raw 32-byte X25519 secret key (a copy; zero it when done). */
  get secretKey(): Uint8Array {
    return this.#secretKey.slice()
  }

  /** @returns The public key in hex; the secret redacted. */
  toJSON(): PublicKeyView {
    return { publicKey: bytesToHex(this.#publicKey), secretKey: REDACTED }
  }

  /** @returns A one-line description without the secret. */
  toString(): string {
    return `EnvelopeKeys(publicKey=${bytesToHex(this.#publicKey)}, secretKey=${REDACTED})`
  }

  /** Node's `util.inspect` form: the same redacted line as `toString()`. */
  [INSPECT](): string {
    return this.toString()
  }
}

/** A ledger signing key pair; the secret is private, as in {@link EnvelopeKeys}. */
export class SigningKeys {
  readonly kind: SigningKind
  readonly #publicKey: Uint8Array
  readonly #secretKey: Uint8Array

  /** @internal Use {@link createMemberKeys} or {@link generateMemberKeys}. */
  constructor(kind: SigningKind, secretKey: Uint8Array, publicKey: Uint8Array) {
    this.kind = kind
    this.#secretKey = secretKey
    this.#publicKey = publicKey
  }

  /** Public key (a copy): 32 bytes for ed25519, 33-byte compressed SEC1 point for secp256k1 and p256. */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice()
  }

  /** Raw 32-byte secret key or scalar (a copy; zero it when done). */
  get secretKey(): Uint8Array {
    return this.#secretKey.slice()
  }

  /** @returns Kind and public key in hex; the secret redacted. */
  toJSON(): PublicKeyView & { kind: SigningKind } {
    return { kind: this.kind, publicKey: bytesToHex(this.#publicKey), secretKey: REDACTED }
  }

  /** @returns A one-line description without the secret. */
  toString(): string {
    return `SigningKeys(kind=${this.kind}, publicKey=${bytesToHex(this.#publicKey)}, secretKey=${REDACTED})`
  }

  /** Node's `util.inspect` form: the same redacted line as `toString()`. */
  [INSPECT](): string {
    return this.toString()
  }
}

/**
 * A member's keys: the X25519 envelope key pair (data keys are wrapped to it) and, optionally, a ledger signing key.
 * Secret material lives only in private fields and is reached through explicit getters (`keys.envelope.secretKey`,
 * `keys.signing?.secretKey`); `JSON.stringify`, `String()`, template literals, `util.inspect` (at any depth),
 * `Object.keys/entries` and `structuredClone` never see it. Store it with {@link lockKeystore}.
 */
export class MemberKeys {
  readonly #envelope: EnvelopeKeys
  readonly #signing: SigningKeys | undefined

  /** @internal Use {@link createMemberKeys} or {@link generateMemberKeys}. */
  constructor(envelope: EnvelopeKeys, signing: SigningKeys | undefined) {
    this.#envelope = envelope
    this.#signing = signing
  }

  /** The envelope key pair. */
  get envelope(): EnvelopeKeys {
    return this.#envelope
  }

  /** The signing key pair, when the member has one. */
  get signing(): SigningKeys | undefined {
    return this.#signing
  }

  /** @returns Public keys in hex; secrets redacted. */
  toJSON(): { envelope: PublicKeyView; signing?: PublicKeyView & { kind: SigningKind } } {
    return {
      envelope: this.#envelope.toJSON(),
      ...(this.#signing === undefined ? {} : { signing: this.#signing.toJSON() }),
    }
  }

  /** @returns A one-line description without secrets. */
  toString(): string {
    const signing =
      this.#signing === undefined ? '' : `, signing=${this.#signing.kind}:${bytesToHex(this.#signing.publicKey)}`
    return `MemberKeys(envelope=${bytesToHex(this.#envelope.publicKey)}${signing}, secret keys ${REDACTED})`
  }

  /** Node's `util.inspect` form: the same redacted line as `toString()`. */
  [INSPECT](): string {
    return this.toString()
  }
}

/** Parameters of {@link createMemberKeys}. */
export interface MemberKeysParameters {
  /** Raw 32-byte X25519 envelope secret key. */
  envelopeSecretKey: Uint8Array
  /** Optional ledger signing key. */
  signing?: { kind: SigningKind; secretKey: Uint8Array }
}

/**
 * Builds a key set from existing secret keys (copied), deriving the public keys.
 *
 * @param params - Envelope secret key and optional signing key.
 * @returns The key set.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when a key has the wrong size, the kind is unknown, or a secp256k1 /
 * p256 secret is not a valid scalar.
 * @example
 * ```ts
 * const keys = createMemberKeys({ envelopeSecretKey, signing: { kind: 'secp256k1', secretKey: walletKey } })
 * ```
 */
export function createMemberKeys(params: MemberKeysParameters): MemberKeys {
  const { envelopeSecretKey, signing: given } = readParams(params, 'params', ['envelopeSecretKey', 'signing'])
  assertBytes(envelopeSecretKey, 'envelopeSecretKey', X25519_KEY_LENGTH)
  let signingKeys: SigningKeys | undefined
  if (given !== undefined) {
    const signing = readParams(given, 'signing', ['kind', 'secretKey'])
    assertOneOf(signing.kind, 'signing.kind', SIGNING_KINDS)
    assertBytes(signing.secretKey, 'signing.secretKey', SECRET_KEY_LENGTH)
    signingKeys = signingKeysFrom(signing.kind, signing.secretKey.slice())
  }
  const sk = envelopeSecretKey.slice()
  return new MemberKeys(new EnvelopeKeys(sk, x25519On(nodeCrypto()).publicKey(sk)), signingKeys)
}

function signingKeysFrom(kind: SigningKind, secretKey: Uint8Array): SigningKeys {
  let publicKey: Uint8Array
  try {
    publicKey = curves[kind].publicKey(secretKey)
  } catch {
    // No `cause`: a library's message about a rejected secret is not ours to vouch for.
    throw new DatapactError('INVALID_INPUT', `"signing.secretKey" must be a valid ${kind} secret key`, {
      details: { argument: 'signing.secretKey', expected: `${kind} secret key`, got: 'out-of-range scalar' },
    })
  }
  return new SigningKeys(kind, secretKey, publicKey)
}

/** Options of {@link generateMemberKeys}. */
export interface GenerateMemberKeysOptions {
  /** Signing algorithm, or `false` for none. Default `ed25519`. */
  signing?: SigningKind | false
}

/**
 * Generates a fresh member key set: a random X25519 envelope key pair and (by default) an ed25519 signing key.
 *
 * @param opts - Which signing key to generate, if any.
 * @returns The key set.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on an unknown signing kind.
 * @example
 * ```ts
 * const keys = generateMemberKeys()
 * const file = await lockKeystore(keys, passphrase)
 * ```
 */
export function generateMemberKeys(opts?: GenerateMemberKeysOptions): MemberKeys {
  const kind = readOptions(opts, 'options', ['signing']).signing ?? 'ed25519'
  if (kind !== false) assertOneOf(kind, 'options.signing', SIGNING_KINDS)
  const ops = x25519On(nodeCrypto())
  const sk = ops.randomSecretKey()
  const envelope = new EnvelopeKeys(sk, ops.publicKey(sk))
  return new MemberKeys(envelope, kind === false ? undefined : signingKeysFrom(kind, curves[kind].random()))
}

/**
 * Internal: reads the secret bytes for the keystore (copies; the caller zeroes them).
 *
 * @param keys - The key set.
 * @returns The secrets.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `keys` is not a MemberKeys.
 */
export function secretsOf(keys: MemberKeys): {
  envelope: Uint8Array
  signing?: { kind: SigningKind; secretKey: Uint8Array }
} {
  if (!isMemberKeys(keys)) throw invalidArgument('keys', 'MemberKeys', describe(keys))
  const s = keys.signing
  return {
    envelope: keys.envelope.secretKey,
    ...(s === undefined ? {} : { signing: { kind: s.kind, secretKey: s.secretKey } }),
  }
}

/**
 * Checks that `value` is a usable {@link MemberKeys}: a key set made by this library whose envelope secret key is
 * 32 bytes and derives exactly its 32-byte public key.
 *
 * @param value - Candidate keys.
 * @param argument - Name used in errors.
 * @returns The keys.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `argument`, never showing the keys.
 */
export function checkMemberKeys(value: unknown, argument: string): MemberKeys {
  if (!isMemberKeys(value))
    throw invalidArgument(
      argument,
      'MemberKeys (from generateMemberKeys, createMemberKeys or a keystore)',
      describe(value),
    )
  let publicKey: unknown
  let secretKey: unknown
  try {
    publicKey = value.envelope.publicKey
    secretKey = value.envelope.secretKey
  } catch {
    throw invalidArgument(argument, 'MemberKeys with an envelope key pair', 'keys that cannot be read')
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== X25519_KEY_LENGTH)
    throw invalidArgument(`${argument}.envelope.publicKey`, 'Uint8Array(32)', describe(publicKey))
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== X25519_KEY_LENGTH)
    throw invalidArgument(`${argument}.envelope.secretKey`, 'Uint8Array(32)', describe(secretKey))
  let derived: Uint8Array
  try {
    derived = x25519On(nodeCrypto()).publicKey(secretKey)
  } finally {
    secretKey.fill(0)
  }
  let same = derived.length === publicKey.length
  for (let i = 0; i < derived.length; i++) same &&= derived[i] === publicKey[i]
  if (!same)
    throw invalidArgument(`${argument}.envelope`, 'a public key derived from its secret key', 'a mismatched pair')
  return value
}

/** `instanceof MemberKeys` that never throws (a Proxy's getPrototypeOf trap may). */
function isMemberKeys(value: unknown): value is MemberKeys {
  try {
    return value instanceof MemberKeys
  } catch {
    return false
  }
}
