import 'fabric-contract-api' // loads reflect-metadata, which @peculiar/x509 needs
import { isDatapactError } from '@datapact/core'
import { applyMutation, describeLedgerInputSweep, describeMutation, mutation } from '@datapact/core/testing'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FabricLedger } from '../src/index.js'
import { createFabricHarness, createTestOrganisation } from '../src/testing/index.js'

// The ledger-level bad-input sweep (issue 9) through the real gateway client and the gateway test server.
describeLedgerInputSweep('fabric', createFabricHarness, {
  numRuns: 12,
  seed: 9,
  runner: { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll },
})

// The adapter's own entry point: the FabricLedger constructor and its options (synchronous: it throws the typed error).
describe('bad-input sweep (FabricLedger options)', () => {
  it('malformed options throw INVALID_INPUT', async () => {
    const org = await createTestOrganisation('Org1MSP')
    const alice = await org.createMember('alice')
    const valid = {
      peerEndpoint: '127.0.0.1:1',
      channel: 'ch',
      chaincode: 'datapact',
      timeouts: { evaluate: 1000 },
      conflictRetries: 1,
      mspId: alice.mspId,
      certificatePem: alice.certificatePem,
      privateKeyPem: alice.privateKeyPem,
    }
    fc.assert(
      fc.property(mutation(valid), m => {
        // Unknown top-level keys are ignored by design (options are often spread from an identity object).
        if (m.kind === 'extra key' && m.path.length === 0) return
        let ledger: FabricLedger | undefined
        try {
          ledger = new FabricLedger(applyMutation(valid, m) as never)
        } catch (e) {
          if (isDatapactError(e, 'INVALID_INPUT')) return
          throw new Error(`new FabricLedger with ${describeMutation(m)} threw ${String(e)}`)
        }
        void ledger.close()
        throw new Error(`new FabricLedger with ${describeMutation(m)} was accepted`)
      }),
      { numRuns: 40, seed: 9 },
    )
  })
})
