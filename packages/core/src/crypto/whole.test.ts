import { spawnSync } from 'node:child_process'
import { dirname, join as join2 } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { equalBytes } from '../internal/bytes.js'
import { decryptWorkerState, holdDecryptWorker, startDecryptJob, stopDecryptWorker } from './decryptWorker.js'
import { createEncryptor, decryptChunks, generateDataKey } from './stream.js'
import { codeOf, drain, join, pseudoRandom, splitAt } from './testHelpers.js'
import { decryptWhole, setParallelThreshold, type WholePayload } from './whole.js'

const CS = 1024

async function payload(size: number, chunkSize = CS, seed = 1) {
  const key = generateDataKey()
  const plaintext = pseudoRandom(size, seed)
  const enc = createEncryptor({ key, datasetId: new Uint8Array(32).fill(3), version: 1, chunkSize })
  const chunks: Uint8Array[] = []
  for await (const c of enc.encrypt(plaintext)) chunks.push(c)
  const s = enc.summary()
  const expected: WholePayload = {
    plaintextDigest: s.plaintextDigest,
    merkleRoot: s.merkleRoot,
    plaintextSize: s.plaintextSize,
    chunkCount: s.chunkCount,
  }
  return { key, header: enc.header, chunks, plaintext, expected }
}

type Payload = Awaited<ReturnType<typeof payload>>

/** Byte equality without an element-by-element diff (which takes seconds on megabytes). */
function expectSame(got: Uint8Array | undefined, want: Uint8Array) {
  expect(got).toBeInstanceOf(Uint8Array)
  expect(got!.length).toBe(want.length)
  expect(equalBytes(got!, want)).toBe(true)
}

/** The outcome of decrypting on this thread alone and on two threads: bytes or the error's code and message. */
async function bothWays(p: Payload, chunks: Uint8Array[], expected: WholePayload = p.expected) {
  const run = async (threshold: number) => {
    setParallelThreshold(threshold)
    const progress: number[] = []
    try {
      const bytes = await decryptWhole({
        key: p.key,
        header: p.header,
        expected,
        read: () => chunks,
        onProgress: q => progress.push(q.chunks),
      })
      return { bytes, progress }
    } catch (e) {
      return { error: `${codeOf(e)}: ${(e as Error).message}`, progress }
    }
  }
  const one = await run(Number.POSITIVE_INFINITY)
  const jobs = decryptWorkerState().jobs
  const two = await run(0)
  // The second run really went to the worker.
  expect(decryptWorkerState().jobs).toBe(jobs + 1)
  return { one, two }
}

beforeAll(() => {
  setParallelThreshold(0)
})
afterAll(() => {
  setParallelThreshold(4 * 1024 * 1024)
})

