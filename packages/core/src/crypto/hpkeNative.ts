import { concatList } from '../internal/bytes.js'
import { type NodeCryptoModule, x25519PrivateKey } from './native.js'

/**
 * The native backend's HPKE: RFC 9180 base mode, single shot (seq 0), over DHKEM(X25519, HKDF-SHA256) and
 * HKDF-SHA256, with every primitive from node:crypto (OpenSSL): X25519 key generation and agreement on KeyObjects,
 * HMAC-SHA256 for HKDF-Extract and HKDF-Expand (RFC 5869), ChaCha20-Poly1305 or AES-128-GCM. Nothing here is a
 * primitive: it is the RFC's composition of them (§4 labeled KDF, §4.1 DHKEM, §5.1 key schedule, §6.1 single
 * shot), written out so a wrap costs its two X25519 operations plus a handful of HMACs, instead of @hpke's
 * promise-per-step framing and its three recomputations of the same extract.
 *
 * The portable backend is the stock @hpke suite (`hpke.ts`). The RFC 9180 known-answer vectors run on both, and a
 * property test checks this code against @hpke byte for byte on random keys, ephemerals, plaintexts, info and aad.
 */

type Aead = 'chacha20poly1305' | 'aes128gcm'

const AEADS = {
  chacha20poly1305: { id: 0x0003, cipher: 'chacha20-poly1305', keyLength: 32 },
  aes128gcm: { id: 0x0001, cipher: 'aes-128-gcm', keyLength: 16 },
} as const
const NONCE_LENGTH = 12
const TAG_LENGTH = 16
const HASH_LENGTH = 32
const KEM_ID = 0x0020
const KDF_ID = 0x0001
/** How many recipients' public key objects a native HPKE keeps imported. */
const RECIPIENT_KEYS_CACHED = 4096

const ascii = (s: string) => Uint8Array.from(s, c => c.charCodeAt(0))
const concat = (...parts: Uint8Array[]) => concatList(parts)
const u16 = (n: number) => Uint8Array.of(n >>> 8, n & 0xff)
const EMPTY = new Uint8Array(0)
const ONE = Uint8Array.of(0x01)

/** "HPKE-v1" || suite_id || label: the constant head of every labeled input (RFC 9180 §4). */
const labelHead = (suiteId: Uint8Array, label: string) => concat(ascii('HPKE-v1'), suiteId, ascii(label))

const KEM_SUITE = concat(ascii('KEM'), u16(KEM_ID))
const KEM_EAE_PRK = labelHead(KEM_SUITE, 'eae_prk')
const KEM_SHARED_SECRET = labelHead(KEM_SUITE, 'shared_secret')
const KEM_DKP_PRK = labelHead(KEM_SUITE, 'dkp_prk')
const KEM_SK = labelHead(KEM_SUITE, 'sk')

interface SuiteLabels {
  pskIdHash: Uint8Array
  infoHash: Uint8Array
  secret: Uint8Array
  key: Uint8Array
  baseNonce: Uint8Array
}

/** The native primitives HPKE needs, bound to one node:crypto module. */
interface NativeHpke {
  seal(
    recipientPublicKey: Uint8Array,
    plaintext: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ikmE?: Uint8Array,
  ): {
    enc: Uint8Array
    ct: Uint8Array
  }
  open(recipientSecretKey: Uint8Array, enc: Uint8Array, ct: Uint8Array, info: Uint8Array, aad: Uint8Array): Uint8Array
  /** RFC 9180 §7.1.3 DeriveKeyPair for X25519: the secret key (tests read the intermediate values). */
  deriveSecretKey(ikm: Uint8Array): Uint8Array
  /** The KEM's shared secret from a DH output and the kem_context (tests). */
  sharedSecret(dh: Uint8Array, kemContext: Uint8Array): Uint8Array
  /** The base-mode key schedule (tests). */
  keySchedule(
    sharedSecret: Uint8Array,
    info: Uint8Array,
  ): { context: Uint8Array; key: Uint8Array; baseNonce: Uint8Array }
}

/** A failure of the KEM on the given key (unusable encoding, or an all-zero DH output of a low-order point). */
export class NativeKemError extends Error {
  override name = 'NativeKemError'
  readonly reason: 'unusable key' | 'low-order point'
  /** @param reason - What went wrong. @param cause - node:crypto's error. */
  constructor(reason: 'unusable key' | 'low-order point', cause: unknown) {
    super(reason, { cause })
    this.reason = reason
  }
}

