import { sha256 as reference } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { MerkleBuilder, merkleLeafHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js'
import { BACKENDS, hex, thrownCode } from './testHelpers.js'

// Reference construction, written out by hand from the spec.
const leaf = (c: Uint8Array) => reference(Uint8Array.of(0x00, ...c))
const node = (l: Uint8Array, r: Uint8Array) => reference(Uint8Array.of(0x01, ...l, ...r))
const chunks = Array.from({ length: 7 }, (_, i) => Uint8Array.of(i, i + 1, i + 2))
const L = chunks.map(leaf)

describe.each(BACKENDS)('Merkle tree (%s)', backend => {
  const opts = { backend } as const

  it('hashes leaves as SHA-256(0x00 || chunk)', () => {
    expect(hex(merkleLeafHash(chunks[0]!, opts))).toBe(hex(L[0]!))
  })

  it('builds the documented tree: pairs left to right, promotes an odd last node unchanged', () => {
    expect(hex(merkleRoot(chunks.slice(0, 1), opts))).toBe(hex(L[0]!))
    expect(hex(merkleRoot(chunks.slice(0, 2), opts))).toBe(hex(node(L[0]!, L[1]!)))
    expect(hex(merkleRoot(chunks.slice(0, 3), opts))).toBe(hex(node(node(L[0]!, L[1]!), L[2]!)))
    const n01 = node(L[0]!, L[1]!)
    const n23 = node(L[2]!, L[3]!)
    expect(hex(merkleRoot(chunks.slice(0, 5), opts))).toBe(hex(node(node(n01, n23), L[4]!)))
    const n45 = node(L[4]!, L[5]!)
    expect(hex(merkleRoot(chunks, opts))).toBe(hex(node(node(n01, n23), node(n45, L[6]!))))
  })

  it('MerkleBuilder gives the same roots, and stays usable after root()', () => {
    const b = new MerkleBuilder(opts)
    chunks.forEach((c, i) => {
      b.addChunk(c)
      expect(b.leafCount).toBe(i + 1)
      expect(hex(b.root())).toBe(hex(merkleRoot(chunks.slice(0, i + 1), opts)))
    })
    const fromHashes = new MerkleBuilder(opts)
    for (const h of L) fromHashes.addLeafHash(h)
    expect(hex(fromHashes.root())).toBe(hex(b.root()))
  })

  it('has no root for zero chunks', async () => {
    expect(await thrownCode(() => merkleRoot([], opts))).toBe('INVALID_INPUT')
    expect(await thrownCode(() => new MerkleBuilder(opts).root())).toBe('INVALID_INPUT')
  })

  it('proves every leaf, from chunks or from leaf hashes; a promoted level adds no sibling', () => {
    const root = merkleRoot(chunks.slice(0, 5), opts)
    for (let i = 0; i < 5; i++) {
      const proof = merkleProof({ chunks: chunks.slice(0, 5) }, i, opts)
      expect(proof).toMatchObject({ index: i, leafCount: 5 })
      expect(proof.siblings.map(hex)).toEqual(merkleProof({ leafHashes: L.slice(0, 5) }, i, opts).siblings.map(hex))
      expect(verifyMerkleProof(root, chunks[i]!, proof, opts)).toBe(true)
    }
    // Leaf 4 of 5 is promoted twice, then meets the left subtree: a single sibling.
    expect(merkleProof({ chunks: chunks.slice(0, 5) }, 4, opts).siblings.map(hex)).toEqual([
      hex(node(node(L[0]!, L[1]!), node(L[2]!, L[3]!))),
    ])
  })

  it('rejects wrong chunks, indices, counts and malformed proofs (false, never a throw)', () => {
    const root = merkleRoot(chunks, opts)
    const proof = merkleProof({ chunks }, 2, opts)
    expect(verifyMerkleProof(root, chunks[3]!, proof, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, index: 3 }, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, leafCount: 3 }, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, siblings: proof.siblings.slice(1) }, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, siblings: [...proof.siblings, L[0]!] }, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, index: -1 }, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, { ...proof, index: 1.5 }, opts)).toBe(false)
    expect(verifyMerkleProof(root.subarray(1), chunks[2]!, proof, opts)).toBe(false)
    const bad = { ...proof, siblings: [new Uint8Array(31), ...proof.siblings.slice(1)] }
    expect(verifyMerkleProof(root, chunks[2]!, bad, opts)).toBe(false)
    expect(verifyMerkleProof(root, chunks[2]!, null as never, opts)).toBe(false)
  })
})
