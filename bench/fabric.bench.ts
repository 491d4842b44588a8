/**
 * Fabric ledger benchmarks through the real `@hyperledger/fabric-gateway` client and the gateway test server (the
 * real chaincode, @datapact/chaincode, as a service in a child process, signed proposals, MVCC, 10 ms block
 * cutting): write transactions per second, and usage records per second in batches. Baselines are the same calls on
 * the memory ledger.
 */

import { createFabricHarness, stopSharedFabricNetwork } from '../packages/adapter-fabric/src/testing/index.js'
import { MemoryLedger } from '../packages/adapter-memory/src/index.js'
import { generateMemberKeys, type LedgerAdapter } from '../packages/core/src/index.js'
import { TERMS, testBytes, world } from '../packages/core/src/testing/fixtures.js'
import type { BenchContext, BenchRow } from './run.js'
import { throughputRow } from './timing.js'

// 256 distinct valid X25519 public keys, made before anything is timed (the ledgers refuse small-order keys such as
// all zeros).
const keys = Array.from({ length: 256 }, () => generateMemberKeys().envelope.publicKey)
const key = (n: number) => keys[n % keys.length]!

/** `members` connections each submitting `perMember` key rotations (independent keys: no MVCC conflicts). */
async function rotations(ledgers: LedgerAdapter[], perMember: number): Promise<number> {
  const t = performance.now()
  await Promise.all(
    ledgers.map(async (ledger, m) => {
      for (let i = 0; i < perMember; i++) await ledger.submit('rotateEnvelopeKey', { envelopeKey: key(m + i) })
    }),
  )
  return (ledgers.length * perMember) / ((performance.now() - t) / 1000)
}

async function submitThroughput(ctx: BenchContext): Promise<BenchRow> {
  const h = await createFabricHarness({ shared: false })
  try {
    const members: LedgerAdapter[] = []
    for (let i = 0; i < 8; i++) {
      const m = await h.member(`m${i}`)
      await m.submit('joinConsortium', { name: `M${i}`, roles: ['consumer'], envelopeKey: key(i), settings: null })
      members.push(m)
    }
    const sequential = await rotations(members.slice(0, 1), 40)
    ctx.log(`fabric: one member, one transaction at a time: ${sequential.toFixed(1)} tx/s`)
    const value = await rotations(members, 25)
    ctx.log(`fabric: 8 members in parallel: ${value.toFixed(1)} tx/s`)

    const memory = new MemoryLedger()
    const local = members.map(m => memory.as(m.memberId))
    for (const [i, m] of local.entries())
      await m.submit('joinConsortium', { name: `M${i}`, roles: ['consumer'], envelopeKey: key(i), settings: null })
    const baseline = await rotations(local, 2000)
    return throughputRow(
      'fabric submit tx/s',
      value,
      'tx/s',
      baseline,
      `8 members submitting in parallel, endorse + order + commit (one at a time: ${sequential.toFixed(0)} tx/s); baseline: the same rule calls on the memory ledger; ratio = value / baseline`,
    )
  } finally {
    await h.teardown()
  }
}

async function usageRecords(ctx: BenchContext): Promise<BenchRow> {
  const h = await createFabricHarness({ shared: false })
  try {
    const w = await world(h)
    const { id } = await w.provider.client.datasets.register({ title: 'b', terms: TERMS, data: testBytes(100) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    const batch = Array.from({ length: 1000 }, () => ({ datasetId: id, version: 1 }))
    const total = 10_000
    let t = performance.now()
    for (let i = 0; i < total / batch.length; i++) await w.consumer.client.usage.record(batch)
    const value = total / ((performance.now() - t) / 1000)
    ctx.log(`fabric: ${total} usage records in batches of ${batch.length}: ${value.toFixed(0)} records/s`)

    // Baseline: the same client calls on the memory ledger.
    const { createMemoryHarness } = await import('../packages/adapter-memory/src/index.js')
    const m = await world(createMemoryHarness())
    const ds = await m.provider.client.datasets.register({ title: 'b', terms: TERMS, data: testBytes(100) })
    await m.provider.client.grants.grant(ds.id, m.consumer.id)
    const memoryBatch = batch.map(() => ({ datasetId: ds.id, version: 1 }))
    t = performance.now()
    for (let i = 0; i < total / batch.length; i++) await m.consumer.client.usage.record(memoryBatch)
    const baseline = total / ((performance.now() - t) / 1000)
    return throughputRow(
      'fabric usage records/s',
      value,
      'records/s',
      baseline,
      'client usage.record in batches of 1000 (one transaction each); baseline: the same on the memory ledger; ratio = value / baseline',
    )
  } finally {
    await h.teardown()
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  try {
    return [await submitThroughput(ctx), await usageRecords(ctx)]
  } finally {
    await stopSharedFabricNetwork()
  }
}