const instances = new WeakMap<NodeCryptoModule, Map<Aead, NativeHpke>>()

/**
 * Internal: the native HPKE of one node:crypto module and AEAD (cached).
 *
 * @param node - node:crypto.
 * @param aead - ChaCha20-Poly1305 (envelopes) or AES-128-GCM (RFC 9180 A.1.1 only).
 * @returns Seal and open, plus the intermediate steps for known-answer tests.
 */
export function nativeHpke(node: NodeCryptoModule, aead: Aead): NativeHpke {
  let byAead = instances.get(node)
  if (byAead === undefined) {
    byAead = new Map()
    instances.set(node, byAead)
  }
  let hpke = byAead.get(aead)
  if (hpke === undefined) {
    hpke = create(node, aead)
    byAead.set(aead, hpke)
  }
  return hpke
}

function create(node: NodeCryptoModule, aead: Aead): NativeHpke {
  const { id: aeadId, keyLength } = AEADS[aead]
  // Both are AEAD ciphers with the same node:crypto API; the cast picks one of the overloads that share it.
  const cipher = AEADS[aead].cipher as 'chacha20-poly1305'
  const suite = concat(ascii('HPKE'), u16(KEM_ID), u16(KDF_ID), u16(aeadId))
  const labels: SuiteLabels = {
    pskIdHash: labelHead(suite, 'psk_id_hash'),
    infoHash: labelHead(suite, 'info_hash'),
    secret: labelHead(suite, 'secret'),
    key: labelHead(suite, 'key'),
    baseNonce: labelHead(suite, 'base_nonce'),
  }
  const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)
  const b64url = (u: Uint8Array) => toBuffer(u).toString('base64url')

  /** LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, head || ikm) = HMAC-SHA256(salt, head || ikm). */
  const labeledExtract = (salt: Uint8Array, head: Uint8Array, ikm: Uint8Array): Buffer =>
    node.createHmac('sha256', salt).update(head).update(ikm).digest()
  /**
   * LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) || head || info, L). Every L here is at most
   * the hash length, so HKDF-Expand is its first block: T(1) = HMAC(prk, labeled_info || 0x01), cut to L.
   */
  const labeledExpand = (prk: Uint8Array, head: Uint8Array, info: Uint8Array, length: number): Buffer => {
    if (length > HASH_LENGTH) throw new Error('labeledExpand: L > Nh is not used by this suite')
    const t = node.createHmac('sha256', prk).update(u16(length)).update(head).update(info).update(ONE).digest()
    return length === HASH_LENGTH ? t : t.subarray(0, length)
  }

  // psk_id_hash and info_hash depend only on public constants (no PSK; the caller's info), so they are computed
  // once per info and reused. Nothing secret is cached.
  const pskIdHash = labeledExtract(EMPTY, labels.pskIdHash, EMPTY)
  const contexts = new Map<string, Uint8Array>()
  const contextFor = (info: Uint8Array): Uint8Array => {
    const id = b64url(info)
    let context = contexts.get(id)
    if (context === undefined) {
      context = concat(Uint8Array.of(0x00), pskIdHash, labeledExtract(EMPTY, labels.infoHash, info))
      if (contexts.size >= 64) contexts.clear()
      contexts.set(id, context)
    }
    return context
  }

  const keySchedule = (sharedSecret: Uint8Array, info: Uint8Array) => {
    const context = contextFor(info)
    const secret = labeledExtract(sharedSecret, labels.secret, EMPTY)
    const key = labeledExpand(secret, labels.key, context, keyLength)
    const baseNonce = labeledExpand(secret, labels.baseNonce, context, NONCE_LENGTH)
    secret.fill(0)
    return { context, key, baseNonce }
  }

  const sharedSecretOf = (dh: Uint8Array, kemContext: Uint8Array): Buffer => {
    const prk = labeledExtract(EMPTY, KEM_EAE_PRK, dh)
    const ss = labeledExpand(prk, KEM_SHARED_SECRET, kemContext, HASH_LENGTH)
    prk.fill(0)
    return ss
  }

  const deriveSecretKey = (ikm: Uint8Array): Buffer => {
    const prk = labeledExtract(EMPTY, KEM_DKP_PRK, ikm)
    const sk = labeledExpand(prk, KEM_SK, EMPTY, HASH_LENGTH)
    prk.fill(0)
    return sk
  }

  const importPrivate = (sk: Uint8Array) => x25519PrivateKey(node, sk)
  const importPublicX = (x: string) => {
    try {
      return node.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' })
    } catch (e) {
      throw new NativeKemError('unusable key', e)
    }
  }
  const importPublic = (pk: Uint8Array) => importPublicX(b64url(pk))
  // Recipients' public keys, imported once: a dataset's members get a wrap on every publish and grant, and the
  // import costs a fifth of an X25519 operation. Public values only; bounded, and dropped whole when full.
  const recipients = new Map<string, ReturnType<NodeCryptoModule['createPublicKey']>>()
  const recipientKey = (pk: Uint8Array) => {
    const x = b64url(pk)
    let key = recipients.get(x)
    if (key === undefined) {
      key = importPublicX(x)
      if (recipients.size >= RECIPIENT_KEYS_CACHED) recipients.clear()
      recipients.set(x, key)
    }
    return key
  }
  const rawPublic = (key: ReturnType<NodeCryptoModule['createPublicKey']>): Buffer => {
    const pk = Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url')
    if (pk.length !== 32) throw new Error(`X25519 public key export gave ${pk.length} bytes`)
    return pk
  }
  const agree = (
    privateKey: ReturnType<NodeCryptoModule['createPrivateKey']>,
    publicKey: ReturnType<NodeCryptoModule['createPublicKey']>,
  ) => {
    try {
      // OpenSSL refuses an all-zero X25519 output ("failed during derivation"), as RFC 9180 §7.1.4 requires.
      return node.diffieHellman({ privateKey, publicKey })
    } catch (e) {
      throw new NativeKemError('low-order point', e)
    }
  }
  const options = { authTagLength: TAG_LENGTH } as const

  return {
    seal(recipientPublicKey, plaintext, info, aad, ikmE) {
      const pkR = recipientKey(recipientPublicKey)
      let skE: ReturnType<NodeCryptoModule['createPrivateKey']>
      let pkE: ReturnType<NodeCryptoModule['createPublicKey']>
      if (ikmE === undefined) ({ privateKey: skE, publicKey: pkE } = node.generateKeyPairSync('x25519'))
      else {
        const sk = deriveSecretKey(ikmE)
        skE = importPrivate(sk)
        sk.fill(0)
        pkE = node.createPublicKey(skE)
      }
      const dh = agree(skE, pkR)
      const enc = rawPublic(pkE)
      const ss = sharedSecretOf(dh, concat(enc, recipientPublicKey))
      dh.fill(0)
      const { key, baseNonce } = keySchedule(ss, info)
      ss.fill(0)
      const c = node.createCipheriv(cipher, key, baseNonce, options)
      key.fill(0)
      c.setAAD(aad, { plaintextLength: plaintext.length })
      const body = c.update(plaintext)
      c.final()
      const ct = new Uint8Array(body.length + TAG_LENGTH)
      ct.set(body, 0)
      ct.set(c.getAuthTag(), body.length)
      return { enc: new Uint8Array(enc), ct }
    },
    open(recipientSecretKey, enc, ct, info, aad) {
      if (ct.length < TAG_LENGTH) throw new Error('ciphertext shorter than a tag')
      const skR = importPrivate(recipientSecretKey)
      const pkRm = rawPublic(node.createPublicKey(skR))
      const dh = agree(skR, importPublic(enc))
      const ss = sharedSecretOf(dh, concat(enc, pkRm))
      dh.fill(0)
      const { key, baseNonce } = keySchedule(ss, info)
      ss.fill(0)
      const n = ct.length - TAG_LENGTH
      const d = node.createDecipheriv(cipher, key, baseNonce, options)
      key.fill(0)
      d.setAAD(aad, { plaintextLength: n })
      d.setAuthTag(ct.subarray(n))
      const body = d.update(ct.subarray(0, n))
      try {
        d.final()
      } catch (e) {
        body.fill(0)
        throw e
      }
      const out = new Uint8Array(n)
      out.set(body)
      body.fill(0)
      return out
    },
    deriveSecretKey: ikm => new Uint8Array(deriveSecretKey(ikm)),
    sharedSecret: (dh, kemContext) => new Uint8Array(sharedSecretOf(dh, kemContext)),
    keySchedule(sharedSecret, info) {
      const { context, key, baseNonce } = keySchedule(sharedSecret, info)
      return { context: context.slice(), key: new Uint8Array(key), baseNonce: new Uint8Array(baseNonce) }
    },
  }
}
