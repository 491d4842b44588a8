/**
 * A helper thread for decrypting one large payload: it opens ChaCha20-Poly1305 chunks out of a shared ring, writes
 * their plaintext into the caller's result (its memory moved to the worker for the job) and keeps the SHA-256 of
 * that plaintext, while the calling thread reads the store, frames the ciphertext into the ring and builds the
 * Merkle tree. It knows nothing of the payload format: the caller gives every chunk's nonce and the associated data,
 * and checks everything the worker reports against the ledger.
 *
 * The worker runs from source text with node:crypto alone, so it starts the same from the ESM and CJS builds and
 * from the TypeScript sources. One worker serves the process, one payload at a time; it holds no reference on the
 * event loop while idle.
 */
import type { Worker as NodeWorker } from 'node:worker_threads'
import { nodeCrypto } from './native.js'

/**
 * Messages in (all for the current job):
 *   { op: 'open', job, ring: SharedArrayBuffer, key: Uint8Array(32), aad: Uint8Array, out: ArrayBuffer }
 *   { op: 'chunks', job, offsets: number[], lengths: number[], nonces: Uint8Array(12 * n) }
 *   { op: 'finish', job } and { op: 'drop', job }
 *   { op: 'hold', flag: Int32Array } (tests): the worker waits until flag[0] is no longer 0
 * Replies: one per 'chunks' ({ job, failed, beyond }: failed is -1, or the position of the first chunk that did not
 * open, beyond whether it would have gone past the plaintext size) and one per
 * 'finish' ({ job, digest, size, buffer }, the buffer transferred back).
 * Once its handler is in place the worker says { ready: true }.
 */
const SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { createDecipheriv, createHash, createSecretKey } = require('node:crypto')
const TAG = 16
const OPTIONS = { authTagLength: TAG }
let job = null
function chunks(m) {
  if (job.failed) return { failed: 0, beyond: false }
  for (let i = 0; i < m.lengths.length; i++) {
    const at = m.offsets[i]
    const n = m.lengths[i] - TAG
    if (n < 0 || job.at + n > job.out.length) return fail(i, true)
    const d = createDecipheriv('chacha20-poly1305', job.key, m.nonces.subarray(12 * i, 12 * i + 12), OPTIONS)
    d.setAAD(job.aad, { plaintextLength: n })
    d.setAuthTag(job.ring.subarray(at + n, at + n + TAG))
    const plaintext = d.update(job.ring.subarray(at, at + n))
    try {
      d.final()
    } catch {
      plaintext.fill(0)
      return fail(i, false)
    }
    job.out.set(plaintext, job.at)
    job.hash.update(plaintext)
    plaintext.fill(0)
    job.at += n
  }
  return { failed: -1, beyond: false }
}
function fail(i, beyond) {
  job.failed = true
  return { failed: i, beyond }
}
parentPort.on('message', m => {
  if (m.op === 'hold') {
    Atomics.wait(m.flag, 0, 0)
    return
  }
  if (m.op === 'open') {
    job = { id: m.job, ring: new Uint8Array(m.ring), key: createSecretKey(m.key), aad: m.aad, out: new Uint8Array(m.out), at: 0, hash: createHash('sha256'), failed: false }
    m.key.fill(0)
    return
  }
  if (job === null || job.id !== m.job) return
  if (m.op === 'chunks') parentPort.postMessage({ job: m.job, ...chunks(m) })
  else if (m.op === 'finish') {
    const { out, at, hash } = job
    job = null
    parentPort.postMessage({ job: m.job, digest: hash.digest(), size: at, buffer: out.buffer }, [out.buffer])
  } else if (m.op === 'drop') {
    job.out.fill(0)
    job = null
  }
})
parentPort.postMessage({ ready: true })
`

/** The worker went away (crashed, was terminated, ran out of memory) with a job open. */
export class WorkerLost extends Error {}

/** What the worker reports when a job finishes: the plaintext, its size and its SHA-256. */
export interface WorkerResult {
  bytes: Uint8Array
  size: number
  digest: Uint8Array
}

/** The worker's answer to {@link DecryptJob.chunks}. */
export interface ChunksReply {
  failed: number
  beyond: boolean
}

/** One payload's job on the worker. Replies arrive in the order the requests were sent. */
export interface DecryptJob {
  /** The ring the caller writes sealed chunks into: this job's alone until it finishes or is dropped. */
  readonly ring: SharedArrayBuffer
  /**
   * Opens chunks already written to the ring, appending their plaintext to the result.
   *
   * @param offsets - Where each sealed chunk starts in the ring.
   * @param lengths - Each sealed chunk's length, tag included.
   * @param nonces - The chunks' nonces, 12 bytes each.
   * @returns `failed` -1 when all opened, else the position (in this call's lists) of the first that did not, with
   *   `beyond` true when its plaintext would have passed the size the job was opened with.
   */
  chunks(offsets: number[], lengths: number[], nonces: Uint8Array): Promise<ChunksReply>
  /** Ends the job and hands over the plaintext. */
  finish(): Promise<WorkerResult>
  /** Ends the job, wiping what the worker holds; replies still on their way are dropped. Safe to call twice. */
  drop(): void
}

interface Pending {
  resolve: (reply: Record<string, unknown>) => void
  reject: (e: Error) => void
}

let worker: NodeWorker | undefined
let busy = false
let unavailable = false
let nextJob = 1
/** The job whose replies are awaited; 0 when none (replies to a dropped job then land on nobody). */
let current = 0
const pending: Pending[] = []

function loseWorker(w: NodeWorker) {
  if (worker !== w) return
  worker = undefined
  for (const p of pending.splice(0)) p.reject(new WorkerLost('the decrypt worker stopped'))
}

function startWorker(): NodeWorker | undefined {
  if (worker !== undefined) return worker
  if (unavailable) return undefined
  const threads = globalThis.process?.getBuiltinModule?.('node:worker_threads') as
    | typeof import('node:worker_threads')
    | undefined
  if (threads === undefined || nodeCrypto() === undefined) return undefined
  let w: NodeWorker
  try {
    // No inherited flags: --input-type=module or a loader given to the main thread would change how the source runs.
    w = new threads.Worker(SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false })
  } catch {
    return undefined
  }
  let ready = false
  w.on('message', (reply: Record<string, unknown>) => {
    if (reply.ready === true) ready = true
    else if (reply.job === current) pending.shift()?.resolve(reply)
  })
  w.on('error', () => {
    // A worker that fails before it is ready cannot run here (no eval, a locked-down runtime): stop trying. One
    // that fails later (out of memory) is started afresh next time.
    if (!ready) unavailable = true
    loseWorker(w)
  })
  w.on('exit', () => loseWorker(w))
  w.unref()
  worker = w
  return w
}

/** The ring of the last job, kept for the next one of the same size (warm memory, no new allocation). */
let spareRing: SharedArrayBuffer | undefined

/**
 * Starts a job on the process's decrypt worker.
 *
 * @param ringBytes - Size of the shared ring the caller writes sealed chunks into.
 * @param key - The ChaCha20-Poly1305 key (copied to the worker; the caller wipes its own).
 * @param aad - The associated data of every chunk (copied to the worker).
 * @param result - Where the plaintext goes, exactly its size: the worker refuses chunks beyond it. Its memory moves
 *   to the worker (the caller's view is empty afterwards) and comes back with {@link DecryptJob.finish}; it is left
 *   as it was when the job does not start.
 * @returns The job, or undefined when no worker can run here or the worker is busy with another payload.
 */
export function startDecryptJob(
  ringBytes: number,
  key: Uint8Array,
  aad: Uint8Array,
  result: Uint8Array,
): DecryptJob | undefined {
  if (busy) return undefined
  const w = startWorker()
  if (w === undefined) return undefined
  busy = true
  const ring = spareRing?.byteLength === ringBytes ? spareRing : new SharedArrayBuffer(ringBytes)
  spareRing = undefined
  // Held while the job runs, so a process waiting on nothing but the worker's reply does not exit.
  w.ref()
  const job = nextJob++
  current = job
  let open = true
  const end = () => {
    if (!open) return
    open = false
    busy = false
    spareRing = ring
    current = 0
    if (worker === w) w.unref()
  }
  const ask = (message: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (!open || worker !== w) return reject(new WorkerLost('the decrypt worker stopped'))
      pending.push({ resolve, reject })
      w.postMessage(message)
    })
  const keyCopy = key.slice()
  const out = result.buffer as ArrayBuffer
  try {
    w.postMessage({ op: 'open', job, ring, key: keyCopy, aad, out }, [keyCopy.buffer, out])
  } catch {
    // Not sent (nothing was moved): no job, and the worker is free and unreferenced again.
    keyCopy.fill(0)
    end()
    return undefined
  }
  return {
    ring,
    async chunks(offsets, lengths, nonces) {
      const reply = await ask({ op: 'chunks', job, offsets, lengths, nonces })
      return { failed: reply.failed as number, beyond: reply.beyond as boolean }
    },
    async finish() {
      try {
        const reply = await ask({ op: 'finish', job })
        return {
          bytes: new Uint8Array(reply.buffer as ArrayBuffer),
          size: reply.size as number,
          digest: new Uint8Array(reply.digest as Uint8Array),
        }
      } finally {
        end()
      }
    },
    drop() {
      if (!open) return
      if (worker === w) {
        w.postMessage({ op: 'drop', job })
        // Replies to requests already sent still come; with no current job they land on nobody.
        for (const p of pending.splice(0)) p.reject(new WorkerLost('the job was dropped'))
      }
      end()
    },
  }
}

/**
 * Internal (tests): whether a job holds the worker, whether the worker runs, and how many jobs it was given.
 *
 * @returns The state.
 */
export const decryptWorkerState = (): { busy: boolean; running: boolean; jobs: number } => ({
  busy,
  running: worker !== undefined,
  jobs: nextJob - 1,
})

/**
 * Internal (tests): stops the worker as a crash would; a job it held fails with {@link WorkerLost}.
 *
 * @returns When the thread has exited.
 */
export async function stopDecryptWorker(): Promise<void> {
  const w = worker
  if (w === undefined) return
  loseWorker(w)
  await w.terminate()
}

/**
 * Internal (tests): makes the worker wait before its next message until `release` is called, so a test can see what
 * the calling thread does while the helper is slow, without depending on timing.
 *
 * @returns The release, or undefined when no worker can run here.
 */
export function holdDecryptWorker(): (() => void) | undefined {
  const w = startWorker()
  if (w === undefined) return undefined
  const flag = new Int32Array(new SharedArrayBuffer(4))
  w.postMessage({ op: 'hold', flag })
  return () => {
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
  }
}
