/**
 * Test utilities for the EVM ledger: start Anvil (from the `@foundry-rs/anvil` npm package) and build core's
 * conformance harness on it.
 * @packageDocumentation
 */
export { ANVIL_ACCOUNTS, type AnvilInstance, type AnvilOptions, anvilBinary, startAnvil } from './anvil.js'
export {
  measurePayloadGas,
  measureUsageGas,
  measureUsageThroughput,
  type PayloadGas,
  type UsageGas,
  type UsageThroughput,
} from './gas.js'
export { anvilRpc, createEvmHarness, type EvmHarness, type EvmHarnessOptions } from './harness.js'
