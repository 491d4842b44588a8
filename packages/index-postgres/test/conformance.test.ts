import { createMemoryHarness } from '@datapact/adapter-memory'
import { describeLedgerConformance } from '@datapact/core/testing'
import pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PostgresIndexStore } from '../src/index.js'
import { freshDatabase } from './database.js'

// The whole ledger conformance suite on the memory ledger, every client reading its own PostgreSQL index: one
// database for this file, one pool shared by every store (as a service shares one), one table prefix per client.
const pool = new pg.Pool({ connectionString: await freshDatabase(), max: 4 })
pool.on('error', () => undefined)
afterAll(() => pool.end())
let n = 0

describeLedgerConformance('memory ledger, PostgreSQL index', async () => createMemoryHarness(), {
  timeout: 60_000,
  modelRuns: 8,
  indexRuns: 12,
  runner: { describe, it, expect, beforeEach, afterEach },
  index: label =>
    new PostgresIndexStore({ pool, prefix: `c${++n}_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_` }),
})
