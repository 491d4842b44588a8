import { describe, expect, it } from 'vitest'
import { collect, pieces } from '../testing/chunks.js'
import { createDecryptor, createEncryptor, generateDataKey, type StreamProgress } from './index.js'

const datasetId = new Uint8Array(32).fill(9)

describe('stream progress', () => {
  it('reports the total when encrypting bytes and when decrypting against an expected size', async () => {
    const key = generateDataKey()
    const data = new Uint8Array(5000).fill(3)
    const seen: StreamProgress[] = []
    const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: 1024, onProgress: p => seen.push(p) })
    const sealed = await collect(enc.encrypt(data))
    expect(seen.at(-1)).toEqual({ bytes: 5000, chunks: 5, total: 5000 })
    expect(seen.every(p => p.total === 5000)).toBe(true)
    const read: StreamProgress[] = []
    const dec = createDecryptor({
      key,
      header: enc.header,
      expected: { plaintextSize: 5000 },
      onProgress: p => read.push(p),
    })
    await collect(dec.decrypt(sealed))
    expect(read.map(p => p.bytes)).toEqual([1024, 2048, 3072, 4096, 5000])
    expect(read.every(p => p.total === 5000)).toBe(true)
  })

  it('leaves the total out for a stream of unknown length and a decryption without an expected size', async () => {
    const key = generateDataKey()
    const seen: StreamProgress[] = []
    const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: 1024, onProgress: p => seen.push(p) })
    const sealed = await collect(enc.encrypt(pieces(new Uint8Array(3000), 700)))
    expect(seen.at(-1)).toEqual({ bytes: 3000, chunks: 3 })
    const read: StreamProgress[] = []
    await collect(createDecryptor({ key, header: enc.header, onProgress: p => read.push(p) }).decrypt(sealed))
    expect(read.at(-1)).toEqual({ bytes: 3000, chunks: 3 })
  })
})
