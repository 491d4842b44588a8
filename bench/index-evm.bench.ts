/**
 * Member-side index on Anvil: a statement over 100,000 usage records (`DATAPACT_BENCH_EVM_RECORDS`, committed through
 * the ledger in batches of 1,000) read from the SQLite index, against the full replay from genesis every statement
 * made before the index; the first statement of an empty index, which catches up once; and the rate the records
 * were committed at.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildStatement } from '../packages/core/src/client/billing.js'
import { readAllEvents } from '../packages/core/src/client/events.js'
import { Datapact } from '../packages/core/src/client/index.js'
import { toNonce } from '../packages/core/src/codec/ids.js'
import { bytesToHex } from '../packages/core/src/internal/bytes.js'
import { SqliteIndexStore } from '../packages/index-sqlite/src/index.js'
import { story } from './index-memory.bench.js'
import type { BenchContext, BenchRow } from './run.js'

async function anvil(ctx: BenchContext): Promise<BenchRow[]> {
  const total = Number(process.env.DATAPACT_BENCH_EVM_RECORDS ?? 100_000)
  const { compile } = await import('../packages/adapter-evm/scripts/compile.js')
  await compile()
  const { createEvmHarness } = await import('../packages/adapter-evm/src/testing/index.js')
  const h = await createEvmHarness()
  const dir = mkdtempSync(join(tmpdir(), 'datapact-bench-index-evm-'))
  const index = new SqliteIndexStore(join(dir, 'provider.sqlite'))
  try {
    const { w, template } = await story(h)
    ctx.log(`recording ${total.toLocaleString()} usage records on Anvil in batches of 1,000`)
    let t = performance.now()
    let n = 0
    const claim = (i: number) => ({
      datasetId: template.datasetId,
      version: 1,
      bytes: template.bytes,
      amount: template.amount,
      nonce: toNonce(`b${(i + 1).toString(16).padStart(31, '0')}`), // distinct from the client's nonces
      wrapHash: template.wrapHash,
    })
    while (n < total) {
      const size = Math.min(1000, total - n)
      await w.consumer.ledger.submit('recordUsage', { records: Array.from({ length: size }, (_, i) => claim(n + i)) })
      n += size
      if (n % 10_000 === 0) ctx.log(`${n.toLocaleString()} records (${((performance.now() - t) / 1000).toFixed(0)} s)`)
    }
    const recordSeconds = (performance.now() - t) / 1000
    const seedRate = total / recordSeconds
    ctx.log(`${total.toLocaleString()} records in ${recordSeconds.toFixed(1)} s (${Math.round(seedRate)} records/s)`)
    const client = await Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, index })
    const params = { consumer: w.consumer.id, currency: 'CNY' }
    // Before the index, every statement replayed every event from genesis and built itself from the records of its
    // key: that is the baseline (nothing is settled, so every record of the key is open).
    t = performance.now()
    const events = await readAllEvents(w.provider.ledger)
    const settings = await w.provider.ledger.query('getSettings', {})
    const records = events.flatMap(e => (e.event.type === 'UsageRecorded' ? [e.event.record] : []))
    const key = { provider: w.provider.id, consumer: w.consumer.id, period: records[0]!.period, currency: 'CNY' }
    const replayed = buildStatement(
      key,
      settings!.periodSeconds,
      records.filter(x => x.consumer === key.consumer && x.period === key.period && x.currency === key.currency),
    )
    const replaySeconds = (performance.now() - t) / 1000
    t = performance.now()
    const first = await client.billing.statement(params)
    const firstSeconds = (performance.now() - t) / 1000
    if (first.period !== key.period || bytesToHex(first.digest) !== bytesToHex(replayed.digest))
      throw new Error('the statement from the index differs from the one the full replay builds')
    await w.consumer.ledger.submit('recordUsage', { records: [claim(total + 1)] })
    t = performance.now()
    const next = await client.billing.statement(params)
    const nextSeconds = (performance.now() - t) / 1000
    if (first.count !== total + 1 || next.count !== total + 2) throw new Error(`rows ${first.count}, ${next.count}`)
    ctx.log(`${events.length} events replayed in ${replaySeconds.toFixed(1)} s`)
    const batch1000 = ctx.value('evm usage records/s batch 1000')
    return [
      {
        name: `index seed ${total / 1000}k records evm`,
        value: seedRate,
        unit: 'records/s',
        baseline: batch1000 ?? seedRate,
        ratio: seedRate / (batch1000 ?? seedRate),
        note: `${total} records through submit in batches of 1000 in ${recordSeconds.toFixed(1)} s, on a history that grows to ${total / 1000} blocks; baseline = \`evm usage records/s batch 1000\` (a fresh contract); ratio = value / baseline`,
      },
      {
        name: `index statement ${total / 1000}k records evm (indexed)`,
        value: nextSeconds,
        unit: 's',
        baseline: replaySeconds,
        ratio: replaySeconds / nextSeconds,
        note: `a statement after one more record: the index reads only the new events, then ${total + 2} rows from SQLite; baseline = the full replay from genesis and the statement built from it (what each statement did before; same digest); ratio = baseline / value; this statement returns every record, so both cost what it returns (rows read and digested) and the index saves the replay`,
      },
      {
        name: `index statement ${total / 1000}k records evm (first catch-up)`,
        value: firstSeconds,
        unit: 's',
        baseline: replaySeconds,
        ratio: replaySeconds / firstSeconds,
        note: `the first statement of an empty index: reads all ${events.length} events once and stores them; recorded at ${Math.round(total / recordSeconds)} records/s`,
      },
    ]
  } finally {
    await index.close()
    rmSync(dir, { recursive: true, force: true })
    await h.teardown()
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  return anvil(ctx)
}
