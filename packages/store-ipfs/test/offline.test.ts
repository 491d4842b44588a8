import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EvmLedger } from '@datapact/adapter-evm'
import { ANVIL_ACCOUNTS, type AnvilInstance, startAnvil } from '@datapact/adapter-evm/testing'
import { Datapact, generateMemberKeys, lockKeystore } from '@datapact/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type IpfsPayloadStore, startReplication } from '../src/index.js'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'
import { generated } from './generated.js'

const MiB = 1024 * 1024
const SIZE = 256 * MiB
const here = dirname(fileURLToPath(import.meta.url))

let anvil: AnvilInstance
let swarm: KuboSwarm
const dir = mkdtempSync(join(tmpdir(), 'datapact-offline-'))
beforeAll(async () => {
  anvil = await startAnvil({ persistent: false })
  swarm = await startKuboSwarm({ labels: ['provider', 'consumer', 'consumer2'] })
})
afterAll(async () => {
  await swarm?.stop()
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the provider's process to its end; resolves with its last stdout line, parsed. */
function runProvider(input: object): Promise<{ datasetId: string; address: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(here, 'providerProcess.ts')],
      {
        cwd: here,
        env: { ...process.env, DATAPACT_PROVIDER_INPUT: JSON.stringify(input) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', d => {
      out += d
    })
    child.stderr.on('data', d => {
      err = (err + d).slice(-4000)
    })
    child.on('error', reject)
    child.on('exit', code => {
      if (code !== 0) return reject(new Error(`provider process exited with ${code}:\n${err}`))
      resolve(JSON.parse(out.trim().split('\n').at(-1)!))
    })
  })
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

describe('a 256 MiB dataset with its provider offline', () => {
  it('is fetched verified and metered from the consumer’s own node, and through the swarm by another', async () => {
    const node = (label: string) => swarm.nodes.find(n => n.label === label)!
    const deployer = await EvmLedger.deploy({
      rpcUrl: anvil.rpcUrl,
      privateKey: ANVIL_ACCOUNTS[0],
      pollingInterval: 50,
    })
    const open = async (key: string, store?: IpfsPayloadStore) => {
      const ledger = deployer.as(key)
      const keys = generateMemberKeys()
      return { ledger, keys, client: await Datapact.open({ ledger, keys, stores: store ? [store] : [] }) }
    }
    // Provider joins first (the consortium's admin); its member keys go to its process in a keystore.
    const provider = await open(ANVIL_ACCOUNTS[1])
    await provider.client.members.join({ name: 'Provider', roles: ['provider'] })
    const keystore = join(dir, 'provider.keystore.json')
    writeFileSync(keystore, await lockKeystore(provider.keys, 'offline-test-passphrase'))
    await provider.client.close()
    const consumerStore = node('consumer').store()
    const consumer2Store = node('consumer2').store()
    const consumer = await open(ANVIL_ACCOUNTS[2], consumerStore)
    const consumer2 = await open(ANVIL_ACCOUNTS[3], consumer2Store)
    await consumer.client.members.join({ name: 'Consumer One', roles: ['consumer'] })
    await consumer2.client.members.join({ name: 'Consumer Two', roles: ['consumer'] })

    // Only the first consumer's node replicates what its member is entitled to.
    let pinnedAddress!: (address: string) => void
    const pinned = new Promise<string>(r => {
      pinnedAddress = r
    })
    const errors: unknown[] = []
    const replication = startReplication({
      ledger: consumer.ledger,
      nodes: { [consumer.ledger.memberId]: consumerStore },
      onPinned: e => pinnedAddress(e.address),
      onError: e => errors.push(e),
    })

    const published = await runProvider({
      rpcUrl: anvil.rpcUrl,
      contract: deployer.address,
      privateKey: ANVIL_ACCOUNTS[1],
      keystore,
      passphrase: 'offline-test-passphrase',
      ipfsUrl: node('provider').apiUrl,
      grantees: [consumer.ledger.memberId, consumer2.ledger.memberId],
      size: SIZE,
      chunkSize: 1024 * 1024,
    })
    console.log(`provider registered 256 MiB into IPFS in ${published.seconds.toFixed(1)} s`)
    const t0 = performance.now()
    expect(await pinned).toBe(published.address)
    console.log(`consumer's node pinned it in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    expect(errors).toEqual([])
    await replication.stop()

    // The provider is gone: its process exited, now its node stops too.
    await node('provider').stop()
    expect(await consumerStore.isPinned(published.address)).toBe(true)
    expect(await consumer2Store.isPinned(published.address)).toBe(false)
    const expected = await sha256(generated(SIZE))

    for (const [who, party] of [
      ['consumer (own node, pinned)', consumer],
      ['consumer2 (through the swarm)', consumer2],
    ] as const) {
      const t = performance.now()
      const { stream, receipt, version } = await party.client.data.stream(published.datasetId)
      expect(version.location.address).toBe(published.address)
      expect(receipt?.record.bytes).toBe(SIZE)
      expect(await sha256(stream)).toEqual(expected)
      const usage = await party.client.usage.list({ datasetId: published.datasetId })
      expect(usage.filter(r => r.consumer === party.ledger.memberId).map(r => r.bytes)).toEqual([SIZE])
      console.log(`${who}: 256 MiB streamed, verified and metered in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
    await consumer.client.close()
    await consumer2.client.close()
    await deployer.close()
  }, 1_200_000)
})
