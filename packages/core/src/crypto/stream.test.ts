import { describe, expect, it } from 'vitest'
import { sha256 } from './hash.js'
import { DEFAULT_CHUNK_SIZE, decodeHeader, HEADER_LENGTH } from './header.js'
import { merkleRoot } from './merkle.js'
import {
  createDecryptor,
  createEncryptor,
  type DecryptChunksParameters,
  decryptBytes,
  decryptChunks,
  encryptBytes,
  generateDataKey,
  toReadableStream,
} from './stream.js'
import { BACKENDS, codeOf, drain, hex, join, pseudoRandom, thrownCode } from './testHelpers.js'

const CS = 1024
const datasetId = new Uint8Array(32).fill(0x11)
const otherDataset = new Uint8Array(32).fill(0x22)

async function encryptAll(opts: {
  key: Uint8Array
  plaintext: Uint8Array
  version?: number
  datasetId?: Uint8Array
  backend?: 'native' | 'portable'
  chunkSize?: number
}) {
  const enc = createEncryptor({
    key: opts.key,
    datasetId: opts.datasetId ?? datasetId,
    version: opts.version ?? 1,
    chunkSize: opts.chunkSize ?? CS,
    ...(opts.backend === undefined ? {} : { backend: opts.backend }),
  })
  const chunks: Uint8Array[] = []
  for await (const c of enc.encrypt(opts.plaintext)) chunks.push(c)
  return { header: enc.header, chunks, summary: enc.summary() }
}

async function* asyncPieces(bytes: Uint8Array, size: number) {
  for (let o = 0; o < bytes.length; o += size) yield bytes.slice(o, o + size)
}

function readable(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++]!)
      else controller.close()
    },
  })
}

