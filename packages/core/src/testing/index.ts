/**
 * The ledger, payload-store and index-store conformance suites and their fixtures, published as
 * `@datapact/core/testing`. Every adapter and store runs them against its real backend. They import no test runner:
 * pass your runner's `describe`, `it`, `expect`, `beforeEach` and `afterEach` (vitest, jest, ...). The model-based and
 * property cases load `fast-check` (an optional peer dependency).
 * @packageDocumentation
 */

export { chunksOfSizes, collect, concatChunks, pieces } from './chunks.js'
export {
  CLIENT_ENTRY_POINTS,
  CLIENT_WITHOUT_INPUT,
  type ClientEntryPoint,
  type ClientFixture,
  type ClientSweepOptions,
  clientMethods,
  describeClientInputSweep,
} from './clientSweep.js'
export { describeAccessConformance } from './conformance/access.js'
export { describeAdapterConformance } from './conformance/adapter.js'
export { describeAuditConformance } from './conformance/audit.js'
export { describeBillingConformance } from './conformance/billing.js'
export { describeCatalogConformance } from './conformance/catalog.js'
export type { ConformanceOptions, ConformanceSuite } from './conformance/context.js'
export { describeFaultsConformance } from './conformance/faults.js'
export { describeLedgerConformance } from './conformance/index.js'
export { describeMembersConformance } from './conformance/members.js'
export { describeUsageConformance } from './conformance/usage.js'
export { flipByteNearEnd } from './files.js'
export {
  eventCount,
  fakeWrap,
  nonce,
  type Party,
  party,
  TERMS,
  testBytes,
  versionArgs,
  type World,
  type WorldOptions,
  world,
  ZERO32,
} from './fixtures.js'
export type { LedgerHarness } from './harness.js'
export {
  datasetEntity,
  describeIndexStoreConformance,
  grantEntity,
  type IndexStoreConformanceOptions,
  type IndexStoreHarness,
  usagePage,
} from './indexStoreConformance.js'
export {
  ADAPTER_ENTRY_POINTS,
  describeLedgerInputSweep,
  type LedgerSweepOptions,
  QUERY_ENTRY_POINTS,
  refusal,
  type SweepContext,
  WRITE_ENTRY_POINTS,
} from './ledgerSweep.js'
export {
  applyMutation,
  at,
  describeMutation,
  FORBIDDEN_KEYS,
  MALFORMED_KINDS,
  Malformed,
  type Mutation,
  malformed,
  malformedOf,
  mutation,
} from './malformed.js'
export {
  describePayloadStoreConformance,
  type PayloadStoreConformanceOptions,
  type PayloadStoreHarness,
} from './payloadStoreConformance.js'
export { freePort, freePorts, isRunning, type RunCommandOptions, runCommand } from './processes.js'
export type { ConformanceAssertion, ConformanceExpect, ConformanceRunner } from './runner.js'
