/**
 * The ledger conformance suite and its fixtures, published as `@datapact/core/testing`. Every adapter runs it
 * against its real backend. Requires `vitest` and `fast-check` (optional peer dependencies).
 * @packageDocumentation
 */

export {
  eventCount,
  fakeWrap,
  nonce,
  type Party,
  party,
  TERMS,
  testBytes,
  type World,
  type WorldOptions,
  world,
  ZERO32,
} from './fixtures.js'
export type { LedgerHarness } from './harness.js'
export { type ConformanceOptions, describeLedgerConformance } from './ledgerConformance.js'
