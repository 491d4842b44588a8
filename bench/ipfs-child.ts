/**
 * Child process of the `register+fetch 1GiB` bench rows: on a memory ledger, a provider registers 1 GiB from a
 * generated stream into a payload store and a consumer streams it back (verified, metered, decrypted, digest
 * checked), through the IPFS store (argv[2] = `ipfs`: provider on one Kubo node, consumer on another, so the
 * bytes cross the swarm) or the file-system store (`fs`). Prints, as the last stdout line, the seconds and the
 * extra resident memory of this process (the Kubo daemons are separate processes and not counted).
 */
import crypto from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryHarness } from '../packages/adapter-memory/src/index.js'
import { Datapact, FileSystemPayloadStore, generateMemberKeys, type PayloadStore } from '../packages/core/src/index.js'
import { TERMS } from '../packages/core/src/testing/fixtures.js'
import { startKuboSwarm } from '../packages/store-ipfs/src/testing/index.js'

const MiB = 1024 * 1024
const TOTAL = 1024 * MiB
const kind = process.argv[2]
const swarm = kind === 'ipfs' ? await startKuboSwarm({ labels: ['provider', 'consumer'] }) : null
const dir = mkdtempSync(join(tmpdir(), 'datapact-bench-fs-'))
const stores: [PayloadStore, PayloadStore] = swarm
  ? [swarm.nodes[0]!.store({ name: 'bench' }), swarm.nodes[1]!.store({ name: 'bench' })]
  : [new FileSystemPayloadStore(dir, 'bench'), new FileSystemPayloadStore(dir, 'bench')]
const pieces = Array.from({ length: 4 }, () => new Uint8Array(crypto.randomBytes(MiB)))
async function* generated(bytes: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes / MiB; i++) yield pieces[i % pieces.length]!
}

const h = createMemoryHarness()
const open = async (label: string, store: PayloadStore) =>
  Datapact.open({ ledger: await h.member(label), keys: generateMemberKeys(), stores: [store], defaultStore: 'bench' })
const provider = await open('provider', stores[0])
const consumer = await open('consumer', stores[1])
await provider.members.join({ name: 'P', roles: ['provider'] })
await consumer.members.join({ name: 'C', roles: ['consumer'] })
const me = (await consumer.members.me())!.id

let peak = 0
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss())
}
async function roundTrip(bytes: number): Promise<void> {
  const { id } = await provider.datasets.register({
    title: 'bench',
    terms: TERMS,
    data: generated(bytes),
    onProgress: sample,
  })
  await provider.grants.grant(id, me)
  const { stream } = await consumer.data.stream(id)
  let n = 0
  for await (const p of stream) {
    n += p.length
    sample()
  }
  if (n !== bytes) throw new Error(`streamed ${n} bytes, expected ${bytes}`)
}

// Warm up (JIT, connections, first buffers), then take the starting point.
await roundTrip(16 * MiB)
const before = process.memoryUsage.rss()
const maxStart = process.resourceUsage().maxRSS * 1024
peak = before
const t0 = performance.now()
await roundTrip(TOTAL)
const seconds = (performance.now() - t0) / 1000
const maxEnd = process.resourceUsage().maxRSS * 1024
rmSync(dir, { recursive: true, force: true })
await swarm?.stop()
const top = Math.max(peak, maxEnd > maxStart ? maxEnd : 0)
console.log(
  JSON.stringify({ seconds, extraMiB: (top - before) / MiB, beforeMiB: before / MiB, maxRssMiB: maxEnd / MiB }),
)
