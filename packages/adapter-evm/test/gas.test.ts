import { type DatasetId, toDatasetId, toNonce } from '@datapact/core'
import { TERMS, testBytes, versionArgs, world } from '@datapact/core/testing'
import { Interface, toBeHex } from 'ethers'
import { afterAll, describe, expect, it } from 'vitest'
import { datapactAbi, datapactRuntimeSize, datapactViewsRuntimeSize } from '../src/index.js'
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
        const { txId } = await p.submit('publishVersion', versionArgs(datasetId, 1, [p.memberId]))
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

  it('sends every write with at least the gas eth_estimateGas asks for, from one simulated run', async () => {
    const h = await createEvmHarness({ anvil })
    try {
      const w = await world(h)
      const { id } = await w.provider.client.datasets.register({ title: 'g', terms: TERMS, data: testBytes(100) })
      await w.provider.client.datasets.publish(id, testBytes(300))
      await w.provider.client.grants.grant(id, w.consumer.id)
      await w.provider.client.grants.grant(id, w.consumer2.id)
      await w.consumer.client.data.fetch(id)
      const [receipt] = await w.consumer.client.usage.record([{ datasetId: id, version: 1 }])
      const { datasetId, version, bytes, amount, wrapHash } = receipt!.record
      const records = Array.from({ length: 1000 }, (_, i) => ({
        ...{ datasetId, version, bytes, amount, wrapHash },
        nonce: toNonce(`c${i.toString(16).padStart(31, '0')}`),
      }))
      await w.consumer.ledger.submit('recordUsage', { records })
      const chunks = Array.from({ length: 8 }, (_, i) => testBytes(8192, i + 1))
      await w.provider.ledger.submit('storePayload', { upload: '0b'.repeat(32), first: 0, chunks, last: true })
      const statement = await w.consumer.client.billing.statement({ provider: w.provider.id })
      await w.consumer.client.billing.settle(statement)
      await w.provider.client.billing.settle(statement)
      await w.provider.client.grants.revoke(id, w.consumer2.id)
      // The sender took its gas from eth_simulateV1 here (this Anvil runs it); check each limit against the
      // estimate on the state the transaction ran on.
      const view = new Interface(datapactAbi)
      const simulated = await anvilRpc<Array<{ calls: Array<{ status: string }> }>>(anvil.rpcUrl, 'eth_simulateV1', [
        { blockStateCalls: [{ calls: [{ to: h.ledger.address, data: view.encodeFunctionData('deploymentBlock') }] }] },
        'latest',
      ])
      expect(simulated[0]!.calls[0]!.status).toBe('0x1')
      const head = Number(await anvilRpc<string>(anvil.rpcUrl, 'eth_blockNumber'))
      let checked = 0
      for (let b = h.ledger.deploymentBlock + 1; b <= head; b++) {
        const block = await anvilRpc<{ transactions: Array<{ from: string; to: string; input: string; gas: string }> }>(
          anvil.rpcUrl,
          'eth_getBlockByNumber',
          [toBeHex(b), true],
        )
        for (const tx of block.transactions) {
          const call = { from: tx.from, to: tx.to, data: tx.input }
          const estimate = await anvilRpc<string>(anvil.rpcUrl, 'eth_estimateGas', [call, toBeHex(b - 1)])
          expect(BigInt(tx.gas)).toBeGreaterThanOrEqual(BigInt(estimate))
          checked++
        }
      }
      expect(checked).toBeGreaterThanOrEqual(14)
    } finally {
      await h.teardown()
    }
  })

  it('stores payload chunks in logs near the calldata floor', async () => {
    const gas = await measurePayloadGas(anvil)
    console.log(`storePayload: ${gas.gasPerKiB.toFixed(0)} gas/KiB (floor ${gas.floorPerKiB})`)
    expect(gas.gasPerKiB).toBeLessThan(gas.floorPerKiB * 1.25)
  })
})
