import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createChaCha20Poly1305 } from './aead.js'
import { BACKENDS, hex, thrownCode, unhex } from './testHelpers.js'

interface AeadVector {
  key: string
  nonce: string
  aad: string
  plaintext: string
  ciphertext: string
  tag: string
}
const { vectors } = JSON.parse(readFileSync(new URL('../../test/vectors/rfc8439.json', import.meta.url), 'utf8')) as {
  vectors: AeadVector[]
}

describe.each(BACKENDS)('ChaCha20-Poly1305 (%s)', backend => {
  it.each(vectors.map(v => [v] as const))('matches the RFC 8439 §2.8.2 vector', v => {
    const aead = createChaCha20Poly1305(unhex(v.key), backend)
    expect(aead.backend).toBe(backend)
    const sealed = aead.seal(unhex(v.nonce), unhex(v.plaintext), unhex(v.aad))
    expect(hex(sealed)).toBe(v.ciphertext + v.tag)
    expect(hex(aead.open(unhex(v.nonce), sealed, unhex(v.aad)))).toBe(v.plaintext)
  })

  it('rejects a wrong tag, ciphertext, nonce, aad or key with INTEGRITY', async () => {
    const v = vectors[0]!
    const aead = createChaCha20Poly1305(unhex(v.key), backend)
    const sealed = unhex(v.ciphertext + v.tag)
    const flip = (b: Uint8Array, i: number) => {
      const c = b.slice()
      c[i]! ^= 1
      return c
    }
    const nonce = unhex(v.nonce)
    const aad = unhex(v.aad)
    expect(await thrownCode(() => aead.open(nonce, flip(sealed, sealed.length - 1), aad))).toBe('INTEGRITY')
    expect(await thrownCode(() => aead.open(nonce, flip(sealed, 0), aad))).toBe('INTEGRITY')
    expect(await thrownCode(() => aead.open(flip(nonce, 11), sealed, aad))).toBe('INTEGRITY')
    expect(await thrownCode(() => aead.open(nonce, sealed, flip(aad, 0)))).toBe('INTEGRITY')
    expect(await thrownCode(() => aead.open(nonce, sealed.subarray(0, 15), aad))).toBe('INTEGRITY')
    const other = createChaCha20Poly1305(flip(unhex(v.key), 0), backend)
    expect(await thrownCode(() => other.open(nonce, sealed, aad))).toBe('INTEGRITY')
  })

  it('seals an empty plaintext to a bare 16-byte tag', () => {
    const aead = createChaCha20Poly1305(new Uint8Array(32), backend)
    const sealed = aead.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(0))
    expect(sealed.length).toBe(16)
    expect(aead.open(new Uint8Array(12), sealed, new Uint8Array(0)).length).toBe(0)
  })

  it('copies the key: later changes to the caller array do not matter', () => {
    const key = new Uint8Array(32).fill(5)
    const aead = createChaCha20Poly1305(key, backend)
    const before = aead.seal(new Uint8Array(12), new Uint8Array(3), new Uint8Array(0))
    key.fill(0)
    expect(hex(aead.seal(new Uint8Array(12), new Uint8Array(3), new Uint8Array(0)))).toBe(hex(before))
  })
})