describe.each(BACKENDS)('payload stream (%s)', backend => {
  it.each([0, 1, CS - 1, CS, CS + 1, 3 * CS, 3 * CS + 17, 10_000])(
    'round-trips %i bytes with the documented chunk layout and fingerprint',
    async size => {
      const key = generateDataKey()
      const plaintext = pseudoRandom(size, size + 1)
      const { header, chunks, summary } = await encryptAll({ key, plaintext, backend })
      const count = Math.max(1, Math.ceil(size / CS))
      expect(chunks.length).toBe(count)
      for (const c of chunks.slice(0, -1)) expect(c.length).toBe(CS + 16)
      expect(chunks.at(-1)!.length).toBe(size - (count - 1) * CS + 16)
      expect(summary).toEqual({
        plaintextDigest: sha256(plaintext),
        merkleRoot: merkleRoot(chunks),
        plaintextSize: size,
        chunkCount: count,
        ciphertextSize: size + 16 * count,
      })
      expect(header.length).toBe(HEADER_LENGTH)
      expect(decodeHeader(header)).toMatchObject({ chunkSize: CS, version: 1, datasetId })
      const { pieces, error } = await drain(() => decryptChunks({ key, header, chunks, backend }))
      expect(error).toBeUndefined()
      expect(hex(join(pieces))).toBe(hex(plaintext))
      const dec = createDecryptor({ key, header, backend })
      const again = await drain(() => dec.decrypt(join(chunks)))
      expect(hex(join(again.pieces))).toBe(hex(plaintext))
      expect(dec.summary()).toEqual(summary)
    },
  )

  it('encrypts an empty plaintext to one empty final chunk of 16 bytes', async () => {
    const { chunks, summary } = await encryptAll({ key: generateDataKey(), plaintext: new Uint8Array(0), backend })
    expect(chunks.map(c => c.length)).toEqual([16])
    expect(summary).toMatchObject({ plaintextSize: 0, chunkCount: 1, ciphertextSize: 16 })
  })

  it('uses 64 KiB chunks by default and a fresh salt (so a fresh payload key) per encryptor', async () => {
    const key = generateDataKey()
    const a = createEncryptor({ key, datasetId, version: 1, backend })
    const b = createEncryptor({ key, datasetId, version: 1, backend })
    expect(a.chunkSize).toBe(DEFAULT_CHUNK_SIZE)
    expect(a.headerFields.chunkSize).toBe(DEFAULT_CHUNK_SIZE)
    expect(hex(a.headerFields.salt)).not.toBe(hex(b.headerFields.salt))
    const ca = await drain(() => a.encrypt(new Uint8Array(10)))
    const cb = await drain(() => b.encrypt(new Uint8Array(10)))
    expect(hex(ca.pieces[0]!)).not.toBe(hex(cb.pieces[0]!))
  })

  it('accepts every source shape and any piece sizes, for encryption and decryption', async () => {
    const key = generateDataKey()
    const plaintext = pseudoRandom(5 * CS + 333, 9)
    const { header, chunks } = await encryptAll({ key, plaintext, backend })
    const sources = {
      'one Uint8Array': () => plaintext,
      'an array of pieces': () => [plaintext.subarray(0, 5), plaintext.subarray(5, 4000), plaintext.subarray(4000)],
      'an async generator of 1-byte pieces': () => asyncPieces(plaintext, 1),
      'an async generator of 7000-byte pieces': () => asyncPieces(plaintext, 7000),
      'a ReadableStream': () => readable([plaintext.slice(0, 100), new Uint8Array(0), plaintext.slice(100)]),
    }
    for (const [, make] of Object.entries(sources)) {
      const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: CS, backend })
      const out = await drain(() => enc.encrypt(make()))
      expect(out.error).toBeUndefined()
      const dec = await drain(() => decryptChunks({ key, header: enc.header, chunks: out.pieces, backend }))
      expect(hex(join(dec.pieces))).toBe(hex(plaintext))
    }
    const whole = join(chunks)
    const cipherSources = [
      chunks,
      whole,
      asyncPieces(whole, 1),
      asyncPieces(whole, CS + 16),
      asyncPieces(whole, 3000),
      readable(chunks),
    ]
    for (const source of cipherSources) {
      const dec = await drain(() => decryptChunks({ key, header, chunks: source, backend }))
      expect(dec.error).toBeUndefined()
      expect(hex(join(dec.pieces))).toBe(hex(plaintext))
    }
  })

  it('streams: a chunk comes out after about one chunk of input, holding back only one chunk', async () => {
    let consumed = 0
    async function* counting() {
      for (let i = 0; i < 100; i++) {
        consumed++
        yield new Uint8Array(100)
      }
    }
    const enc = createEncryptor({ key: generateDataKey(), datasetId, version: 1, chunkSize: CS, backend })
    const seen: number[] = []
    for await (const _ of enc.encrypt(counting())) seen.push(consumed)
    // The first chunk needs 1024 bytes plus one more byte to know it is not the last one: 11 pieces of 100.
    expect(seen[0]).toBe(11)
    expect(seen.length).toBe(10)
  })

  it('reports progress after every chunk', async () => {
    const key = generateDataKey()
    const encProgress: { bytes: number; chunks: number }[] = []
    const enc = createEncryptor({
      key,
      datasetId,
      version: 1,
      chunkSize: CS,
      backend,
      onProgress: p => encProgress.push(p),
    })
    const out = await drain(() => enc.encrypt(new Uint8Array(2 * CS + 5)))
    // Encrypting bytes, the total is known.
    expect(encProgress).toEqual([
      { bytes: CS, chunks: 1, total: 2 * CS + 5 },
      { bytes: 2 * CS, chunks: 2, total: 2 * CS + 5 },
      { bytes: 2 * CS + 5, chunks: 3, total: 2 * CS + 5 },
    ])
    const decProgress: { bytes: number; chunks: number }[] = []
    await drain(() =>
      decryptChunks({ key, header: enc.header, chunks: out.pieces, onProgress: p => decProgress.push(p) }),
    )
    // Without an expected size, the decryptor does not know the total.
    expect(decProgress).toEqual(encProgress.map(({ bytes, chunks }) => ({ bytes, chunks })))
  })

  it('runs once, and has a summary only after the last chunk (CONFLICT otherwise)', async () => {
    const key = generateDataKey()
    const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: CS, backend })
    expect(await thrownCode(() => enc.summary())).toBe('CONFLICT')
    const out = await drain(() => enc.encrypt(new Uint8Array(CS * 2)))
    expect(await thrownCode(() => enc.encrypt(new Uint8Array(1)))).toBe('CONFLICT')
    const dec = createDecryptor({ key, header: enc.header, backend })
    expect(await thrownCode(() => dec.summary())).toBe('CONFLICT')
    await drain(() => dec.decrypt(out.pieces))
    expect(dec.summary()).toEqual(enc.summary())
    expect(await thrownCode(() => dec.decrypt(out.pieces))).toBe('CONFLICT')
  })

  it('checks `expected` before releasing the final chunk', async () => {
    const key = generateDataKey()
    const plaintext = pseudoRandom(3 * CS + 10, 4)
    const { header, chunks, summary } = await encryptAll({ key, plaintext, backend })
    const ok = await drain(() => decryptChunks({ key, header, chunks, backend, expected: summary }))
    expect(ok.error).toBeUndefined()
    for (const wrong of [
      { merkleRoot: new Uint8Array(32) },
      { plaintextDigest: sha256(new Uint8Array(1)) },
      { plaintextSize: summary.plaintextSize + 1 },
      { chunkCount: 3 },
    ]) {
      const out = await drain(() => decryptChunks({ key, header, chunks, backend, expected: { ...summary, ...wrong } }))
      expect(codeOf(out.error)).toBe('INTEGRITY')
      expect(out.pieces.length).toBe(3) // the final chunk is withheld
      expect(hex(join(out.pieces))).toBe(hex(plaintext.subarray(0, 3 * CS)))
    }
  })

  it('encryptBytes / decryptBytes are the in-memory shorthands', async () => {
    const key = generateDataKey()
    const plaintext = pseudoRandom(2500, 3)
    const { header, ciphertext, summary } = await encryptBytes({
      key,
      datasetId,
      version: 2,
      plaintext,
      chunkSize: CS,
      backend,
    })
    expect(ciphertext.length).toBe(summary.ciphertextSize)
    expect(hex(await decryptBytes({ key, header, ciphertext, backend }))).toBe(hex(plaintext))
    const bad = ciphertext.slice()
    bad[2000]! ^= 1
    expect(await thrownCode(() => decryptBytes({ key, header, ciphertext: bad, backend }))).toBe('INTEGRITY')
  })

  it('toReadableStream exposes an iterable as a web stream', async () => {
    const key = generateDataKey()
    const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: CS, backend })
    const stream = toReadableStream(enc.encrypt(pseudoRandom(3000, 5)))
    const dec = await drain(() => decryptChunks({ key, header: enc.header, chunks: stream, backend }))
    expect(hex(join(dec.pieces))).toBe(hex(pseudoRandom(3000, 5)))
  })
})

