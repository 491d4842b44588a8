/**
 * The in-memory ledger: core's ledger program in process, for demos and tests.
 * @packageDocumentation
 */
export { createMemoryHarness } from './harness.js'
export { MemoryLedger, type MemoryLedgerOptions } from './memoryLedger.js'
