import { createCipheriv } from 'node:crypto'

const MiB = 1024 * 1024

/** `size` deterministic pseudo-random bytes (AES-128-CTR keystream of a fixed key), 1 MiB at a time. */
export async function* generated(size: number): AsyncGenerator<Uint8Array> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0))
  const zeros = Buffer.alloc(MiB)
  for (let left = size; left > 0; left -= MiB)
    yield new Uint8Array(cipher.update(zeros.subarray(0, Math.min(MiB, left))))
}
