import { readFileSync } from 'node:fs'
import { gcm } from '@noble/ciphers/aes.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect, it } from 'vitest'
import { type HpkeAead, hpkeOpen, hpkeSeal, hpkeSuite } from './hpke.js'
import { nativeHpke } from './hpkeNative.js'
import { nativeAvailable, nodeCrypto, resolveBackend } from './native.js'
import { BACKENDS, hex, thrownCode, unhex } from './testHelpers.js'
import { x25519On } from './x25519.js'

/** RFC 9180 Appendix A vectors; see test/vectors/README.md. */
interface Vector {
  section: string
  aead_id: number
  info: string
  ikmE: string
  pkEm: string
  skEm: string
  ikmR: string
  pkRm: string
  skRm: string
  enc: string
  shared_secret: string
  key_schedule_context: string
  secret: string
  key: string
  base_nonce: string
  exporter_secret: string
  encryptions: { seq: number; pt: string; aad: string; nonce: string; ct: string }[]
  exports: { exporter_context: string; L: number; exported_value: string }[]
}
interface Failure {
  vector: string
  seq: number
  change: 'aad' | 'info' | 'ct' | 'enc' | 'skRm'
  description: string
  aad?: string
  info?: string
  ct?: string
  enc?: string
  skRm?: string
  expect: string
}
const file = JSON.parse(readFileSync(new URL('../../test/vectors/rfc9180.json', import.meta.url), 'utf8')) as {
  vectors: Vector[]
  failures: Failure[]
}

const aeadOf = (v: Vector): HpkeAead => (v.aead_id === 3 ? 'chacha20poly1305' : 'aes128gcm')
const utf8 = (s: string) => new TextEncoder().encode(s)
const EMPTY = new Uint8Array(0)

describe('RFC 9180 vectors are self-consistent (transcription check with @noble/ciphers)', () => {
  it.each(file.vectors.map(v => [v.section, v] as const))('%s', (_, v) => {
    for (const e of v.encryptions) {
      const cipher = v.aead_id === 3 ? chacha20poly1305 : gcm
      expect(hex(cipher(unhex(v.key), unhex(e.nonce), unhex(e.aad)).encrypt(unhex(e.pt)))).toBe(e.ct)
      // nonce = base_nonce XOR I2OSP(seq, 12)
      const n = unhex(v.base_nonce)
      n[11]! ^= e.seq & 0xff
      n[10]! ^= (e.seq >> 8) & 0xff
      expect(hex(n)).toBe(e.nonce)
    }
  })
})

describe('RFC 9180 known answers, step by step (the stock @hpke suite: the portable backend)', () => {
  describe.each(file.vectors.map(v => [`${v.section} (${aeadOf(v)})`, v] as const))('%s', (_, v) => {
    const suite = hpkeSuite(aeadOf(v))

    it('derives the key pairs from ikmE / ikmR (DeriveKeyPair)', async () => {
      for (const [ikm, sk, pk] of [
        [v.ikmE, v.skEm, v.pkEm],
        [v.ikmR, v.skRm, v.pkRm],
      ] as const) {
        const kp = await suite.kem.deriveKeyPair(unhex(ikm))
        expect(hex(new Uint8Array(await suite.kem.serializePrivateKey(kp.privateKey)))).toBe(sk)
        expect(hex(new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey)))).toBe(pk)
      }
    })

    it('encapsulates to enc and shared_secret with the fixed ephemeral key, and decapsulates', async () => {
      const recipient = await suite.kem.deriveKeyPair(unhex(v.ikmR))
      const { enc, sharedSecret } = await suite.kem.encap({
        recipientPublicKey: recipient.publicKey,
        ekm: unhex(v.ikmE),
      })
      expect(hex(new Uint8Array(enc))).toBe(v.enc)
      expect(hex(new Uint8Array(sharedSecret))).toBe(v.shared_secret)
      const recipientKey = await suite.kem.deserializePrivateKey(unhex(v.skRm))
      expect(hex(new Uint8Array(await suite.kem.decap({ enc: unhex(v.enc), recipientKey })))).toBe(v.shared_secret)
    })

    it('reproduces the key schedule with the suite KDF (key_schedule_context, secret, key, base_nonce, exporter_secret)', async () => {
      const kdf = suite.kdf
      const pskIdHash = new Uint8Array(await kdf.labeledExtract(EMPTY, utf8('psk_id_hash'), EMPTY))
      const infoHash = new Uint8Array(await kdf.labeledExtract(EMPTY, utf8('info_hash'), unhex(v.info)))
      const context = Uint8Array.of(0, ...pskIdHash, ...infoHash)
      expect(hex(context)).toBe(v.key_schedule_context)
      const secret = await kdf.labeledExtract(unhex(v.shared_secret), utf8('secret'), EMPTY)
      expect(hex(new Uint8Array(secret))).toBe(v.secret)
      const nk = unhex(v.key).length
      expect(hex(new Uint8Array(await kdf.labeledExpand(secret, utf8('key'), context, nk)))).toBe(v.key)
      expect(hex(new Uint8Array(await kdf.labeledExpand(secret, utf8('base_nonce'), context, 12)))).toBe(v.base_nonce)
      expect(hex(new Uint8Array(await kdf.labeledExpand(secret, utf8('exp'), context, 32)))).toBe(v.exporter_secret)
    })

    it('seals the listed encryptions (seq 0..256) and exports the listed values; the recipient opens them', async () => {
      const recipient = await suite.kem.deriveKeyPair(unhex(v.ikmR))
      const sender = await suite.createSenderContext({
        recipientPublicKey: recipient.publicKey,
        info: unhex(v.info),
        ekm: unhex(v.ikmE),
      })
      expect(hex(new Uint8Array(sender.enc))).toBe(v.enc)
      const bySeq = new Map(v.encryptions.map(e => [e.seq, e]))
      const sent: { ct: ArrayBuffer; aad: Uint8Array }[] = []
      const last = Math.max(...bySeq.keys())
      for (let seq = 0; seq <= last; seq++) {
        const e = bySeq.get(seq)
        const aad = e === undefined ? EMPTY : unhex(e.aad)
        const ct = await sender.seal(e === undefined ? EMPTY : unhex(e.pt), aad)
        if (e !== undefined) expect(hex(new Uint8Array(ct))).toBe(e.ct)
        sent.push({ ct, aad })
      }
      for (const x of v.exports)
        expect(hex(new Uint8Array(await sender.export(unhex(x.exporter_context), x.L)))).toBe(x.exported_value)
      const receiver = await suite.createRecipientContext({
        recipientKey: recipient,
        enc: unhex(v.enc),
        info: unhex(v.info),
      })
      for (const [seq, { ct, aad }] of sent.entries()) {
        const pt = new Uint8Array(await receiver.open(ct, aad))
        const e = bySeq.get(seq)
        if (e !== undefined) expect(hex(pt)).toBe(e.pt)
      }
      for (const x of v.exports)
        expect(hex(new Uint8Array(await receiver.export(unhex(x.exporter_context), x.L)))).toBe(x.exported_value)
    })
  })
})

