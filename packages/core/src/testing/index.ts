/**
 * The ledger conformance suite and its fixtures, published as `@datapact/core/testing`. Every adapter runs it
 * against its real backend. It imports no test runner: pass your runner's `describe`, `it`, `expect`, `beforeEach`
 * and `afterEach` (vitest, jest, ...). The model-based case loads `fast-check` (an optional peer dependency).
 * @packageDocumentation
 */

export {
  eventCount,
  nonce,
  type Party,
  party,
  TERMS,
  testBytes,
  type World,
  type WorldOptions,
  world,
} from './fixtures.js'
export type { LedgerHarness } from './harness.js'
export { type ConformanceOptions, describeLedgerConformance } from './ledgerConformance.js'
export type { ConformanceAssertion, ConformanceExpect, ConformanceRunner } from './runner.js'
