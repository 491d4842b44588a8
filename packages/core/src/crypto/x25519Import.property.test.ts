// The two ways a raw X25519 secret key becomes a KeyObject (a JWK from `d` alone on Node 20 and 22; PKCS#8 on Node
// 24, which wants `x` in a JWK) give the same key: the same public key as @noble/curves, the same shared secrets.
import { fc, test } from '@fast-check/vitest'
import { x25519 } from '@noble/curves/ed25519.js'
import { describe, expect } from 'vitest'
import { nativeAvailable, nodeCrypto, x25519PrivateKey, x25519PrivateKeyFromPkcs8 } from './native.js'

describe.runIf(nativeAvailable())('X25519 secret key import', () => {
  const node = nodeCrypto()!
  const rawPublic = (k: ReturnType<typeof x25519PrivateKey>) =>
    new Uint8Array(Buffer.from(node.createPublicKey(k).export({ format: 'jwk' }).x ?? '', 'base64url'))

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 })], {
    numRuns: 100,
  })('the fast path and PKCS#8 agree with @noble/curves', (sk, peerSk) => {
    const peer = node.createPublicKey(x25519PrivateKeyFromPkcs8(node, peerSk))
    for (const key of [x25519PrivateKey(node, sk), x25519PrivateKeyFromPkcs8(node, sk)]) {
      expect(rawPublic(key)).toEqual(x25519.getPublicKey(sk))
      expect(new Uint8Array(node.diffieHellman({ privateKey: key, publicKey: peer }))).toEqual(
        x25519.getSharedSecret(sk, x25519.getPublicKey(peerSk)),
      )
    }
  })
})
