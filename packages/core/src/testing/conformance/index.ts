import type { LedgerHarness } from '../harness.js'
import { access } from './access.js'
import { adapter } from './adapter.js'
import { audit } from './audit.js'
import { billing } from './billing.js'
import { catalog } from './catalog.js'
import { type ConformanceArea, type ConformanceOptions, declareConformance } from './context.js'
import { faults } from './faults.js'
import { members } from './members.js'
import { usage } from './usage.js'

/** Every area of the suite, in the order {@link describeLedgerConformance} declares them. */
export const CONFORMANCE_AREAS: readonly ConformanceArea[] = [
  members,
  catalog,
  access,
  usage,
  billing,
  audit,
  faults,
  adapter,
]

/**
 * The ledger conformance suite: every adapter runs it against its real backend, so the memory ledger, the EVM
 * contract and the Fabric chaincode give the same results and the same error codes for the same calls. It declares
 * every area (members, catalog, access, usage, billing, audit, faults, and the adapter-only layer); each area is
 * also exported alone (`describeUsageConformance`, ...) with this signature. Each refusal of docs/rules.md's
 * "Writes" table (`WRITE_REFUSALS`) is checked by a case that names it and sees the ledger itself refuse it, but the
 * one no EVM chain can be driven into (usage dated before its grant: ledger time set back).
 *
 * @param name - The backend's name, shown in test titles.
 * @param setup - Creates a fresh, empty ledger for each test.
 * @param options - Timeouts, run counts and the test runner.
 * @throws `Error` when no runner is given and the runner's globals (`describe`, `it`, `expect`, `beforeEach`,
 *   `afterEach`) are not defined. The tests themselves fail with the runner's assertion errors.
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest'
 * import { createMemoryHarness } from '@datapact/adapter-memory'
 * import { describeLedgerConformance } from '@datapact/core/testing'
 *
 * describeLedgerConformance('memory', async () => createMemoryHarness(), {
 *   runner: { describe, it, expect, beforeEach, afterEach },
 * })
 * ```
 */
export function describeLedgerConformance(
  name: string,
  setup: () => Promise<LedgerHarness>,
  options: ConformanceOptions = {},
): void {
  declareConformance(CONFORMANCE_AREAS, name, setup, options)
}
