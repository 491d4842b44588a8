/**
 * The in-memory ledger: core's ledger program in process, for demos and tests.
 * @packageDocumentation
 */
export { MemoryLedger, type MemoryLedgerOptions } from './memoryLedger.js'
