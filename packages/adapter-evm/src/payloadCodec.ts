/**
 * Hand-written ABI coding for the large calls, the bytes-heavy payload calls and usage batches: ethers' generic
 * coder spends seconds on a few hundred KiB of chunks and grows faster than the batch on 2,000 claim words, while
 * these are plain buffer copies. The layout is the standard ABI one (checked against ethers in the tests).
 */
import { Buffer } from 'node:buffer'

const WORD = 32
const padded = (n: number) => Math.ceil(n / WORD) * WORD

function writeUint(buf: Buffer, offset: number, value: number): void {
  buf.writeUIntBE(value, offset + WORD - 6, 6)
}

function readUint(buf: Buffer, offset: number): number {
  if (offset + WORD > buf.length) throw new RangeError('ABI data is truncated')
  for (let i = offset; i < offset + WORD - 6; i++) if (buf[i] !== 0) throw new RangeError('ABI integer is too large')
  return buf.readUIntBE(offset + WORD - 6, 6)
}

/** The ABI encoding of a `bytes[]` at the start of `buf` (which has room for it). Returns the bytes written. */
function encodeBytesArray(buf: Buffer, start: number, chunks: Uint8Array[]): number {
  writeUint(buf, start, chunks.length)
  let tail = chunks.length * WORD
  for (const [i, chunk] of chunks.entries()) {
    writeUint(buf, start + WORD + i * WORD, tail)
    writeUint(buf, start + WORD + tail, chunk.length)
    buf.set(chunk, start + 2 * WORD + tail)
    tail += WORD + padded(chunk.length)
  }
  return WORD + tail
}

const bytesArraySize = (chunks: Uint8Array[]) => WORD + chunks.reduce((n, c) => n + 2 * WORD + padded(c.length), 0)

/**
 * Calldata of `storePayload(bytes32 upload, uint32 first, bytes[] chunks, bool last)`.
 *
 * @param selector - The function selector (0x + 8 hex).
 */
export function encodeStorePayload(
  selector: string,
  upload: string,
  first: number,
  chunks: Uint8Array[],
  last: boolean,
): string {
  const buf = Buffer.alloc(4 + 4 * WORD + bytesArraySize(chunks))
  buf.write(selector.slice(2), 0, 'hex')
  buf.write(upload, 4, 'hex')
  writeUint(buf, 4 + WORD, first)
  writeUint(buf, 4 + 2 * WORD, 4 * WORD)
  if (last) buf[4 + 4 * WORD - 1] = 1
  encodeBytesArray(buf, 4 + 4 * WORD, chunks)
  return `0x${buf.toString('hex')}`
}

/** The non-indexed fields of a PayloadStored log `(uint32 first, bool complete, bytes[] chunks)`. */
export interface PayloadLog {
  first: number
  complete: boolean
  count: number
  /** Decodes the chunks (only when asked: readers of the event history need just the count). */
  chunks(): Uint8Array[]
}

/** Reads a PayloadStored log's data (0x hex). */
export function decodePayloadLog(data: string): PayloadLog {
  const buf = Buffer.from(data.slice(2), 'hex')
  const first = readUint(buf, 0)
  const complete = readUint(buf, WORD) === 1
  const base = readUint(buf, 2 * WORD)
  const count = readUint(buf, base)
  return {
    first,
    complete,
    count,
    chunks() {
      const out: Uint8Array[] = []
      for (let i = 0; i < count; i++) {
        const at = base + WORD + readUint(buf, base + WORD + i * WORD)
        const length = readUint(buf, at)
        if (at + WORD + length > buf.length) throw new RangeError('ABI bytes are truncated')
        out.push(new Uint8Array(buf.subarray(at + WORD, at + WORD + length)))
      }
      return out
    },
  }
}

/**
 * Calldata of `recordUsage(bytes32[] datasetIds, bytes32[] wrapHashes, uint256[] claims)`: three arrays of words.
 *
 * @param selector - The function selector (0x + 8 hex).
 * @param datasetIds - 0x-prefixed 32-byte words.
 * @param wrapHashes - 0x-prefixed 32-byte words.
 * @param claims - Unsigned integers below 2^256.
 * @throws `RangeError` when a word is not 32 bytes of hex or a claim does not fit in 256 bits.
 */
export function encodeRecordUsage(
  selector: string,
  datasetIds: readonly string[],
  wrapHashes: readonly string[],
  claims: readonly bigint[],
): string {
  const word = (hex: string): string => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('a bytes32 word must be 32 bytes of hex')
    return hex.slice(2).toLowerCase()
  }
  const uint = (n: bigint): string => {
    if (n < 0n || n >= 1n << 256n) throw new RangeError('a uint256 must be in [0, 2^256)')
    return n.toString(16).padStart(64, '0')
  }
  const head = (n: number) => n.toString(16).padStart(64, '0')
  const parts: string[] = [selector]
  const first = 3 * WORD
  const second = first + WORD * (1 + datasetIds.length)
  const third = second + WORD * (1 + wrapHashes.length)
  parts.push(head(first), head(second), head(third))
  parts.push(head(datasetIds.length), ...datasetIds.map(word))
  parts.push(head(wrapHashes.length), ...wrapHashes.map(word))
  parts.push(head(claims.length))
  for (const c of claims) parts.push(uint(c))
  return parts.join('')
}
