import { fc, test } from '@fast-check/vitest'
import { x25519 } from '@noble/curves/ed25519.js'
import { describe, expect } from 'vitest'
import { hpkeOpen, hpkeSeal, hpkeSuite } from './hpke.js'
import { nativeAvailable, nodeCrypto } from './native.js'
import { hex } from './testHelpers.js'
import { x25519On } from './x25519.js'

const ikm = fc.uint8Array({ minLength: 32, maxLength: 64 })
const bytes = fc.uint8Array({ maxLength: 64 })

describe.runIf(nativeAvailable())('native HPKE suite == stock @hpke suite', () => {
  const native = hpkeSuite(nodeCrypto())
  const stock = hpkeSuite(undefined)

  test('the native suite really plugs node:crypto X25519 into @hpke', () => {
    expect(native.kem.constructor.name).toBe('FastDhkemX25519HkdfSha256')
    expect(stock.kem.constructor.name).toBe('DhkemX25519HkdfSha256')
  })

  test.prop([ikm], { numRuns: 40 })('DeriveKeyPair gives the same keys', async seed => {
    const a = await native.kem.deriveKeyPair(seed)
    const b = await stock.kem.deriveKeyPair(seed)
    expect(hex(new Uint8Array(await native.kem.serializePrivateKey(a.privateKey)))).toBe(
      hex(new Uint8Array(await stock.kem.serializePrivateKey(b.privateKey))),
    )
    expect(hex(new Uint8Array(await native.kem.serializePublicKey(a.publicKey)))).toBe(
      hex(new Uint8Array(await stock.kem.serializePublicKey(b.publicKey))),
    )
  })

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
