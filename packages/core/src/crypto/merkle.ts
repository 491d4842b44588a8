import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { assertBytes, assertInteger, assertRecord, describe, invalidArgument } from '../internal/assert.js'
import { equalBytes } from '../internal/bytes.js'
import { backendOption, type CryptoBackend, type NodeCryptoModule, toPlainBytes } from './native.js'

/**
 * Merkle tree over ciphertext chunks.
 *
 * - leaf = SHA-256(0x00 || chunk)
 * - node = SHA-256(0x01 || left || right)
 * - levels are built left to right by pairing neighbours; when a level has an odd number of nodes, the last one is
 *   promoted unchanged to the next level (it is not hashed with itself, and not duplicated).
 * - the root of one chunk is its leaf hash; zero chunks have no root (a payload always has at least one chunk).
 *
 * The 0x00 / 0x01 prefixes keep leaves and inner nodes apart (second-preimage resistance as in RFC 6962).
 */

/** Length of every hash in the tree. */
export const MERKLE_HASH_LENGTH = 32

/** Largest number of leaves accepted: one per chunk, and a chunk counter is 32 bits. */
export const MAX_MERKLE_LEAVES = 2 ** 32

const LEAF_PREFIX = /* @__PURE__ */ Uint8Array.of(0x00)
const NODE_PREFIX = /* @__PURE__ */ Uint8Array.of(0x01)

/** Options shared by the Merkle functions. */
export interface MerkleOptions {
  /** `native` (node:crypto) or `portable` (@noble/hashes). Default: native when available. Same bytes either way. */
  backend?: CryptoBackend
}

/** An inclusion proof for one leaf. */
export interface MerkleProof {
  /** Zero-based position of the leaf. */
  index: number
  /** Number of leaves in the tree. */
  leafCount: number
  /** Sibling hashes from the leaf level upwards; levels where the node was promoted contribute none. */
  siblings: Uint8Array[]
}

/** What a proof is built from: the ciphertext chunks themselves, or their leaf hashes. */
export type MerkleLeaves = { chunks: readonly Uint8Array[] } | { leafHashes: readonly Uint8Array[] }

/**
 * Internal: leaf hashing on a resolved backend, without argument checks.
 *
 * @param node - node:crypto for the native backend, `undefined` for the portable one.
 * @param chunk - The chunk as stored.
 * @returns SHA-256(0x00 || chunk).
 */
export function leafHashOn(node: NodeCryptoModule | undefined, chunk: Uint8Array): Uint8Array {
  if (node === undefined) return nobleSha256.create().update(LEAF_PREFIX).update(chunk).digest()
  return toPlainBytes(node.createHash('sha256').update(LEAF_PREFIX).update(chunk).digest())
}

function nodeHashOn(node: NodeCryptoModule | undefined, left: Uint8Array, right: Uint8Array): Uint8Array {
  if (node === undefined) return nobleSha256.create().update(NODE_PREFIX).update(left).update(right).digest()
  return toPlainBytes(node.createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest())
}

function assertChunkList(value: unknown, argument: string): asserts value is readonly Uint8Array[] {
  if (!Array.isArray(value)) throw invalidArgument(argument, 'array of Uint8Array', describe(value))
  if (value.length === 0) throw invalidArgument(argument, 'at least one chunk', 'array(0)')
  for (let i = 0; i < value.length; i++) assertBytes(value[i], `${argument}[${i}]`)
}

function assertLeafHashList(value: unknown, argument: string): asserts value is readonly Uint8Array[] {
  if (!Array.isArray(value)) throw invalidArgument(argument, 'array of Uint8Array(32)', describe(value))
  if (value.length === 0) throw invalidArgument(argument, 'at least one leaf hash', 'array(0)')
  for (let i = 0; i < value.length; i++) assertBytes(value[i], `${argument}[${i}]`, MERKLE_HASH_LENGTH)
}

/**
 * Leaf hash of one ciphertext chunk: SHA-256(0x00 || chunk).
 *
 * @param chunk - The chunk as stored (ciphertext || tag).
 * @param opts - Backend choice.
 * @returns 32 bytes.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `chunk` is not a Uint8Array.
 */
