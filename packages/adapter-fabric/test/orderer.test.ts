import { describe, expect, it, vi } from 'vitest'
import { Orderer } from '../src/testing/orderer.js'
import type { UnpackedTransaction } from '../src/testing/proposal.js'

const tx = (txId: string) => ({ txId }) as UnpackedTransaction

describe('solo orderer', () => {
  it('cuts full blocks at once, the rest after the timeout, and nothing while held', () => {
    vi.useFakeTimers()
    try {
      const blocks: string[][] = []
      const orderer = new Orderer({
        blockCutSize: 2,
        blockTimeoutMs: 10,
        deliver: b => blocks.push(b.map(t => t.txId)),
      })
      for (const id of ['a', 'b', 'c']) orderer.enqueue(tx(id))
      expect(blocks).toEqual([['a', 'b']])
      vi.advanceTimersByTime(10)
      expect(blocks).toEqual([['a', 'b'], ['c']])

      const release = orderer.hold()
      for (const id of ['d', 'e', 'f']) orderer.enqueue(tx(id))
      vi.advanceTimersByTime(100)
      expect(blocks).toHaveLength(2)
      expect(orderer.isQueued('f')).toBe(true)
      release()
      expect(blocks.slice(2)).toEqual([['d', 'e']])
      vi.advanceTimersByTime(10)
      expect(blocks.slice(2)).toEqual([['d', 'e'], ['f']])
      expect(orderer.queued).toBe(0)

      // A reset drops the queue and the holds; a hold from before it releases nothing afterwards.
      const stale = orderer.hold()
      orderer.enqueue(tx('g'))
      orderer.discard()
      const fresh = orderer.hold()
      stale()
      orderer.enqueue(tx('h'))
      vi.advanceTimersByTime(100)
      expect(blocks).toHaveLength(4)
      fresh()
      vi.advanceTimersByTime(10)
      expect(blocks.slice(4)).toEqual([['h']])
    } finally {
      vi.useRealTimers()
    }
  })
})
