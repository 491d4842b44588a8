import type { LedgerAdapter } from '../ledger/index.js'

/**
 * What an adapter gives the conformance suite: a fresh, empty ledger per test on its real backend.
 *
 * Implementers: `member()` returns a connection for a NEW identity on the same ledger each time it is called
 * (the suite calls it for provider, consumers, regulator, admin); `advanceTime` moves ledger time forward by at
 * least `seconds` (inject a clock, mine a block with a later timestamp, or wait); `teardown` releases everything.
 */
export interface LedgerHarness {
  /** A connection acting as a new member identity on this test's ledger. */
  member(label: string): Promise<LedgerAdapter>
  /** Moves ledger time forward by at least `seconds`. */
  advanceTime(seconds: number): Promise<void>
  /**
   * Whether the ledger was deployed with a genesis admin: the first identity `member()` hands out is then the only
   * one that can bootstrap the consortium.
   */
  genesisAdmin?: boolean
  /** Stops whatever `setup` started. */
  teardown(): Promise<void>
  /**
   * Optional: for backends where the tamper cases need it, corrupts one stored ciphertext chunk of an upload in
   * the ledger's own state beneath the rules. Absent: the suite tampers with an external PayloadStore instead.
   */
  tamperLedgerChunk?(upload: string, index: number): Promise<void>
}
