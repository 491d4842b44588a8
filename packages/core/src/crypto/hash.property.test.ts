import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { createSha256, sha256 } from './hash.js'
import { nativeAvailable } from './native.js'
import { hex, splitAt } from './testHelpers.js'

describe.runIf(nativeAvailable())('sha256 native == portable', () => {
  test.prop([fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat({ max: 4096 }), { maxLength: 8 })], { numRuns: 150 })(
    'one-shot and incremental digests agree across backends and splits',
    (data, cuts) => {
      const native = sha256(data, { backend: 'native' })
      expect(hex(sha256(data, { backend: 'portable' }))).toBe(hex(native))
      for (const backend of ['native', 'portable'] as const) {
        const h = createSha256({ backend })
        for (const piece of splitAt(data, cuts)) h.update(piece)
        expect(hex(h.digest())).toBe(hex(native))
      }
    },
  )
})
