import { describe, expect, it } from 'vitest'
import { REFUSALS, type RefusalId } from '../../rules/refusals.js'
import type { LedgerHarness } from '../harness.js'
import type { ConformanceRunner } from '../runner.js'
import { declareConformance, type RefusalCase } from './context.js'
import { CONFORMANCE_AREAS } from './index.js'

/**
 * Refusals of docs/rules.md that no conformance case checks, and why. Each is checked where its condition can be
 * made: the conformance suite holds only what every ledger can be driven into alike.
 */
const CHECKED_ELSEWHERE: Partial<Record<RefusalId, string>> = {
  'recordUsage.time':
    'ledger time cannot be set back on every ledger (an EVM block time never goes back); the memory ledger sets its ' +
    'clock back in packages/adapter-memory/test/memoryLedger.test.ts',
}

/** Declares the whole suite without running it: the titles of its cases and its refusal cases. */
function declared(): { titles: string[]; refusalCases: RefusalCase[] } {
  const titles: string[] = []
  const refusalCases: RefusalCase[] = []
  const path: string[] = []
  const noop = () => {}
  const runner: ConformanceRunner = {
    describe: (name, fn) => {
      path.push(name)
      fn()
      path.pop()
    },
    it: name => {
      titles.push([...path, name].join(' '))
    },
    beforeEach: noop,
    afterEach: noop,
    expect: Object.assign(() => undefined, { stringMatching: () => undefined }),
  }
  const setup = (): Promise<LedgerHarness> => Promise.reject(new Error('declared only, never run'))
  declareConformance(CONFORMANCE_AREAS, 'x', setup, { runner, genesisAdmin: true }, c => refusalCases.push(c))
  return { titles, refusalCases }
}

describe('the conformance suite and the refusal table', () => {
  const { titles, refusalCases } = declared()

  it('checks every refusal of docs/rules.md in a case that names it', () => {
    const checked = new Set(refusalCases.flatMap(c => c.refusals))
    const unchecked = [...REFUSALS.keys()].filter(id => !checked.has(id) && !(id in CHECKED_ELSEWHERE))
    expect(unchecked).toEqual([])
  })

  it('names only refusals of the table, and excuses none it checks', () => {
    for (const c of refusalCases) {
      expect(c.refusals.length, c.name).toBeGreaterThan(0)
      for (const id of c.refusals) expect(REFUSALS.has(id), `${c.name}: ${id}`).toBe(true)
    }
    const checked = new Set(refusalCases.flatMap(c => c.refusals))
    expect(Object.keys(CHECKED_ELSEWHERE).filter(id => checked.has(id as RefusalId))).toEqual([])
    expect(Object.keys(CHECKED_ELSEWHERE).filter(id => !REFUSALS.has(id as RefusalId))).toEqual([])
  })

  it('declares every case once under one title', () => {
    expect(new Set(titles).size).toBe(titles.length)
    expect(titles.every(t => t.startsWith('conformance: x '))).toBe(true)
  })
})
