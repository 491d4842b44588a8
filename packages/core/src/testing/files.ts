import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Flips one bit of every file in a directory, `fromEnd` bytes before its end (3: inside the last chunk's tag of a
 * payload file of `FileSystemPayloadStore`). Flipped, not overwritten with a fixed byte, which leaves a file as it was
 * whenever it already holds that byte there: the change is certain whatever the (random) ciphertext.
 *
 * @param dir - The directory (not recursive).
 * @param fromEnd - How many bytes before the end of each file, at least 1.
 * @returns How many files were changed.
 */
export function flipByteNearEnd(dir: string, fromEnd = 3): number {
  let changed = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const size = statSync(path).size
    if (size < fromEnd) continue
    const fd = openSync(path, 'r+')
    try {
      const byte = new Uint8Array(1)
      readSync(fd, byte, 0, 1, size - fromEnd)
      byte[0]! ^= 0x01
      writeSync(fd, byte, 0, 1, size - fromEnd)
      changed++
    } finally {
      closeSync(fd)
    }
  }
  return changed
}
