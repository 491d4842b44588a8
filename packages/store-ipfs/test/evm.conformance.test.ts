import { createEvmHarness, startAnvil } from '@datapact/adapter-evm/testing'
import { describePayloadStoreConformance } from '@datapact/core/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'

// One Anvil and one private swarm (a Kubo node per member) for this file; a fresh contract per test.
const anvil = await startAnvil({ persistent: false })
let swarm: KuboSwarm
beforeAll(async () => {
  swarm = await startKuboSwarm({ labels: ['provider', 'consumer', 'consumer2', 'regulator'] })
})
afterAll(async () => {
  await swarm?.stop()
  await anvil.stop()
})

describePayloadStoreConformance(
  'ipfs (kubo) on evm (anvil)',
  async () => {
    const ledger = await createEvmHarness({ anvil })
    return {
      ledger,
      store: label => swarm.nodes.find(n => n.label === label)!.store(),
      teardown: () => ledger.teardown(),
    }
  },
  { timeout: 120_000, runner: { describe, it, expect, beforeEach, afterEach } },
)
