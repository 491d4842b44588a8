/**
 * Crypto benchmarks: streaming payload encryption and decryption (native and portable), HPKE key wrapping, and the
 * peak memory of a 1 GiB stream. Each row compares the library with a plain loop doing the same work directly on
 * the underlying primitives, so the ratio shows what the library's framing costs.
 */
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  createEncryptor,
  decryptChunks,
  generateDataKey,
  generateEnvelopeKeyPair,
  wrapKeys,
} from '../packages/core/src/crypto/index.js'
import { bestOf, throughputRow } from './timing.js'
import type { BenchContext, BenchRow } from './types.js'

interface NobleHash {
  update(data: Uint8Array): NobleHash
  digest(): Uint8Array
}
interface NobleChacha {
  chacha20poly1305(key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array): { encrypt(plaintext: Uint8Array): Uint8Array }
}
interface NobleSha2 {
  sha256: { create(): NobleHash }
}

const MiB = 1024 * 1024
const TOTAL = 64 * MiB
const PIECE = MiB
const CHUNK = 64 * 1024

/** Loads a dependency of @datapact/core (the bench has no dependencies of its own). */
async function fromCore<T>(ctx: BenchContext, specifier: string): Promise<T> {
  const require = createRequire(join(ctx.root, 'packages/core/package.json'))
  return (await import(pathToFileURL(require.resolve(specifier)).href)) as T
}

/** 64 MiB as 1 MiB pieces, cycling over four pre-generated random pieces (generation is not timed). */
function makePieces(): Uint8Array[] {
  const distinct = Array.from({ length: 4 }, () => new Uint8Array(crypto.randomBytes(PIECE)))
  return Array.from({ length: TOTAL / PIECE }, (_, i) => distinct[i % distinct.length]!)
}

async function* stream(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of pieces) yield p
}

const mibPerSecond = (bytes: number, ms: number) => bytes / MiB / (ms / 1000)

