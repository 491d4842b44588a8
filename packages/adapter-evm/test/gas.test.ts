import { type DatasetId, toDatasetId, toDigest } from '@datapact/core'
import { fakeWrap } from '@datapact/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { datapactRuntimeSize, datapactViewsRuntimeSize } from '../src/index.js'
import { anvilRpc, createEvmHarness, measurePayloadGas, measureUsageGas, startAnvil } from '../src/testing/index.js'

const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

describe('gas', () => {
  it('fits the deployed contract under the EIP-170 limit', () => {
    expect(datapactRuntimeSize).toBeLessThanOrEqual(24_576)
    expect(datapactViewsRuntimeSize).toBeLessThanOrEqual(24_576)
  })

  it('publishes at a cost that follows the grants in force, not every grant ever made', async () => {
    const h = await createEvmHarness({ anvil })
    try {
      const key = new Uint8Array(32).fill(3)
      const digest = toDigest(key)
      const p = await h.member('provider')
      await p.submit('joinConsortium', { name: 'P', roles: ['provider'], envelopeKey: key, settings: null })
      const metadata = { title: 'Gas', description: '', tags: [], mediaType: '', schema: '' }
      const terms = { pricePerAccess: 1n, pricePerByte: 0n, currency: 'CNY', licence: '' }
      const ids = ['a', 'b'].map(c => toDatasetId(c.repeat(64)))
      for (const datasetId of ids) await p.submit('registerDataset', { datasetId, metadata, terms, listed: true })
      const past = 40
      for (let i = 0; i < past; i++) {
        const c = await h.member(`c${i}`)
        await c.submit('joinConsortium', { name: `C${i}`, roles: ['consumer'], envelopeKey: key, settings: null })
        const grant = {
          scope: { kind: 'all' as const, version: 0 },
          expiresAt: null,
          maxAccesses: null,
          priceOverride: null,
        }
        await p.submit('grantAccess', { datasetId: ids[0]!, grantee: c.memberId, ...grant, wraps: [] })
        await p.submit('revokeAccess', { datasetId: ids[0]!, grantee: c.memberId })
      }
      const publish = async (datasetId: DatasetId) => {
        const { txId } = await p.submit('publishVersion', {
          datasetId,
          number: 1,
          plaintextDigest: digest,
          merkleRoot: digest,
          size: 10,
          chunkSize: 1024,
          chunkCount: 1,
          header: key,
          keyCommitment: digest,
          location: { store: 'x', address: 'y' },
          wraps: [{ member: p.memberId, wrapped: fakeWrap(1) }],
        })
        const receipt = await anvilRpc<{ gasUsed: string }>(anvil.rpcUrl, 'eth_getTransactionReceipt', [txId])
        return Number(receipt.gasUsed)
      }
      const [withPast, without] = [await publish(ids[0]!), await publish(ids[1]!)]
      console.log(`publishVersion: ${without} gas; after ${past} revoked grants ${withPast} gas`)
      // Reading each past grant would cost at least one cold storage read (2,100 gas) apiece.
      expect(withPast - without).toBeLessThan(past * 2100)
    } finally {
      await h.teardown()
    }
  })

  it('meters a batch of 100 records at no more than 1/20 of a one-record transaction per record', async () => {
    const gas = await measureUsageGas(anvil, { batch: 100, singles: 3, batches: 2 })
    console.log(
      `recordUsage: single ${gas.singleGas} gas, batch ${gas.batchGasPerRecord.toFixed(0)} gas/record ` +
        `(ratio ${gas.ratio.toFixed(1)}); random nonces: single ${gas.randomNonces.singleGas}, ` +
        `batch ${gas.randomNonces.batchGasPerRecord.toFixed(0)} gas/record`,
    )
    expect(gas.ratio).toBeGreaterThanOrEqual(20)
  })

  it('stores payload chunks in logs near the calldata floor', async () => {
    const gas = await measurePayloadGas(anvil)
    console.log(`storePayload: ${gas.gasPerKiB.toFixed(0)} gas/KiB (floor ${gas.floorPerKiB})`)
    expect(gas.gasPerKiB).toBeLessThan(gas.floorPerKiB * 1.25)
  })
})
