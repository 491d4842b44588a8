import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryHarness } from '@datapact/adapter-memory'
import { describeIndexStoreConformance, describeLedgerConformance } from '@datapact/core/testing'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteIndexStore } from '../src/index.js'

// The whole ledger conformance suite on the memory ledger, every client reading its own SQLite index file.
const dir = mkdtempSync(join(tmpdir(), 'datapact-index-conformance-'))
const opened: SqliteIndexStore[] = []
let n = 0
afterAll(async () => {
  for (const s of opened) await s.close()
  rmSync(dir, { recursive: true, force: true })
})
const runner = { describe, it, expect, beforeEach, afterEach }

describeLedgerConformance('memory ledger, SQLite index', async () => createMemoryHarness(), {
  modelRuns: 8,
  indexRuns: 12,
  runner,
  index: label => {
    const store = new SqliteIndexStore(join(dir, `${label}-${++n}.sqlite`))
    opened.push(store)
    return store
  },
})

// The index-store contract: one folder per test, one database file per store name.
describeIndexStoreConformance(
  'SQLite',
  async () => {
    const files = mkdtempSync(join(dir, 'store-'))
    return {
      ledger: createMemoryHarness(),
      open: name => new SqliteIndexStore(join(files, `${name}.sqlite`)),
      teardown: async () => rmSync(files, { recursive: true, force: true }),
    }
  },
  { propertyRuns: 60, runner },
)