describe.each(BACKENDS)('payload tampering (%s): INTEGRITY, and nothing from a failing chunk', backend => {
  const key = new Uint8Array(32).fill(0x42)
  const plaintext = pseudoRandom(4 * CS + 300, 77) // 5 chunks: 4 full, 1 short final
  let v1: Awaited<ReturnType<typeof encryptAll>>
  const setup = async () => {
    v1 ??= await encryptAll({ key, plaintext, backend })
    return v1
  }

  /** Decrypts and checks: code INTEGRITY, and the released plaintext is exactly the first `released` chunks. */
  async function expectRejected(params: Partial<DecryptChunksParameters>, released: number, chunk?: number) {
    const { header, chunks } = await setup()
    const out = await drain(() => decryptChunks({ key, header, chunks, backend, ...params }))
    expect(codeOf(out.error)).toBe('INTEGRITY')
    expect(out.pieces.length).toBe(released)
    expect(hex(join(out.pieces))).toBe(hex(plaintext.subarray(0, released * CS)))
    if (chunk !== undefined) expect((out.error as { details: { chunk?: number } }).details.chunk).toBe(chunk)
  }

  it('the untouched payload decrypts (control)', async () => {
    const { header, chunks } = await setup()
    const out = await drain(() => decryptChunks({ key, header, chunks, backend }))
    expect(out.error).toBeUndefined()
    expect(chunks.length).toBe(5)
  })

  it('a bit flip anywhere in the header: nothing is released', async () => {
    const { header } = await setup()
    for (let i = 0; i < header.length; i++)
      for (const bit of [0, 7]) {
        const h = header.slice()
        h[i]! ^= 1 << bit
        await expectRejected({ header: h }, 0)
      }
  })

  it('a bit flip anywhere in any chunk fails that chunk', async () => {
    const { chunks } = await setup()
    for (const [i, c] of chunks.entries())
      for (const at of [0, Math.floor(c.length / 2), c.length - 17, c.length - 1]) {
        const tampered = chunks.map(x => x.slice())
        tampered[i]![at]! ^= 0x80
        await expectRejected({ chunks: tampered }, i, i)
      }
  })

  it('truncation: a missing final chunk, a cut final chunk, or no chunks at all', async () => {
    const { chunks } = await setup()
    await expectRejected({ chunks: chunks.slice(0, 4) }, 4, 4) // all authentic, but no final chunk
    await expectRejected({ chunks: chunks.slice(0, 2) }, 2, 2)
    await expectRejected({ chunks: [...chunks.slice(0, 4), chunks[4]!.subarray(0, chunks[4]!.length - 1)] }, 4, 4)
    await expectRejected({ chunks: [...chunks.slice(0, 4), chunks[4]!.subarray(0, 10)] }, 4, 4)
    await expectRejected({ chunks: [] }, 0, 0)
    await expectRejected({ chunks: join(chunks).subarray(0, 3 * (CS + 16) + 5) }, 3, 3)
  })

  it('truncation of a payload whose final chunk is full-size', async () => {
    const full = await encryptAll({ key, plaintext: plaintext.subarray(0, 3 * CS), backend })
    const run = (chunks: Uint8Array[]) => drain(() => decryptChunks({ key, header: full.header, chunks, backend }))
    expect((await run(full.chunks)).error).toBeUndefined()
    const cut = await run(full.chunks.slice(0, 2))
    expect(codeOf(cut.error)).toBe('INTEGRITY')
    expect(cut.pieces.length).toBe(2)
  })

  it('extension: any data after the final chunk', async () => {
    const { chunks } = await setup()
    await expectRejected({ chunks: [...chunks, chunks[0]!] }, 4, 4)
    await expectRejected({ chunks: [...chunks, new Uint8Array(1)] }, 4, 4)
    await expectRejected({ chunks: [...chunks, new Uint8Array(16)] }, 4, 4)
    const full = await encryptAll({ key, plaintext: plaintext.subarray(0, 2 * CS), backend })
    const out = await drain(() =>
      decryptChunks({ key, header: full.header, chunks: [...full.chunks, new Uint8Array(5)], backend }),
    )
    expect(codeOf(out.error)).toBe('INTEGRITY')
    expect(out.pieces.length).toBe(1) // the full-size final chunk fails as a non-final one
  })

  it('reordering, duplication and removal of chunks', async () => {
    const { chunks } = await setup()
    const [c0, c1, c2, c3, c4] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    await expectRejected({ chunks: [c0, c2, c1, c3, c4] }, 1, 1)
    await expectRejected({ chunks: [c1, c0, c2, c3, c4] }, 0, 0)
    await expectRejected({ chunks: [c0, c1, c1, c2, c3, c4] }, 2, 2)
    await expectRejected({ chunks: [c0, c1, c3, c4] }, 2, 2)
    await expectRejected({ chunks: [c0, c1, c2, c4, c3] }, 3, 3)
  })

  it('a chunk or header spliced from another version, dataset or key', async () => {
    const { header, chunks } = await setup()
    const otherVersion = await encryptAll({ key, plaintext, version: 2, backend })
    const otherData = await encryptAll({ key, plaintext, datasetId: otherDataset, backend })
    const otherKey = await encryptAll({ key: generateDataKey(), plaintext, backend })
    for (const other of [otherVersion, otherData, otherKey]) {
      const spliced = [...chunks]
      spliced[2] = other.chunks[2]!
      await expectRejected({ chunks: spliced }, 2, 2)
      await expectRejected({ header: other.header }, 0, 0) // foreign header, our chunks
      await expectRejected({ header, chunks: other.chunks }, 0, 0) // our header, foreign chunks
    }
    // Same key, same plaintext, re-encrypted with a fresh salt: chunks still do not mix.
    const again = await encryptAll({ key, plaintext, backend })
    await expectRejected({ chunks: [chunks[0]!, again.chunks[1]!, ...chunks.slice(2)] }, 1, 1)
  })

  it('a wrong key: nothing is released', async () => {
    await expectRejected({ key: generateDataKey() }, 0, 0)
  })

  it('a non-final chunk of the wrong size', async () => {
    const { chunks } = await setup()
    const shorter = [...chunks]
    shorter[1] = chunks[1]!.subarray(0, CS + 15)
    await expectRejected({ chunks: shorter }, 1, 1)
    const longer = [...chunks]
    longer[1] = Uint8Array.of(...chunks[1]!, 0)
    await expectRejected({ chunks: longer }, 2, 2)
  })

  it('an empty final chunk after full chunks (never produced by encryption)', async () => {
    const { chunks } = await setup()
    await expectRejected({ chunks: [...chunks.slice(0, 4), new Uint8Array(16)] }, 4, 4)
  })
})
