import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EvmLedger } from '@datapact/adapter-evm'
import { ANVIL_ACCOUNTS, type AnvilInstance, startAnvil } from '@datapact/adapter-evm/testing'
import { MemoryLedger } from '@datapact/adapter-memory'
import {
  Datapact,
  generateMemberKeys,
  type LedgerAdapter,
  lockKeystore,
  type MemberKeys,
  toDatasetId,
} from '@datapact/core'
import { runCommand } from '@datapact/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type IpfsPayloadStore, type Replication, startReplication } from '../src/index.js'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'
import { generated } from './generated.js'

const MiB = 1024 * 1024
const SIZE = 256 * MiB
const here = dirname(fileURLToPath(import.meta.url))
const PASSPHRASE = 'offline-test-passphrase'

let anvil: AnvilInstance
const dir = mkdtempSync(join(tmpdir(), 'datapact-offline-'))
beforeAll(async () => {
  anvil = await startAnvil({ persistent: false })
})
afterAll(async () => {
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the provider's process to its end; resolves with its last stdout line, parsed. */
async function runProvider(input: object): Promise<{ datasetId: string; address: string; seconds: number }> {
  const out = await runCommand(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(here, 'providerProcess.ts')],
    { cwd: here, env: { DATAPACT_PROVIDER_INPUT: JSON.stringify(input) } },
  )
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

async function sha256(stream: AsyncIterable<Uint8Array>): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const piece of stream) {
    hash.update(piece)
    bytes += piece.length
  }
  return { digest: hash.digest('hex'), bytes }
}

/** How one ledger backend is reached: by the test process, and by the provider's process. */
interface Backend {
  name: string
  connect(role: 'provider' | 'consumer' | 'consumer2'): Promise<LedgerAdapter>
  providerInput(provider: LedgerAdapter): object
  /**
   * After the provider's process has written to the ledger: `live` ledgers (EVM) are already up to date; a memory
   * ledger in a file is read again, so the consumers reconnect.
   */
  live: boolean
  /** Reads the ledger again (the non-live one). */
  reload?(): void
  close(): Promise<void>
}

async function evmBackend(): Promise<Backend> {
  const keys = { provider: ANVIL_ACCOUNTS[1], consumer: ANVIL_ACCOUNTS[2], consumer2: ANVIL_ACCOUNTS[3] }
  // The provider deploys, so it is the genesis admin the contract lets bootstrap the consortium.
  const deployer = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: keys.provider, pollingInterval: 50 })
  return {
    name: 'evm (anvil)',
    connect: async role => deployer.as(keys[role]),
    providerInput: () => ({ kind: 'evm', rpcUrl: anvil.rpcUrl, contract: deployer.address, privateKey: keys.provider }),
    live: true,
    close: () => deployer.close(),
  }
}

async function memoryFileBackend(): Promise<Backend> {
  const file = join(dir, `ledger-${Date.now()}.bin`)
  let ledger = new MemoryLedger({ file })
  return {
    name: 'memory ledger in a file',
    connect: async role => ledger.as(`mem:${role}`),
    providerInput: provider => ({ kind: 'memory', file, memberId: provider.memberId }),
    live: false,
    // A new MemoryLedger reads the file afresh: what the provider's process committed is there.
    reload: () => {
      ledger = new MemoryLedger({ file })
    },
    close: async () => undefined,
  }
}