export function merkleLeafHash(chunk: Uint8Array, opts?: MerkleOptions): Uint8Array {
  assertBytes(chunk, 'chunk')
  return leafHashOn(backendOption(opts), chunk)
}

/**
 * Builds a Merkle root incrementally, one leaf at a time, keeping O(log n) hashes: a stack with at most one perfect
 * subtree per size. Gives the same root as {@link merkleRoot} over the same chunks.
 *
 * @example
 * ```ts
 * const b = new MerkleBuilder()
 * for (const chunk of chunks) b.addChunk(chunk)
 * const root = b.root()
 * ```
 */
export class MerkleBuilder {
  readonly #node: NodeCryptoModule | undefined
  // #stack[i] holds a perfect subtree of 2^#heights[i] leaves; heights strictly decrease from bottom to top.
  readonly #stack: Uint8Array[] = []
  readonly #heights: number[] = []
  #count = 0

  /**
   * @param opts - Backend choice.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the backend is unknown.
   */
  constructor(opts?: MerkleOptions) {
    this.#node = backendOption(opts)
  }

  /** Number of leaves added so far. */
  get leafCount(): number {
    return this.#count
  }

  /**
   * Adds a chunk as the next leaf (hashed as SHA-256(0x00 || chunk)).
   *
   * @param chunk - The chunk as stored.
   * @returns The leaf hash.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `chunk` is not a Uint8Array or the tree is full.
   */
  addChunk(chunk: Uint8Array): Uint8Array {
    assertBytes(chunk, 'chunk')
    const leaf = leafHashOn(this.#node, chunk)
    this.#push(leaf)
    return leaf
  }

  /**
   * Adds an already computed leaf hash as the next leaf.
   *
   * @param leafHash - 32 bytes, as from {@link merkleLeafHash} (copied).
   * @returns This builder.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on a wrong length or when the tree is full.
   */
  addLeafHash(leafHash: Uint8Array): this {
    assertBytes(leafHash, 'leafHash', MERKLE_HASH_LENGTH)
    this.#push(leafHash.slice())
    return this
  }

  /** Internal fast path for the payload stream: a leaf hash it computed itself. */
  pushLeafUnchecked(leafHash: Uint8Array): void {
    this.#push(leafHash)
  }

  #push(leaf: Uint8Array): void {
    if (this.#count >= MAX_MERKLE_LEAVES) throw invalidArgument('leaves', `at most ${MAX_MERKLE_LEAVES}`, 'more')
    this.#count++
    let hash = leaf
    let height = 0
    // Merge equal-height subtrees: the same pairs the level-by-level construction forms.
    while (this.#heights.length > 0 && this.#heights[this.#heights.length - 1] === height) {
      this.#heights.pop()
      hash = nodeHashOn(this.#node, this.#stack.pop()!, hash)
      height++
    }
    this.#stack.push(hash)
    this.#heights.push(height)
  }

  /**
   * The root over the leaves added so far. The builder stays usable: more leaves may follow.
   *
   * @returns 32 bytes.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when no leaf was added (zero chunks have no root).
   */
  root(): Uint8Array {
    if (this.#count === 0) throw invalidArgument('leaves', 'at least one leaf', 'none')
    // Fold the perfect subtrees from the right: a smaller right-hand subtree is exactly the node the level-by-level
    // construction promotes until it meets its left neighbour.
    let acc = this.#stack[this.#stack.length - 1]!
    for (let i = this.#stack.length - 2; i >= 0; i--) acc = nodeHashOn(this.#node, this.#stack[i]!, acc)
    return acc.slice()
  }
}

function levelsFrom(node: NodeCryptoModule | undefined, leaves: readonly Uint8Array[]): Uint8Array[][] {
  const levels: Uint8Array[][] = [leaves.slice()]
  let level = levels[0]!
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHashOn(node, level[i]!, level[i + 1]!))
    if (level.length % 2 === 1) next.push(level[level.length - 1]!)
    levels.push(next)
    level = next
  }
  return levels
}

/**
 * Merkle root of a list of chunks (see the module notes for the exact construction).
 *
 * @param chunks - The chunks in order, as stored (ciphertext || tag); at least one.
 * @param opts - Backend choice.
 * @returns 32 bytes.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `chunks` is not a non-empty array of Uint8Array.
 * @example
 * ```ts
 * const root = merkleRoot(chunks)
 * ```
 */
export function merkleRoot(chunks: readonly Uint8Array[], opts?: MerkleOptions): Uint8Array {
  assertChunkList(chunks, 'chunks')
  const node = backendOption(opts)
  const levels = levelsFrom(
    node,
    chunks.map(c => leafHashOn(node, c)),
  )
  return levels[levels.length - 1]![0]!.slice()
}

/**
 * Inclusion proof for the leaf at `index`.
 *
 * @param leaves - `{ chunks }` or `{ leafHashes }` (32 bytes each), in order; at least one.
 * @param index - Zero-based leaf position.
 * @param opts - Backend choice.
 * @returns The proof: index, leaf count and sibling hashes from the bottom up.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT on a malformed list or an index out of range.
 * @example
 * ```ts
 * const proof = merkleProof({ chunks }, 3)
 * verifyMerkleProof(root, chunks[3], proof) // true
 * ```
 */
export function merkleProof(leaves: MerkleLeaves, index: number, opts?: MerkleOptions): MerkleProof {
  assertRecord(leaves, 'leaves')
  const node = backendOption(opts)
  let hashes: readonly Uint8Array[]
  if ('chunks' in leaves) {
    assertChunkList(leaves.chunks, 'leaves.chunks')
    hashes = leaves.chunks.map(c => leafHashOn(node, c))
  } else if ('leafHashes' in leaves) {
    assertLeafHashList(leaves.leafHashes, 'leaves.leafHashes')
    hashes = leaves.leafHashes
  } else {
    throw invalidArgument('leaves', '{ chunks } or { leafHashes }', 'object')
  }
  assertInteger(index, 'index', 0, hashes.length - 1)
  const levels = levelsFrom(node, hashes)
  const siblings: Uint8Array[] = []
  let i = index
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]!
    const sibling = i % 2 === 1 ? i - 1 : i + 1
    if (sibling < level.length) siblings.push(level[sibling]!.slice())
    i = Math.floor(i / 2)
  }
  return { index, leafCount: hashes.length, siblings }
}

