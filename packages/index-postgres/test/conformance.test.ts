import { createMemoryHarness } from '@datapact/adapter-memory'
import { describeIndexStoreConformance, describeLedgerConformance } from '@datapact/core/testing'
import pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PostgresIndexStore } from '../src/index.js'
import { freshDatabase } from './database.js'

// One database for this file on the run's server.
const url = await freshDatabase()
const runner = { describe, it, expect, beforeEach, afterEach }
let n = 0

// The whole ledger conformance suite on the memory ledger, every client reading its own PostgreSQL index: one pool
// shared by every store (as a service shares one), one table prefix per client.
const pool = new pg.Pool({ connectionString: url, max: 4 })
pool.on('error', () => undefined)
afterAll(() => pool.end())
describeLedgerConformance('memory ledger, PostgreSQL index', async () => createMemoryHarness(), {
  timeout: 60_000,
  modelRuns: 8,
  indexRuns: 12,
  runner,
  index: label =>
    new PostgresIndexStore({ pool, prefix: `c${++n}_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_` }),
})

// The index-store contract: one table prefix per test and store name, each store with its own pool (ended by close).
describeIndexStoreConformance(
  'PostgreSQL',
  async () => {
    const test = `s${++n}_`
    return {
      ledger: createMemoryHarness(),
      open: name => new PostgresIndexStore({ connection: url, prefix: `${test}${name}_` }),
      teardown: async () => undefined,
    }
  },
  { runner },
)
