/**
 * Member-side index on the memory ledger: a statement over 1,000,000 usage records with the SQLite index, and with
 * the PostgreSQL index on a throw-away local server, each against reading the same rows raw from that index; a 10-row
 * statement among them (its cost must not follow the history); the append rate.
 *
 * The 1M records are fed into the index directly (the ledger would take minutes to commit them): the index first
 * catches up with the real memory ledger (a dataset, grants, 11 real records), then pages of 10,000 synthetic
 * `UsageRecorded` events of the same provider, consumer, period and currency are appended at the ledger's real
 * cursor, as if its node had delivered them. `billing.statement` then syncs (no new events), reads the settlement
 * from the ledger and the open records from the index, and digests them. The PostgreSQL rows need the server
 * binaries (`ensurePostgres`: as root on Debian, installed from the archive when missing).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryHarness } from '../packages/adapter-memory/src/index.js'
import { Datapact } from '../packages/core/src/client/index.js'
import { toNonce } from '../packages/core/src/codec/ids.js'
import type { LedgerEventRecord, UsageRecord } from '../packages/core/src/domain/index.js'
import type { IndexStore } from '../packages/core/src/ledgerIndex/index.js'
import { TERMS, testBytes, world } from '../packages/core/src/testing/fixtures.js'
import type { LedgerHarness } from '../packages/core/src/testing/harness.js'
import { PostgresIndexStore } from '../packages/index-postgres/src/index.js'
import { ensurePostgres, startPostgres } from '../packages/index-postgres/src/testing/index.js'
import { SqliteIndexStore } from '../packages/index-sqlite/src/index.js'
import type { BenchContext, BenchRow } from './run.js'

const MILLION = 1_000_000
const PAGE = 10_000

/** A world with one dataset granted to the consumer, and one real record so the key has a currency. */
export async function story(h: LedgerHarness) {
  const w = await world(h)
  const { id } = await w.provider.client.datasets.register({ title: 'b', terms: TERMS, data: testBytes(100) })
  await w.provider.client.grants.grant(id, w.consumer.id)
  await w.provider.client.grants.grant(id, w.consumer2.id)
  const [receipt] = await w.consumer.client.usage.record([{ datasetId: id, version: 1 }])
  return { w, id, template: receipt!.record }
}

/** The million-record rows of one index store (`kind` names them: `sqlite`, `postgres`). */
async function million(ctx: BenchContext, kind: string, index: IndexStore): Promise<BenchRow[]> {
  try {
    const h = createMemoryHarness()
    const { w, id, template } = await story(h)
    // A small key among the million: 10 real records of the second consumer.
    await w.consumer2.client.usage.record(Array.from({ length: 10 }, () => ({ datasetId: id, version: 1 })))
    const client = await Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, index })
    await client.usage.list() // catch up with the real ledger
    const { cursor, events } = await index.position()
    if (cursor === null) throw new Error('the index did not catch up')
    ctx.log(`feeding ${MILLION.toLocaleString()} usage records into the ${kind} index at cursor ${cursor}`)
    let t = performance.now()
    let seq = events
    for (let p = 0; p < MILLION / PAGE; p++) {
      const page: LedgerEventRecord[] = []
      for (let i = 0; i < PAGE; i++, seq++) {
        const record: UsageRecord = { ...template, nonce: toNonce(seq.toString(16).padStart(32, '0')), at: template.at }
        page.push({
          cursor,
          txId: `bench${p}`,
          at: template.at,
          caller: w.consumer.id,
          event: { type: 'UsageRecorded', record },
        })
      }
      await index.append(cursor, page, cursor)
    }
    const appendSeconds = (performance.now() - t) / 1000
    const params = { consumer: w.consumer.id, currency: 'CNY' }
    t = performance.now()
    const st = await client.billing.statement(params)
    const statementSeconds = (performance.now() - t) / 1000
    if (st.count !== MILLION + 1) throw new Error(`the statement has ${st.count} rows`)
    const key = { provider: w.provider.id, consumer: w.consumer.id, period: st.period, currency: 'CNY' }
    t = performance.now()
    const raw = await index.usage(key)
    const rawSeconds = (performance.now() - t) / 1000
    if (raw.length !== MILLION + 1) throw new Error(`read ${raw.length} rows`)
    t = performance.now()
    const small = await client.billing.statement({ consumer: w.consumer2.id })
    const smallSeconds = (performance.now() - t) / 1000
    if (small.count !== 10) throw new Error(`the small statement has ${small.count} rows`)
    const rows = MILLION + 1
    return [
      {
        name: `index statement 1M records memory+${kind}`,
        value: statementSeconds,
        unit: 's',
        baseline: rawSeconds,
        ratio: rawSeconds / statementSeconds,
        note: `${Math.round(rows / statementSeconds).toLocaleString()} rows/s; baseline = the same rows read raw from the index (${Math.round(rows / rawSeconds).toLocaleString()} rows/s); ratio = baseline / value (cost); records fed into the index directly`,
      },
      {
        name: `index statement 10 of 1M records ${kind}`,
        value: smallSeconds * 1000,
        unit: 'ms',
        baseline: statementSeconds * 1000,
        ratio: statementSeconds / smallSeconds,
        note: 'a 10-row statement with 1M other records in the index; baseline = the 1M-row statement; ratio = baseline / value',
      },
      {
        name: `index ${kind} append records/s`,
        value: MILLION / appendSeconds,
        unit: 'records/s',
        baseline: rows / statementSeconds,
        ratio: MILLION / appendSeconds / (rows / statementSeconds),
        note: 'pages of 10,000 usage events, one transaction each with the cursor; baseline = statement rows/s',
      },
    ]
  } finally {
    await index.close()
  }
}

async function sqlite(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'datapact-bench-index-'))
  try {
    return await million(ctx, 'sqlite', new SqliteIndexStore(join(dir, 'provider.sqlite')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function postgres(ctx: BenchContext): Promise<BenchRow[]> {
  const server = await startPostgres({ binDir: await ensurePostgres({ log: ctx.log }) })
  try {
    return await million(ctx, 'postgres', new PostgresIndexStore({ connection: await server.createDatabase() }))
  } finally {
    await server.stop()
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  return [...(await sqlite(ctx)), ...(await postgres(ctx))]
}
