import { afterAll, describe, expect, it } from 'vitest'
import { datapactRuntimeSize } from '../src/index.js'
import { measurePayloadGas, measureUsageGas, startAnvil } from '../src/testing/index.js'

const anvil = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

describe('gas', () => {
  it('fits the deployed contract under the EIP-170 limit', () => {
    expect(datapactRuntimeSize).toBeLessThanOrEqual(24_576)
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
