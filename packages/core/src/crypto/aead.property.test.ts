import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { createChaCha20Poly1305 } from './aead.js'
import { nativeAvailable } from './native.js'
import { hex, thrownCode } from './testHelpers.js'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonce = fc.uint8Array({ minLength: 12, maxLength: 12 })

describe.runIf(nativeAvailable())('ChaCha20-Poly1305 native == portable', () => {
  test.prop([key, nonce, fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 64 })], { numRuns: 150 })(
    'seal gives identical bytes; each backend opens the other one',
    (k, n, pt, aad) => {
      const native = createChaCha20Poly1305(k, 'native')
      const portable = createChaCha20Poly1305(k, 'portable')
      const a = native.seal(n, pt, aad)
      expect(hex(portable.seal(n, pt, aad))).toBe(hex(a))
      expect(hex(portable.open(n, a, aad))).toBe(hex(pt))
      expect(hex(native.open(n, a, aad))).toBe(hex(pt))
    },
  )

  test.prop([key, nonce, fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.integer({ min: 0, max: 7 })], {
    numRuns: 100,
  })('any single bit flip is refused by both backends with INTEGRITY', async (k, n, pt, at, bit) => {
    const aad = new Uint8Array(4)
    const sealed = createChaCha20Poly1305(k, 'native').seal(n, pt, aad)
    sealed[at % sealed.length]! ^= 1 << bit
    for (const backend of ['native', 'portable'] as const)
      expect(await thrownCode(() => createChaCha20Poly1305(k, backend).open(n, sealed, aad))).toBe('INTEGRITY')
  })
})