describe('decryptWhole', () => {
  it('gives the same plaintext and progress on two threads as on one, for any size and piece boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 * CS }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (size, cuts) => {
          const p = await payload(size, CS, size)
          const pieces = splitAt(
            join(p.chunks),
            cuts.map(c => c % (size + 16 * 41)),
          )
          const { one, two } = await bothWays(p, pieces)
          expect(two.error).toBeUndefined()
          expectSame(two.bytes, p.plaintext)
          expect(two.progress).toEqual(one.progress)
          expect(two.progress.at(-1)).toBe(p.expected.chunkCount)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('decrypts many groups through the ring, chunk sizes from the smallest to 1 MiB', async () => {
    // The ring holds at most 16 groups of about 1 MiB: the two larger payloads go round it more than once.
    for (const [size, chunkSize] of [
      [600 * CS, CS],
      [20 * 1024 * CS + 5, 64 * CS],
      [20 * 1024 * CS, 1024 * CS],
    ] as const) {
      const p = await payload(size, chunkSize, 7)
      const { two } = await bothWays(p, p.chunks)
      expectSame(two.bytes, p.plaintext)
    }
  })

  it('writes a ring slot again only once the helper has answered for the chunk in it', async () => {
    // 320 chunks of 64 KiB: the ring holds 16 groups of 15 chunks, 240 slots.
    const p = await payload(20 * 1024 * CS, 64 * CS, 5)
    const release = holdDecryptWorker()!
    let pulled = 0
    const read = async function* () {
      for (const c of p.chunks) {
        pulled++
        yield c
      }
    }
    const done = decryptWhole({ key: p.key, header: p.header, expected: p.expected, read })
    done.catch(() => undefined)
    try {
      // With the helper held, this thread goes as far as it can: every turn of the event loop is given to it.
      for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve))
      expect(pulled).toBe(241) // the ring full, and the next chunk waiting for its slot
    } finally {
      release()
    }
    expectSame(await done, p.plaintext)
  })

  it('refuses every altered payload with the same INTEGRITY error as the one-thread decryptor', async () => {
    const p = await payload(20 * CS + 100)
    const flipped = p.chunks.map(c => c.slice())
    flipped[7]![3]! ^= 1
    const cases: [string, Uint8Array[], WholePayload?][] = [
      ['bit flip', flipped],
      ['truncated at a chunk boundary', p.chunks.slice(0, -1)],
      ['truncated inside the final chunk', [...p.chunks.slice(0, -1), p.chunks.at(-1)!.subarray(0, 40)]],
      ['final chunk shorter than a tag', [...p.chunks.slice(0, -1), p.chunks.at(-1)!.subarray(0, 10)]],
      ['empty', []],
      ['reordered', [p.chunks[1]!, p.chunks[0]!, ...p.chunks.slice(2)]],
      ['extended', [...p.chunks, p.chunks[0]!]],
      ['chunk dropped', [p.chunks[0]!, ...p.chunks.slice(2)]],
      ['wrong digest', p.chunks, { ...p.expected, plaintextDigest: new Uint8Array(32) }],
      ['wrong root', p.chunks, { ...p.expected, merkleRoot: new Uint8Array(32) }],
      ['smaller size on the ledger', p.chunks, { ...p.expected, plaintextSize: p.expected.plaintextSize - 1 }],
      ['larger size on the ledger', p.chunks, { ...p.expected, plaintextSize: p.expected.plaintextSize + 1 }],
      ['more chunks on the ledger', p.chunks, { ...p.expected, chunkCount: p.expected.chunkCount + 1 }],
      ['fewer chunks on the ledger', p.chunks, { ...p.expected, chunkCount: p.expected.chunkCount - 1 }],
    ]
    for (const [name, chunks, expected] of cases) {
      const { one, two } = await bothWays(p, chunks, expected)
      expect(one.error, name).toMatch(/^INTEGRITY: /)
      expect(two.error, name).toMatch(/^INTEGRITY: /)
      // Nothing past the last verified chunk is reported, and never the final one.
      expect(two.progress.length, name).toBeLessThan(p.expected.chunkCount)
    }
    // Where both read the same chunks the same way, they say the same thing.
    for (const name of [
      'bit flip',
      'reordered',
      'chunk dropped',
      'wrong digest',
      'wrong root',
      'truncated at a chunk boundary',
    ]) {
      const [, chunks, expected] = cases.find(c => c[0] === name)!
      const { one, two } = await bothWays(p, chunks, expected)
      expect(two.error, name).toBe(one.error)
    }
  })

  it('refuses a size no buffer here can hold before it reads anything: INVALID_INPUT, and the helper stays usable', async () => {
    // A dishonest provider can announce any size up to 2^53 - 1 for a payload in an external store.
    const p = await payload(8 * CS)
    for (const threshold of [0, Number.POSITIVE_INFINITY]) {
      setParallelThreshold(threshold)
      let reads = 0
      const error = await decryptWhole({
        key: p.key,
        header: p.header,
        expected: { ...p.expected, plaintextSize: Number.MAX_SAFE_INTEGER },
        read: () => {
          reads++
          return p.chunks
        },
      }).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('INVALID_INPUT')
      expect((error as Error).message).toMatch(/data\.stream/)
      expect(reads).toBe(0)
    }
    setParallelThreshold(0)
    const { two } = await bothWays(p, p.chunks)
    expectSame(two.bytes, p.plaintext)
  })

  it('a job that cannot be sent to the helper does not start, and leaves the helper free', async () => {
    // A result the worker cannot take over (shared memory is not transferable): postMessage throws.
    const unsendable = new Uint8Array(new SharedArrayBuffer(64))
    expect(startDecryptJob(1024, new Uint8Array(32), new Uint8Array(8), unsendable)).toBeUndefined()
    expect(decryptWorkerState().busy).toBe(false)
    const p = await payload(8 * CS)
    const { two } = await bothWays(p, p.chunks)
    expectSame(two.bytes, p.plaintext)
  })

  it('passes on what reading the ciphertext throws, and frees the worker for the next payload', async () => {
    const p = await payload(30 * CS)
    const boom = new Error('store down')
    const read = async function* () {
      yield p.chunks[0]!
      throw boom
    }
    await expect(decryptWhole({ key: p.key, header: p.header, expected: p.expected, read })).rejects.toBe(boom)
    expect(decryptWorkerState().busy).toBe(false)
    const bytes = await decryptWhole({ key: p.key, header: p.header, expected: p.expected, read: () => p.chunks })
    expectSame(bytes, p.plaintext)
  })

  it('decrypts payloads at the same time: one on the worker, the others on this thread', async () => {
    const ps = await Promise.all([1, 2, 3].map(i => payload(50 * CS + i, CS, i)))
    let concurrent = false
    const results = await Promise.all(
      ps.map(p =>
        decryptWhole({
          key: p.key,
          header: p.header,
          expected: p.expected,
          read: async function* () {
            for (const c of p.chunks) {
              concurrent ||= decryptWorkerState().busy
              yield c
            }
          },
        }),
      ),
    )
    expect(concurrent).toBe(true)
    for (const [i, p] of ps.entries()) expectSame(results[i], p.plaintext)
  })

  it('reads the payload again on this thread when the worker dies midway', async () => {
    const p = await payload(100 * CS)
    let reads = 0
    const read = async function* () {
      reads++
      for (const [i, c] of p.chunks.entries()) {
        if (reads === 1 && i === 10) await stopDecryptWorker()
        yield c
      }
    }
    const bytes = await decryptWhole({ key: p.key, header: p.header, expected: p.expected, read })
    expect(reads).toBe(2)
    expectSame(bytes, p.plaintext)
    expect(decryptWorkerState()).toMatchObject({ busy: false, running: false })
    // The next payload starts a new worker.
    const again = await decryptWhole({ key: p.key, header: p.header, expected: p.expected, read: () => p.chunks })
    expectSame(again, p.plaintext)
    expect(decryptWorkerState().running).toBe(true)
  })

  it('keeps no process alive: a script that decrypts on the worker and ends, exits', async () => {
    const here = dirname(fileURLToPath(import.meta.url))
    const script = `
      import { createEncryptor, generateDataKey } from ${JSON.stringify(join2(here, 'stream.ts'))}
      import { decryptWhole, setParallelThreshold } from ${JSON.stringify(join2(here, 'whole.ts'))}
      import { decryptWorkerState } from ${JSON.stringify(join2(here, 'decryptWorker.ts'))}
      setParallelThreshold(0)
      const key = generateDataKey()
      const enc = createEncryptor({ key, datasetId: new Uint8Array(32), version: 1, chunkSize: 1024 })
      const chunks = []
      for await (const c of enc.encrypt(new Uint8Array(50000).fill(9))) chunks.push(c)
      const bytes = await decryptWhole({ key, header: enc.header, expected: enc.summary(), read: () => chunks })
      const { jobs, running } = decryptWorkerState()
      console.log(bytes.length, bytes[49999], jobs, running)
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: here,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    // The worker did the job and still runs, unreferenced, when the script ends.
    expect(child.stdout.trim()).toBe('50000 9 1 true')
  }, 90_000)

  it('matches decryptChunks on the pieces it releases', async () => {
    const p = await payload(9 * CS)
    const { pieces } = await drain(() => decryptChunks({ key: p.key, header: p.header, chunks: p.chunks }))
    const { two } = await bothWays(p, p.chunks)
    expectSame(two.bytes, join(pieces))
  })
})
