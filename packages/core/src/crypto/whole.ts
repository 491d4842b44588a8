/**
 * Decrypting a whole payload into one buffer, checked against everything the ledger holds about it. On Node, a large
 * payload is decrypted on two threads: this one reads the store, frames the ciphertext into a shared ring and builds
 * the Merkle tree; a helper thread ({@link startDecryptJob}) opens the chunks, writes the plaintext and hashes it.
 * Elsewhere, for small payloads, or when the helper is busy, the same checks run on this thread alone.
 */
import { DatapactError } from '../errors.js'
import { AEAD_TAG_LENGTH } from './aead.js'
import { type ChunksReply, type DecryptJob, startDecryptJob, WorkerLost } from './decryptWorker.js'
import { leafHashOn, MerkleBuilder } from './merkle.js'
import { nodeCrypto } from './native.js'
import { type DataSource, readPieces } from './source.js'
import {
  checkFinalLength,
  chunkAuthFailed,
  decryptChunks,
  deriveStreamSecrets,
  type ExpectedPayload,
  endsWithoutFinal,
  integrity,
  mismatch,
  mismatchError,
  progressOf,
  readHeader,
  type StreamProgress,
  setNonce,
} from './stream.js'

/** Everything the ledger holds about a payload, all of which the plaintext is checked against. */
export type WholePayload = Required<ExpectedPayload>

/** Parameters of {@link decryptWhole}. */
export interface DecryptWholeParameters {
  /** The 32-byte data key. */
  key: Uint8Array
  /** The encoded header. */
  header: Uint8Array
  expected: WholePayload
  /** Reads the ciphertext from its start; called a second time only if the helper thread is lost midway. */
  read: () => DataSource
  /** Called after verified chunks, as the decryptor's `onProgress`. */
  onProgress?: ((progress: StreamProgress) => void) | undefined
}

/** About how many ciphertext bytes go to the helper thread in one message. */
const GROUP_BYTES = 1024 * 1024
/**
 * Groups the ring holds at most: one being filled here while the others wait or are opened there. A deep ring lets
 * the helper go on through a pause of this thread (a garbage collection, a store read of several MiB at once).
 */
const GROUPS = 16

/** Below this plaintext size a payload is decrypted on this thread: the messages would cost more than they save. */
let parallelFrom = 4 * 1024 * 1024

/**
 * Internal (tests): sets the smallest plaintext size decrypted with the helper thread.
 *
 * @param bytes - The new threshold (`Infinity`: never).
 * @returns The previous threshold.
 */
export function setParallelThreshold(bytes: number): number {
  const previous = parallelFrom
  parallelFrom = bytes
  return previous
}

/**
 * Decrypts a whole payload into one exactly sized buffer. Every chunk must authenticate, and the chunk count, the
 * Merkle root of the ciphertext chunks, the plaintext size and its SHA-256 must equal `expected`; until all of that
 * holds the plaintext stays private, and it is wiped when anything fails.
 *
 * @param params - Key, header, what the ledger holds, and the ciphertext.
 * @returns The plaintext.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when no buffer here can hold
 * `expected.plaintextSize` bytes (nothing is read); INTEGRITY as {@link decryptChunks}; whatever reading the
 * ciphertext throws.
 */
export async function decryptWhole(params: DecryptWholeParameters): Promise<Uint8Array> {
  // One result for either path, allocated before anything is read: a size announced beyond what this runtime can
  // hold is a typed refusal, not a RangeError from deep inside (and never a helper thread lost to it).
  const bytes = allocate(params.expected.plaintextSize)
  if (params.expected.plaintextSize >= parallelFrom && nodeCrypto() !== undefined) {
    try {
      const done = await onTwoThreads(params, bytes)
      if (done !== undefined) return done
    } catch (e) {
      // The helper thread died: nothing was released, so read the payload again on this thread, into a new
      // result when the first one went to the helper.
      if (!(e instanceof WorkerLost)) throw e
      if (bytes.byteLength === 0) return onThisThread(params, allocate(params.expected.plaintextSize))
    }
  }
  return onThisThread(params, bytes)
}

function allocate(size: number): Uint8Array {
  try {
    return new Uint8Array(size)
  } catch (e) {
    throw new DatapactError(
      'INVALID_INPUT',
      `a payload of ${size} bytes does not fit in memory here: read it with data.stream instead`,
      {
        details: { argument: 'plaintextSize', expected: 'a size this runtime can hold', got: `${size} bytes` },
        cause: e,
      },
    )
  }
}

async function onThisThread(params: DecryptWholeParameters, bytes: Uint8Array): Promise<Uint8Array> {
  const { key, header, expected, onProgress } = params
  let offset = 0
  let chunk = 0
  try {
    const pieces = decryptChunks({ key, header, chunks: params.read(), expected, ...(onProgress && { onProgress }) })
    for await (const piece of pieces) {
      if (offset + piece.length > bytes.length) throw mismatchError('plaintextSize', chunk)
      bytes.set(piece, offset)
      offset += piece.length
      chunk++
    }
  } catch (e) {
    bytes.fill(0)
    throw e
  }
  return bytes
}