function nonceFor(prefix: Uint8Array, i: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12)
  n.set(prefix, 0)
  new DataView(n.buffer).setUint32(7, i, false)
  n[11] = last ? 1 : 0
  return n
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const pieces = makePieces()
  const key = generateDataKey()
  const datasetId = new Uint8Array(32).fill(1)
  const aad = new Uint8Array(78).fill(2)
  const prefix = new Uint8Array(7).fill(3)
  const chunkCount = TOTAL / CHUNK

  // --- native encrypt -------------------------------------------------------------------------------------------
  ctx.log('encrypt 64MiB (native)')
  const encryptOnce = async (backend: 'native' | 'portable') => {
    const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: CHUNK, backend })
    for await (const _chunk of enc.encrypt(stream(pieces))) {
      // the consumer discards the chunks
    }
    return enc.summary()
  }
  const keyObject = crypto.createSecretKey(key)
  const nativeBaselineEncrypt = () => {
    const digest = crypto.createHash('sha256')
    let i = 0
    for (const piece of pieces) {
      digest.update(piece)
      for (let o = 0; o < piece.length; o += CHUNK, i++) {
        const c = crypto.createCipheriv('chacha20-poly1305', keyObject, nonceFor(prefix, i, i === chunkCount - 1), {
          authTagLength: 16,
        })
        c.setAAD(aad, { plaintextLength: CHUNK })
        const ct = c.update(piece.subarray(o, o + CHUNK))
        c.final()
        const tag = c.getAuthTag()
        crypto.createHash('sha256').update(ct).update(tag).digest()
      }
    }
    digest.digest()
  }
  const [encMs, encBaseMs] = (await bestOf(10, () => encryptOnce('native'), nativeBaselineEncrypt)) as [number, number]
  const encValue = mibPerSecond(TOTAL, encMs)
  const encBase = mibPerSecond(TOTAL, encBaseMs)
  rows.push(
    throughputRow(
      'encrypt 64MiB',
      encValue,
      'MiB/s',
      encBase,
      'streaming encrypt + digest + Merkle root, 64 KiB chunks, 1 MiB input pieces; baseline: node:crypto loop (chacha20-poly1305 + SHA-256 per ciphertext chunk + SHA-256 of plaintext); ratio = value/baseline, target >= 0.8',
    ),
  )

  // --- native decrypt -------------------------------------------------------------------------------------------
  ctx.log('decrypt 64MiB (native)')
  const enc = createEncryptor({ key, datasetId, version: 1, chunkSize: CHUNK })
  const chunks: Uint8Array[] = []
  for await (const c of enc.encrypt(stream(pieces))) chunks.push(c)
  const header = enc.header
  const decryptOnce = async (backend: 'native' | 'portable') => {
    for await (const _piece of decryptChunks({ key, header, chunks, backend })) {
      // the consumer discards the plaintext
    }
  }
  // The baseline opens chunks it sealed itself (same sizes, its own key, nonces and aad), so every tag verifies.
  const baselineChunks = chunks.map((chunk, i) => {
    const n = chunk.length - 16
    const c = crypto.createCipheriv('chacha20-poly1305', keyObject, nonceFor(prefix, i, i === chunks.length - 1), {
      authTagLength: 16,
    })
    c.setAAD(aad, { plaintextLength: n })
    const ct = c.update(chunk.subarray(0, n))
    c.final()
    return new Uint8Array(Buffer.concat([ct, c.getAuthTag()]))
  })
  const nativeBaselineDecrypt = () => {
    const digest = crypto.createHash('sha256')
    const leafPrefix = new Uint8Array(1)
    baselineChunks.forEach((chunk, i) => {
      crypto.createHash('sha256').update(leafPrefix).update(chunk).digest()
      const n = chunk.length - 16
      const d = crypto.createDecipheriv('chacha20-poly1305', keyObject, nonceFor(prefix, i, i === chunks.length - 1), {
        authTagLength: 16,
      })
      d.setAAD(aad, { plaintextLength: n })
      d.setAuthTag(chunk.subarray(n))
      const pt = d.update(chunk.subarray(0, n))
      d.final()
      digest.update(pt)
    })
    digest.digest()
  }
  const [decMs, decBaseMs] = (await bestOf(10, () => decryptOnce('native'), nativeBaselineDecrypt)) as [number, number]
  const decValue = mibPerSecond(TOTAL, decMs)
  const decBase = mibPerSecond(TOTAL, decBaseMs)
  rows.push(
    throughputRow(
      'decrypt 64MiB',
      decValue,
      'MiB/s',
      decBase,
      'verify + decrypt + digest + Merkle root; baseline: node:crypto loop (leaf SHA-256 + chacha20-poly1305 open + SHA-256 of plaintext); ratio = value/baseline, target >= 0.8',
    ),
  )

  // --- portable encrypt -----------------------------------------------------------------------------------------
  ctx.log('encrypt 64MiB (portable)')
  const { chacha20poly1305 } = await fromCore<NobleChacha>(ctx, '@noble/ciphers/chacha.js')
  const { sha256 } = await fromCore<NobleSha2>(ctx, '@noble/hashes/sha2.js')
  const nobleCipherOnly = () => {
    let i = 0
    for (const piece of pieces)
      for (let o = 0; o < piece.length; o += CHUNK, i++)
        chacha20poly1305(key, nonceFor(prefix, i, i === chunkCount - 1), aad).encrypt(piece.subarray(o, o + CHUNK))
  }
  const nobleSameWork = () => {
    const digest = sha256.create()
    const leafPrefix = new Uint8Array(1)
    let i = 0
    for (const piece of pieces) {
      digest.update(piece)
      for (let o = 0; o < piece.length; o += CHUNK, i++) {
        const sealed = chacha20poly1305(key, nonceFor(prefix, i, i === chunkCount - 1), aad).encrypt(
          piece.subarray(o, o + CHUNK),
        )
        sha256.create().update(leafPrefix).update(sealed).digest()
      }
    }
    digest.digest()
  }
  const [portMs, cipherOnlyMs, sameWorkMs] = (await bestOf(
    3,
    () => encryptOnce('portable'),
    nobleCipherOnly,
    nobleSameWork,
  )) as [number, number, number]
  const portValue = mibPerSecond(TOTAL, portMs)
  const cipherOnly = mibPerSecond(TOTAL, cipherOnlyMs)
  const sameWork = mibPerSecond(TOTAL, sameWorkMs)
  rows.push(
    throughputRow(
      'encrypt 64MiB portable',
      portValue,
      'MiB/s',
      cipherOnly,
      `pure-JS path (cipher + two SHA-256 passes in @noble); baseline: raw @noble chacha20poly1305 over the same chunks, no hashing; ratio = value/baseline, target >= 0.8 (bounded by the two pure-JS SHA-256 passes the baseline does not do; see the next row)`,
    ),
  )
  rows.push(
    throughputRow(
      'encrypt 64MiB portable (same-work baseline)',
      portValue,
      'MiB/s',
      sameWork,
      'same value; baseline: raw @noble loop doing the same work (chacha20poly1305 + SHA-256 per ciphertext chunk + SHA-256 of plaintext); ratio = value/baseline',
    ),
  )

  // --- HPKE wrap ------------------------------------------------------------------------------------------------
  ctx.log('hpke wrap')
  const recipients = Array.from({ length: 2000 }, (_, i) => ({
    recipientId: `member-${i}`,
    publicKey: generateEnvelopeKeyPair().publicKey,
  }))
  // Warm-up over every recipient: a dataset's members get a wrap on every publish and grant, and the native wrap
  // keeps their public keys imported (as the bound below uses a ready key object), so the timed wraps are the
  // steady state of a consortium whose members are known. A first wrap to a new member also imports its key.
  await wrapKeys({ dataKey: key, datasetId, version: 1, recipients })
  // Bound: the two X25519 operations a base-mode seal cannot avoid, done the way the native wrap does them: a fresh
  // ephemeral key pair (node:crypto generateKeyPairSync) and its agreement with the recipient's ready key object.
  const recipientKeyObject = crypto.generateKeyPairSync('x25519').publicKey
  const seals = 2000
  const twoX25519 = () => {
    for (let i = 0; i < seals; i++) {
      const e = crypto.generateKeyPairSync('x25519')
      crypto.diffieHellman({ privateKey: e.privateKey, publicKey: recipientKeyObject })
    }
  }
  const wrapAll = () => wrapKeys({ dataKey: key, datasetId, version: 1, recipients })
  const [wrapMs, boundMs] = (await bestOf(7, wrapAll, twoX25519)) as [number, number]
  const wrapValue = recipients.length / (wrapMs / 1000)
  const boundValue = seals / (boundMs / 1000)
  rows.push(
    throughputRow(
      'hpke wrap',
      wrapValue,
      'ops/s',
      boundValue,
      'wrapKeys over 2,000 distinct recipients, known from a previous wrap (HPKE base seal of a 32-byte key); baseline: the bound of 2 X25519 ops per seal (node:crypto ephemeral key pair + agreement with a ready recipient key object, as the wrap does them), interleaved with the wraps; ratio = value/baseline, target >= 0.6',
    ),
  )

  // --- peak RSS of a 1 GiB stream (in a child process: maxRSS is a process-lifetime peak) ---------------------------
  ctx.log('stream 1GiB peak rss (child process)')
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(ctx.root, 'bench/rss-child.ts')], {
    cwd: ctx.root,
    encoding: 'utf8',
  })
  if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`)
  const report = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { extraMiB: number; seconds: number }
  rows.push({
    name: 'stream 1GiB peak rss',
    value: report.extraMiB,
    unit: 'MiB',
    baseline: 64,
    ratio: 64 / report.extraMiB,
    note: `extra resident memory (peak minus before) while encrypting 1 GiB from a generated stream in ${report.seconds.toFixed(1)} s; lower is better, ratio = baseline/value; target: value <= 64`,
  })
  return rows
}
