import { fc, test } from '@fast-check/vitest'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { describe, expect } from 'vitest'
import { hpkeOpen, hpkeSeal, hpkeSuite } from './hpke.js'
import { nativeHpke } from './hpkeNative.js'
import { nativeAvailable, nodeCrypto } from './native.js'
import { hex } from './testHelpers.js'
import { x25519On } from './x25519.js'

const ikm = fc.uint8Array({ minLength: 32, maxLength: 64 })
const bytes = fc.uint8Array({ maxLength: 64 })

describe.runIf(nativeAvailable())('native HPKE suite == stock @hpke suite', () => {
  const native = nativeHpke(nodeCrypto()!, 'chacha20poly1305')
  const stock = hpkeSuite()

  test.prop([ikm], { numRuns: 40 })('DeriveKeyPair gives the same secret key', async seed => {
    const b = await stock.kem.deriveKeyPair(seed)
    expect(hex(native.deriveSecretKey(seed))).toBe(
      hex(new Uint8Array(await stock.kem.serializePrivateKey(b.privateKey))),
    )
  })

  test.prop([ikm, ikm, bytes], { numRuns: 40 })(
    'the KEM shared secret and the key schedule match @hpke on random keys and info',
    async (ikmR, ikmE, info) => {
      const r = await stock.kem.deriveKeyPair(ikmR)
      const sender = await stock.createSenderContext({ recipientPublicKey: r.publicKey, info, ekm: ikmE })
      const { enc, sharedSecret } = await stock.kem.encap({ recipientPublicKey: r.publicKey, ekm: ikmE })
      const pkR = new Uint8Array(await stock.kem.serializePublicKey(r.publicKey))
      const skE = native.deriveSecretKey(ikmE)
      const dh = x25519On(nodeCrypto()).sharedSecret(skE, pkR)
      const ss = native.sharedSecret(dh, Uint8Array.of(...new Uint8Array(enc), ...pkR))
      expect(hex(ss)).toBe(hex(new Uint8Array(sharedSecret)))
      // The sender context's first seal uses key and base_nonce: equal ciphertexts prove equal key schedules.
      const { key, baseNonce } = native.keySchedule(ss, info)
      const pt = Uint8Array.of(1, 2, 3)
      expect(hex(chacha20poly1305(key, baseNonce).encrypt(pt))).toBe(hex(new Uint8Array(await sender.seal(pt))))
    },
  )

  test.prop([ikm, ikm, bytes, bytes, bytes], { numRuns: 40 })(
    'with the same fixed ephemeral, seal gives identical enc and ciphertext; each opens the other',
    async (ikmR, ikmE, plaintext, info, aad) => {
      const r = await stock.kem.deriveKeyPair(ikmR)
      const pkR = new Uint8Array(await stock.kem.serializePublicKey(r.publicKey))
      const skR = new Uint8Array(await stock.kem.serializePrivateKey(r.privateKey))
      const a = await hpkeSeal(nodeCrypto(), { recipientPublicKey: pkR, plaintext, info, aad, ikmE })
      const b = await hpkeSeal(undefined, { recipientPublicKey: pkR, plaintext, info, aad, ikmE })
      expect(hex(a.enc)).toBe(hex(b.enc))
      expect(hex(a.ct)).toBe(hex(b.ct))
      expect(hex(await hpkeOpen(undefined, { recipientSecretKey: skR, ...a, info, aad }))).toBe(hex(plaintext))
      expect(hex(await hpkeOpen(nodeCrypto(), { recipientSecretKey: skR, ...b, info, aad }))).toBe(hex(plaintext))
    },
  )

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 })], {
    numRuns: 60,
  })('node:crypto X25519 == @noble/curves X25519 (public keys and shared secrets)', (a, b) => {
    const ops = x25519On(nodeCrypto())
    expect(hex(ops.publicKey(a))).toBe(hex(x25519.getPublicKey(a)))
    const pkB = x25519.getPublicKey(b)
    expect(hex(ops.sharedSecret(a, pkB))).toBe(hex(x25519.getSharedSecret(a, pkB)))
  })
})
