import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileSystemPayloadStore, MemoryPayloadStore } from '@datapact/core'
import { describePayloadStoreConformance } from '@datapact/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHarness } from '../src/index.js'

const runner = { describe, it, expect, beforeEach, afterEach }

// Core's own stores pass the payload-store suite too: one memory store shared by all, one folder mounted by all.
describePayloadStoreConformance(
  'memory store on the memory ledger',
  async () => {
    const ledger = createMemoryHarness()
    const store = new MemoryPayloadStore('shared')
    return { ledger, store: () => store, teardown: () => ledger.teardown() }
  },
  { runner },
)

describePayloadStoreConformance(
  'file-system store on the memory ledger',
  async () => {
    const ledger = createMemoryHarness()
    const dir = mkdtempSync(join(tmpdir(), 'datapact-fs-conformance-'))
    return {
      ledger,
      store: () => new FileSystemPayloadStore(dir, 'shared'),
      teardown: async () => {
        await ledger.teardown()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
  { runner },
)
