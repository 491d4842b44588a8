/**
 * EVM ledger benchmarks on a local Anvil: gas per usage record in a batch against a one-record transaction,
 * metering throughput (batched against one-record transactions, and batches of 1000 against batches of 100), and the
 * gas of payload chunks kept on the ledger (calldata + event logs).
 */
import type { BenchContext, BenchRow } from './run.js'
import { throughputRow } from './timing.js'

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  // The contract's ABI and bytecode are generated from the Solidity sources; make sure they are current first.
  const { compile } = await import('../packages/adapter-evm/scripts/compile.js')
  await compile()
  const { measurePayloadGas, measureUsageGas, measureUsageThroughput, startAnvil } = await import(
    '../packages/adapter-evm/src/testing/index.js'
  )
  const anvil = await startAnvil({ persistent: false })
  try {
    ctx.log('recordUsage: 10 one-record transactions, 5 batches of 100 records')
    const usage = await measureUsageGas(anvil, { batch: 100, singles: 10, batches: 5 })
    ctx.log(
      `random 16-byte nonces instead: ${usage.randomNonces.batchGasPerRecord.toFixed(0)} gas/record in a batch, ` +
        `${usage.randomNonces.singleGas} gas alone`,
    )
    ctx.log('recordUsage throughput: 6 rounds of 2000 records in batches of 100 and of 1000, alternating')
    const throughput = await measureUsageThroughput(anvil, { sizes: [100, 1000], records: 2000, rounds: 6 })
    const [per100, per1000] = [throughput.recordsPerSecond[100]!, throughput.recordsPerSecond[1000]!]
    ctx.log(`batches of 100: ${per100.toFixed(0)} records/s; batches of 1000: ${per1000.toFixed(0)} records/s`)
    ctx.log('storePayload: 8 and 64 KiB of random chunks')
    const payload = await measurePayloadGas(anvil, { kib: 64, chunkKiB: 8 })
    return [
      {
        name: 'evm usage batch gas/record',
        value: usage.batchGasPerRecord,
        unit: 'gas',
        baseline: usage.singleGas,
        ratio: usage.singleGas / usage.batchGasPerRecord,
        note: 'batch of 100 vs a one-record tx; ratio = baseline / value (cost), target >= 20',
      },
      {
        name: 'evm usage records/s',
        value: usage.recordsPerSecond,
        unit: 'records/s',
        baseline: usage.singlesPerSecond,
        ratio: usage.recordsPerSecond / usage.singlesPerSecond,
        note: 'batches of 100 on Anvil vs one-record txs/s; ratio = value / baseline (throughput)',
      },
      throughputRow(
        'evm usage records/s batch 100',
        per100,
        'records/s',
        per1000,
        `batches of 100, ${throughput.records} records; baseline = batches of 1000 in the same run (next row)`,
      ),
      throughputRow(
        'evm usage records/s batch 1000',
        per1000,
        'records/s',
        per100,
        `batches of 1000 vs batches of 100, ${throughput.records} records each, same run; ratio = value / baseline, target >= 1`,
      ),
      {
        name: 'evm publish gas/KiB',
        value: payload.gasPerKiB,
        unit: 'gas/KiB',
        baseline: payload.floorPerKiB,
        ratio: payload.floorPerKiB / payload.gasPerKiB,
        note: 'payload chunks in calldata + logs; baseline = calldata+log floor (EIP-7623 from Prague); ratio = baseline / value',
      },
    ]
  } finally {
    await anvil.stop()
  }
}
