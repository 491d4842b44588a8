/**
 * Child process of the `stream 1GiB peak rss` bench row: encrypts 1 GiB from a generated stream (1 MiB pieces,
 * chunks discarded) and prints, as the last stdout line, the extra resident memory it needed. Runs alone because
 * `process.resourceUsage().maxRSS` is a peak over the whole process lifetime.
 */
import crypto from 'node:crypto'
import { createEncryptor, generateDataKey } from '../packages/core/src/crypto/index.js'

const MiB = 1024 * 1024
const TOTAL = 1024 * MiB
const pieces = Array.from({ length: 4 }, () => new Uint8Array(crypto.randomBytes(MiB)))

async function* generated(bytes: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes / MiB; i++) yield pieces[i % pieces.length]!
}

async function encrypt(bytes: number, onChunk: (n: number) => void): Promise<void> {
  const enc = createEncryptor({ key: generateDataKey(), datasetId: new Uint8Array(32), version: 1 })
  let n = 0
  for await (const _chunk of enc.encrypt(generated(bytes))) onChunk(++n)
  enc.summary()
}

// Warm up (JIT, first buffers), then take the starting point.
await encrypt(16 * MiB, () => undefined)
const before = process.memoryUsage.rss()
const maxStart = process.resourceUsage().maxRSS * 1024
let peak = before
const t0 = performance.now()
await encrypt(TOTAL, n => {
  if (n % 8 === 0) peak = Math.max(peak, process.memoryUsage.rss())
})
const seconds = (performance.now() - t0) / 1000
const maxEnd = process.resourceUsage().maxRSS * 1024
// maxRSS counts only if the stream raised the lifetime peak; otherwise the sampled peak is the measure.
const top = Math.max(peak, maxEnd > maxStart ? maxEnd : 0)
const report = {
  extraMiB: (top - before) / MiB,
  beforeMiB: before / MiB,
  sampledPeakMiB: peak / MiB,
  maxRssMiB: maxEnd / MiB,
  seconds,
}
console.log(JSON.stringify(report))