describe.each([
  ['evm (anvil)', evmBackend],
  ['memory ledger in a file', memoryFileBackend],
] as const)('a 256 MiB dataset with its provider offline, on %s', (_, makeBackend) => {
  let swarm: KuboSwarm
  beforeAll(async () => {
    swarm = await startKuboSwarm({ labels: ['provider', 'consumer', 'consumer2'] })
  })
  afterAll(() => swarm?.stop())

  it('is fetched verified and metered from the consumer’s own node, and through the swarm by another', async () => {
    const backend = await makeBackend()
    const node = (label: string) => swarm.nodes.find(n => n.label === label)!
    const stores = { consumer: node('consumer').store(), consumer2: node('consumer2').store() }
    const memberKeys: Record<string, MemberKeys> = {}
    const open = async (role: 'provider' | 'consumer' | 'consumer2') => {
      const ledger = await backend.connect(role)
      memberKeys[role] ??= generateMemberKeys()
      const store: IpfsPayloadStore | undefined = role === 'provider' ? undefined : stores[role]
      const client = await Datapact.open({ ledger, keys: memberKeys[role], stores: store ? [store] : [] })
      return { ledger, client }
    }
    // The provider joins first (the consortium's admin); its member keys go to its process in a keystore.
    const provider = await open('provider')
    await provider.client.members.join({ name: 'Provider', roles: ['provider'] })
    const keystore = join(dir, `provider-${Date.now()}.keystore.json`)
    writeFileSync(keystore, await lockKeystore(memberKeys.provider!, PASSPHRASE))
    let consumer = await open('consumer')
    let consumer2 = await open('consumer2')
    await consumer.client.members.join({ name: 'Consumer One', roles: ['consumer'] })
    await consumer2.client.members.join({ name: 'Consumer Two', roles: ['consumer'] })

    // Only the first consumer's node replicates what its member is entitled to.
    let pinnedAddress!: (address: string) => void
    const pinned = new Promise<string>(r => {
      pinnedAddress = r
    })
    const errors: unknown[] = []
    const replicate = (ledger: LedgerAdapter): Replication =>
      startReplication({
        ledger,
        nodes: { [ledger.memberId]: stores.consumer },
        onPinned: e => pinnedAddress(e.address),
        onError: e => errors.push(e),
      })
    let replication = backend.live ? replicate(consumer.ledger) : null

    const published = await runProvider({
      ledger: backend.providerInput(provider.ledger),
      keystore,
      passphrase: PASSPHRASE,
      ipfsUrl: node('provider').apiUrl,
      grantees: [consumer.ledger.memberId, consumer2.ledger.memberId],
      size: SIZE,
      chunkSize: 1024 * 1024,
    })
    await provider.client.close()
    console.log(`${backend.name}: the provider's process registered 256 MiB in ${published.seconds.toFixed(1)} s`)
    if (!backend.live) {
      await consumer.client.close()
      await consumer2.client.close()
      backend.reload?.()
      consumer = await open('consumer')
      consumer2 = await open('consumer2')
      replication = replicate(consumer.ledger)
    }
    const t0 = performance.now()
    expect(await pinned).toBe(published.address)
    console.log(`${backend.name}: the consumer's node pinned it in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    expect(errors).toEqual([])
    await replication!.stop()

    // The provider is gone: its process exited, now its node stops too.
    await node('provider').stop()
    expect(await stores.consumer.isPinned(published.address)).toBe(true)
    expect(await stores.consumer2.isPinned(published.address)).toBe(false)
    const expected = await sha256(generated(SIZE))

    for (const [who, party] of [
      ['consumer (own node, pinned)', consumer],
      ['consumer2 (through the swarm)', consumer2],
    ] as const) {
      const t = performance.now()
      const { stream, receipt, version } = await party.client.data.stream(toDatasetId(published.datasetId))
      expect(version.location.address).toBe(published.address)
      expect(receipt?.record.bytes).toBe(SIZE)
      expect(await sha256(stream)).toEqual(expected)
      const usage = await party.client.usage.list({ datasetId: toDatasetId(published.datasetId) })
      expect(usage.filter(r => r.consumer === party.ledger.memberId).map(r => r.bytes)).toEqual([SIZE])
      console.log(
        `${backend.name}: ${who}: 256 MiB streamed, verified, metered in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      )
    }
    await consumer.client.close()
    await consumer2.client.close()
    await backend.close()
  }, 1_200_000)
})