/** A group of chunks sent to the helper thread, not yet answered. */
interface InFlight {
  reply: Promise<ChunksReply>
  first: number
  lengths: number[]
}

/** Decrypts into `result`, which goes to the helper and comes back; undefined (result untouched) if the helper is busy. */
async function onTwoThreads(params: DecryptWholeParameters, result: Uint8Array): Promise<Uint8Array | undefined> {
  const { key, header, expected, onProgress } = params
  const node = nodeCrypto()!
  const fields = readHeader(header)
  const frameSize = fields.chunkSize + AEAD_TAG_LENGTH
  const perGroup = Math.max(1, Math.floor(GROUP_BYTES / frameSize))
  // No more slots than the payload has chunks, rounded up to whole groups.
  const slots = perGroup * Math.max(1, Math.min(GROUPS, Math.ceil(expected.chunkCount / perGroup)))
  const { aeadKey, nonce } = deriveStreamSecrets(key, header, fields.salt)
  let job: DecryptJob | undefined
  try {
    job = startDecryptJob(slots * frameSize, aeadKey, header, result)
  } finally {
    aeadKey.fill(0)
  }
  if (job === undefined) return undefined
  const view = new Uint8Array(job.ring)
  const { chunkCount, plaintextSize } = expected
  const merkle = new MerkleBuilder({ backend: 'native' })
  const inFlight: InFlight[] = []
  let offsets: number[] = []
  let lengths: number[] = []
  let groupFirst = 0
  /** Chunks framed so far; the next one goes into slot `index % slots`. */
  let index = 0
  let fill = 0
  /** The chunk sent as the final one, or -1. */
  let finalIndex = -1
  let verified = 0

  const send = () => {
    const nonces = new Uint8Array(nonce.length * lengths.length)
    for (let i = 0; i < lengths.length; i++) {
      setNonce(nonce, groupFirst + i, groupFirst + i === finalIndex)
      nonces.set(nonce, nonce.length * i)
    }
    const reply = job.chunks(offsets, lengths, nonces)
    // Awaited in order below; a group left unawaited when an earlier one fails must not count as unhandled.
    reply.catch(() => undefined)
    inFlight.push({ reply, first: groupFirst, lengths })
    offsets = []
    lengths = []
    groupFirst = index
  }
  const frame = (length: number, last: boolean) => {
    const at = (index % slots) * frameSize
    merkle.pushLeafUnchecked(leafHashOn(node, view.subarray(at, at + length)))
    offsets.push(at)
    lengths.push(length)
    if (last) finalIndex = index
    index++
    if (last || lengths.length === perGroup) send()
  }
  const settle = async () => {
    const group = inFlight.shift()!
    const { failed, beyond } = await group.reply
    if (failed >= 0) {
      const at = group.first + failed
      throw beyond ? mismatchError('plaintextSize', at) : chunkAuthFailed(at, at === finalIndex)
    }
    for (const [i, length] of group.lengths.entries()) {
      // The final chunk is reported only once the whole payload matched the ledger.
      if (group.first + i === finalIndex) break
      verified += length - AEAD_TAG_LENGTH
      onProgress?.(progressOf(verified, group.first + i + 1, plaintextSize))
    }
  }

  try {
    for await (const piece of readPieces(params.read(), 'chunks')) {
      let offset = 0
      while (offset < piece.length) {
        if (finalIndex >= 0)
          throw integrity(`the payload goes on after its final chunk ${finalIndex}: it was extended`, {
            chunk: finalIndex + 1,
          })
        // A slot is written again only once the helper has answered for the chunk that was in it.
        if (fill === 0) while (inFlight.length > 0 && inFlight[0]!.first <= index - slots) await settle()
        const n = Math.min(frameSize - fill, piece.length - offset)
        view.set(piece.subarray(offset, offset + n), (index % slots) * frameSize + fill)
        fill += n
        offset += n
        if (fill === frameSize) {
          fill = 0
          frame(frameSize, index === chunkCount - 1)
        }
      }
    }
    if (finalIndex < 0) {
      if (fill === 0 && index > 0) throw endsWithoutFinal(index)
      checkFinalLength(fill, index)
      frame(fill, true)
    }
    while (inFlight.length > 0) await settle()
    const done = await job.finish()
    const summary = {
      plaintextDigest: done.digest,
      merkleRoot: merkle.root(),
      plaintextSize: done.size,
      chunkCount: index,
      ciphertextSize: done.size + index * AEAD_TAG_LENGTH,
    }
    const field = mismatch(summary, expected)
    if (field !== undefined) {
      done.bytes.fill(0)
      throw mismatchError(field, index - 1)
    }
    onProgress?.(progressOf(done.size, index, plaintextSize))
    return done.bytes
  } finally {
    job.drop()
  }
}
