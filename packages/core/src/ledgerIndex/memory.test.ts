import { describe, expect, it } from 'vitest'
import type { DatasetId } from '../domain/index.js'
import { datasetEntity, usagePage } from '../testing/indexStoreConformance.js'
import { MemoryIndexStore } from './memory.js'
import type { UsageQuery } from './store.js'

// The persistent stores run describeIndexStoreConformance; the memory store cannot (it starts empty at every open),
// so the parts of that contract it can keep are checked here.
describe('MemoryIndexStore', () => {
  it('hands out copies: changing what usage and entities return changes nothing stored', async () => {
    const index = new MemoryIndexStore()
    const d1 = 'd1'.padStart(64, '0') as DatasetId
    await index.append(null, usagePage(0, [7n, 8n]), 'a', [datasetEntity(d1)])
    for (const query of [{}, { provider: 'p1', consumer: 'c1', period: 2 }] as UsageQuery[]) {
      const got = await index.usage(query)
      got[0]!.seq = 99
      got[0]!.record.amount = 1n
      got[0]!.record.wrapHash.fill(0xee)
    }
    ;(await index.entities('dataset'))[0]!.value.fill(0)
    const again = await index.usage({})
    expect(again.map(x => [x.seq, x.record.amount, x.record.wrapHash[0]])).toEqual([
      [0, 7n, 0],
      [1, 8n, 1],
    ])
    expect(await index.entities('dataset')).toEqual([datasetEntity(d1)])
  })

  it('refuses malformed arguments with INVALID_INPUT and changes nothing', async () => {
    const index = new MemoryIndexStore()
    await index.append(null, usagePage(0, [1n]), 'a')
    const before = await index.usage({})
    await expect(index.append('a', [{ nope: 1 }] as never, 'b')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(index.usage({ limit: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(index.entities('member' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(index.currencies(undefined as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(await index.position()).toEqual({ cursor: 'a', events: 1 })
    expect(await index.usage({})).toEqual(before)
  })
})