/**
 * Checks that `chunk` sits at `proof.index` in the tree with root `root`. Never throws on a wrong or malformed
 * proof: it returns false. The root does not commit to the leaf count on its own (as in RFC 6962, a tree of 7 leaves
 * and one of 8 can share sibling paths), so take `proof.leafCount` from a trusted source, such as the chunk count
 * anchored on the ledger next to the root.
 *
 * @param root - Expected root, 32 bytes.
 * @param chunk - The chunk as stored.
 * @param proof - From {@link merkleProof}.
 * @param opts - Backend choice.
 * @returns Whether the proof is well formed and leads to `root`.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `root` or `chunk` is not a Uint8Array (programming errors).
 */
export function verifyMerkleProof(
  root: Uint8Array,
  chunk: Uint8Array,
  proof: MerkleProof,
  opts?: MerkleOptions,
): boolean {
  assertBytes(root, 'root')
  assertBytes(chunk, 'chunk')
  const node = backendOption(opts)
  if (root.length !== MERKLE_HASH_LENGTH || typeof proof !== 'object' || proof === null) return false
  const { index, leafCount, siblings } = proof
  if (!Number.isSafeInteger(leafCount) || leafCount < 1 || leafCount > MAX_MERKLE_LEAVES) return false
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount || !Array.isArray(siblings)) return false
  let hash = leafHashOn(node, chunk)
  let i = index
  let width = leafCount
  let used = 0
  while (width > 1) {
    const isRight = i % 2 === 1
    if (isRight || i + 1 < width) {
      const sibling: unknown = siblings[used++]
      if (!(sibling instanceof Uint8Array) || sibling.length !== MERKLE_HASH_LENGTH) return false
      hash = isRight ? nodeHashOn(node, sibling, hash) : nodeHashOn(node, hash, sibling)
    }
    i = Math.floor(i / 2)
    width = Math.ceil(width / 2)
  }
  return used === siblings.length && equalBytes(hash, root)
}