describe.runIf(nativeAvailable())('RFC 9180 known answers, step by step (the native backend)', () => {
  describe.each(file.vectors.map(v => [`${v.section} (${aeadOf(v)})`, v] as const))('%s', (_, v) => {
    const native = nativeHpke(nodeCrypto()!, aeadOf(v))

    it('derives the secret keys from ikmE / ikmR (DeriveKeyPair), whose public keys node:crypto computes', () => {
      expect(hex(native.deriveSecretKey(unhex(v.ikmE)))).toBe(v.skEm)
      expect(hex(native.deriveSecretKey(unhex(v.ikmR)))).toBe(v.skRm)
      const ops = x25519On(nodeCrypto())
      expect(hex(ops.publicKey(unhex(v.skEm)))).toBe(v.pkEm)
      expect(hex(ops.publicKey(unhex(v.skRm)))).toBe(v.pkRm)
    })

    it('derives shared_secret from the DH output and kem_context = enc || pkRm (both directions of the DH)', () => {
      const ops = x25519On(nodeCrypto())
      const kemContext = unhex(v.enc + v.pkRm)
      for (const dh of [ops.sharedSecret(unhex(v.skEm), unhex(v.pkRm)), ops.sharedSecret(unhex(v.skRm), unhex(v.pkEm))])
        expect(hex(native.sharedSecret(dh, kemContext))).toBe(v.shared_secret)
    })

    it('reproduces the key schedule (key_schedule_context, key, base_nonce)', () => {
      const ks = native.keySchedule(unhex(v.shared_secret), unhex(v.info))
      expect(hex(ks.context)).toBe(v.key_schedule_context)
      expect(hex(ks.key)).toBe(v.key)
      expect(hex(ks.baseNonce)).toBe(v.base_nonce)
      // Cached per info: a second call gives the same bytes.
      expect(hex(native.keySchedule(unhex(v.shared_secret), unhex(v.info)).key)).toBe(v.key)
    })
  })
})

describe.each(BACKENDS)('RFC 9180 known answers, single shot (%s backend)', backend => {
  const node = resolveBackend(backend)

  describe.each(file.vectors.map(v => [`${v.section} (${aeadOf(v)})`, v] as const))('%s', (_, v) => {
    it('the single-shot seal used by key wrapping gives enc and the seq-0 ciphertext; open inverts it', async () => {
      const e = v.encryptions[0]!
      const { enc, ct } = await hpkeSeal(
        node,
        {
          recipientPublicKey: unhex(v.pkRm),
          plaintext: unhex(e.pt),
          info: unhex(v.info),
          aad: unhex(e.aad),
          ikmE: unhex(v.ikmE),
        },
        aeadOf(v),
      )
      expect(hex(enc)).toBe(v.enc)
      expect(hex(ct)).toBe(e.ct)
      const pt = await hpkeOpen(
        node,
        { recipientSecretKey: unhex(v.skRm), enc, ct, info: unhex(v.info), aad: unhex(e.aad) },
        aeadOf(v),
      )
      expect(hex(pt)).toBe(e.pt)
    })
  })

  it.each(file.failures.map(f => [f.description, f] as const))('failure vector: %s', async (_, f) => {
    const v = file.vectors.find(x => x.section === f.vector)!
    const e = v.encryptions.find(x => x.seq === f.seq)!
    const code = await thrownCode(() =>
      hpkeOpen(
        node,
        {
          recipientSecretKey: unhex(f.skRm ?? v.skRm),
          enc: unhex(f.enc ?? v.enc),
          ct: unhex(f.ct ?? e.ct),
          info: unhex(f.info ?? v.info),
          aad: unhex(f.aad ?? e.aad),
        },
        aeadOf(v),
      ),
    )
    expect(code).toBe(f.expect)
  })

  it('refuses to seal to a low-order public key (all-zero DH output) with INVALID_INPUT', async () => {
    for (const pk of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      const code = await thrownCode(() =>
        hpkeSeal(node, { recipientPublicKey: pk, plaintext: EMPTY, info: EMPTY, aad: EMPTY }),
      )
      expect(code).toBe('INVALID_INPUT')
    }
  })
})
