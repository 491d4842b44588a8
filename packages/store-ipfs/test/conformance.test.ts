import { createMemoryHarness } from '@datapact/adapter-memory'
import { describePayloadStoreConformance } from '@datapact/core/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'

// One private swarm for this file, one Kubo node per member; a fresh memory ledger per test.
let swarm: KuboSwarm
beforeAll(async () => {
  swarm = await startKuboSwarm({ labels: ['provider', 'consumer', 'consumer2', 'regulator'] })
})
afterAll(() => swarm?.stop())

describePayloadStoreConformance(
  'ipfs (kubo) on the memory ledger',
  async () => {
    const ledger = createMemoryHarness()
    return {
      ledger,
      store: label => swarm.nodes.find(n => n.label === label)!.store(),
      teardown: () => ledger.teardown(),
    }
  },
  { runner: { describe, it, expect, beforeEach, afterEach } },
)
