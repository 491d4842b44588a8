import { MerkleBuilder } from '../crypto/index.js'
import type { Version } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { equalBytes } from '../internal/bytes.js'
import type { PayloadStore } from '../ledger/index.js'

/**
 * Reads every ciphertext chunk of a version from its store and checks their count and Merkle root against the
 * ledger. Store failures propagate as they are (NOT_FOUND, LEDGER_UNAVAILABLE, ...).
 *
 * @param onChunk - Sees each chunk as it is read (to keep them, or not).
 * @throws {@link DatapactError} INTEGRITY when the chunks are not the ones the ledger anchors.
 */
export async function verifyCiphertext(
  store: PayloadStore,
  version: Version,
  onChunk: (chunk: Uint8Array) => void = () => undefined,
): Promise<void> {
  const tree = new MerkleBuilder()
  let count = 0
  for await (const chunk of store.get(version.location.address, version.chunkCount)) {
    tree.addChunk(chunk)
    onChunk(chunk)
    count++
  }
  if (count !== version.chunkCount || !equalBytes(tree.root(), version.merkleRoot))
    throw new DatapactError(
      'INTEGRITY',
      `the payload of version ${version.number} does not match its Merkle root on the ledger`,
      { details: { datasetId: version.datasetId, version: version.number, chunks: count, store: store.name } },
    )
}
