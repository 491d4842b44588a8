import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { MerkleBuilder, merkleLeafHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js'
import { nativeAvailable } from './native.js'
import { hex } from './testHelpers.js'

const chunkList = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70 })

describe('Merkle properties', () => {
  test.prop([chunkList], { numRuns: 100 })('MerkleBuilder (incremental) == merkleRoot', chunks => {
    const b = new MerkleBuilder()
    for (const c of chunks) b.addChunk(c)
    expect(hex(b.root())).toBe(hex(merkleRoot(chunks)))
    const h = new MerkleBuilder()
    for (const c of chunks) h.addLeafHash(merkleLeafHash(c))
    expect(hex(h.root())).toBe(hex(merkleRoot(chunks)))
  })

  test.prop([chunkList, fc.uint8Array({ minLength: 1, maxLength: 40 })], { numRuns: 60 })(
    'every index proves; a wrong chunk or a wrong index does not',
    (chunks, junk) => {
      const root = merkleRoot(chunks)
      chunks.forEach((chunk, i) => {
        const proof = merkleProof({ chunks }, i)
        expect(verifyMerkleProof(root, chunk, proof)).toBe(true)
        const other = Uint8Array.of(...chunk, ...junk)
        expect(verifyMerkleProof(root, other, proof)).toBe(false)
        const j = (i + 1) % chunks.length
        if (hex(chunks[j]!) !== hex(chunk)) expect(verifyMerkleProof(root, chunk, { ...proof, index: j })).toBe(false)
      })
    },
  )
})

describe.runIf(nativeAvailable())('Merkle native == portable', () => {
  test.prop([chunkList], { numRuns: 50 })('same roots', chunks => {
    expect(hex(merkleRoot(chunks, { backend: 'native' }))).toBe(hex(merkleRoot(chunks, { backend: 'portable' })))
  })
})
