import { type LedgerAdapter, LedgerPayloadStore } from '@datapact/core'
import { world } from '@datapact/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHarness } from '../src/index.js'

const MiB = 1024 * 1024
const harness = createMemoryHarness()
afterEach(() => harness.teardown())

/** A ledger connection that records the `count` of every getPayload read. */
function recording(ledger: LedgerAdapter): { ledger: LedgerAdapter; counts: number[] } {
  const counts: number[] = []
  const wrapped = new Proxy(ledger, {
    get(target, key) {
      if (key === 'query')
        return (name: string, args: { count?: number }) => {
          if (name === 'getPayload') counts.push(args.count!)
          return target.query(name as never, args as never)
        }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { ledger: wrapped, counts }
}

async function* chunksOf(sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const [i, n] of sizes.entries()) yield new Uint8Array(n).fill(i & 0xff)
}

describe('LedgerPayloadStore reads', () => {
  it('reads a few MiB at a time whatever the chunk size: one chunk first, then as many as fit, in order', async () => {
    const w = await world(harness)
    const cases: Array<[sizes: number[], counts: number[]]> = [
      // 1 KiB chunks: the ledger's batch of 64 a read after the first.
      [Array.from({ length: 200 }, () => 1024), [1, 64, 64, 64, 7]],
      // 1 MiB chunks: 4 a read (4 MiB), never 16 (16 MiB in one message).
      [Array.from({ length: 10 }, () => MiB), [1, 4, 4, 1]],
      // A single chunk: one read.
      [[100], [1]],
    ]
    for (const [sizes, expected] of cases) {
      const store = new LedgerPayloadStore(w.provider.ledger)
      const address = await store.put(chunksOf(sizes))
      const { ledger, counts } = recording(w.consumer.ledger)
      const read: Uint8Array[] = []
      for await (const c of new LedgerPayloadStore(ledger).get(address, sizes.length)) read.push(c)
      expect(counts).toEqual(expected)
      expect(read.map(c => c.length)).toEqual(sizes)
      expect(read.map(c => c[0])).toEqual(sizes.map((_, i) => i & 0xff))
    }
  })
})
