import { isDatapactError } from '@datapact/core'
import {
  applyMutation,
  at,
  describeClientInputSweep,
  describeLedgerInputSweep,
  describeMutation,
  mutation,
} from '@datapact/core/testing'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHarness, MemoryLedger } from '../src/index.js'

// The ledger-level bad-input sweep (issue 9), with the whole ledger's snapshot compared before and after.
describeLedgerInputSweep('memory', async () => createMemoryHarness(), {
  numRuns: 100,
  seed: 9,
  runner: { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll },
  snapshot: h => (h as ReturnType<typeof createMemoryHarness>).ledger.snapshot(),
})

// The client-level sweep (every client method, Datapact.open, stores, key functions) on the memory ledger.
describeClientInputSweep('memory', async () => createMemoryHarness(), {
  numRuns: 60,
  seed: 9,
  runner: { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll },
  snapshot: h => (h as ReturnType<typeof createMemoryHarness>).ledger.snapshot(),
})

// The memory ledger's own entry points: its constructor and options, and the methods of the ledger object.
// They are synchronous (a constructor cannot reject), so they throw the typed error.
const MEMORY_LEDGER_ENTRY_POINTS: Record<
  string,
  { valid: () => unknown; call: (l: MemoryLedger, v: unknown) => unknown }
> = {
  constructor: { valid: () => ({ clock: () => 1 }), call: (_l, v) => new MemoryLedger(v as never) },
  as: { valid: () => 'mem:x', call: (l, v) => l.as(v as never) },
  setClock: { valid: () => () => 1, call: (l, v) => l.setClock(v as never) },
  restore: { valid: () => new MemoryLedger().snapshot(), call: (l, v) => l.restore(v as never) },
}
// Methods without caller input, and the @internal ones its connections call (swept through the adapter above).
const MEMORY_LEDGER_WITHOUT_INPUT = ['now', 'snapshot', 'unsafeInternals', 'submit', 'query', 'readEvents', 'subscribe']

describe('bad-input sweep (MemoryLedger itself)', () => {
  it('covers every method of MemoryLedger', () => {
    const methods = Object.getOwnPropertyNames(MemoryLedger.prototype).sort()
    expect([...Object.keys(MEMORY_LEDGER_ENTRY_POINTS), ...MEMORY_LEDGER_WITHOUT_INPUT].sort()).toEqual(methods)
  })
  for (const [name, e] of Object.entries(MEMORY_LEDGER_ENTRY_POINTS))
    it(`${name}: malformed arguments throw INVALID_INPUT and change nothing`, () => {
      const ledger = new MemoryLedger()
      const before = ledger.snapshot()
      const valid = e.valid()
      fc.assert(
        fc.property(mutation(valid), m => {
          if (m.kind === 'replace' && typeof m.with.value === 'function' && typeof at(valid, m.path) === 'function')
            return
          try {
            e.call(ledger, applyMutation(valid, m))
          } catch (err) {
            if (isDatapactError(err, 'INVALID_INPUT')) return
            throw new Error(`${name} with ${describeMutation(m)} threw ${String(err)}`)
          }
          throw new Error(`${name} with ${describeMutation(m)} was accepted`)
        }),
        { numRuns: 40, seed: 9 },
      )
      expect(ledger.snapshot()).toEqual(before)
    })
})
