import { randomBytes } from 'node:crypto'
import { createNonceSequence, type LedgerAdapter, type Nonce, toDatasetId, toDigest, toNonce } from '@datapact/core'
import type { WriteArgs } from '@datapact/core/rules'
import type { AnvilInstance } from './anvil.js'
import { anvilRpc, createEvmHarness } from './harness.js'

/** Gas and throughput of metering on the EVM ledger. */
export interface UsageGas {
  /** Gas of a one-record `recordUsage` transaction, steady state (median). */
  singleGas: number
  /** Gas per record of a `batch`-record transaction (each batch starting a fresh nonce word: the worst case). */
  batchGasPerRecord: number
  /** singleGas / batchGasPerRecord. */
  ratio: number
  /** The same two figures with random nonces (one fresh storage slot per record). */
  randomNonces: { singleGas: number; batchGasPerRecord: number }
  /** Records per second batched, and one-record transactions per second, end to end through the client. */
  recordsPerSecond: number
  singlesPerSecond: number
}

/** Gas of storing payload chunks in the ledger (`storePayload`). */
export interface PayloadGas {
  /** Gas per KiB of random (incompressible) ciphertext, transaction base cost excluded. */
  gasPerKiB: number
  /** Cost floor per KiB: calldata (16 gas/byte) + log data (8 gas/byte); from Prague on, the EIP-7623 floor (40 gas/byte). */
  floorPerKiB: number
  /** KiB stored per transaction in the measurement. */
  kibPerTransaction: number
}

const ID = /* @__PURE__ */ toDatasetId('5a'.repeat(32))
const SIZE = 1000
const ENVELOPE = /* @__PURE__ */ toDigest(new Uint8Array(32).fill(1))
/** A key wrap of the shape the contract accepts (it opens for nobody). */
const WRAP = Uint8Array.from([
  0x44,
  0x50,
  0x4b,
  0x57,
  0x01,
  0x00,
  0x20,
  0x00,
  0x01,
  0x00,
  0x03,
  ...new Uint8Array(80).fill(1),
])

async function gasOf(rpcUrl: string, txId: string): Promise<number> {
  return Number((await anvilRpc<{ gasUsed: string }>(rpcUrl, 'eth_getTransactionReceipt', [txId])).gasUsed)
}

async function setUp(anvil: AnvilInstance): Promise<{
  provider: LedgerAdapter
  consumer: LedgerAdapter
  teardown: () => Promise<void>
}> {
  const h = await createEvmHarness({ anvil })
  const provider = await h.member('provider')
  const consumer = await h.member('consumer')
  await provider.submit('joinConsortium', { name: 'P', roles: ['provider'], envelopeKey: ENVELOPE, settings: null })
  await consumer.submit('joinConsortium', { name: 'C', roles: ['consumer'], envelopeKey: ENVELOPE, settings: null })
  return { provider, consumer, teardown: () => h.teardown() }
}

const PRE_PRAGUE =
  /^(frontier|homestead|dao|tangerine|spurious|byzantium|constantinople|petersburg|istanbul|muirglacier|berlin|london|arrowglacier|grayglacier|paris|merge|shanghai|cancun)/i

/**
 * The least gas 1 KiB of incompressible payload can cost when carried in calldata and kept in a log: 16 gas per
 * calldata byte + 8 per log byte, or from Prague on (EIP-7623) the calldata floor of 40 gas per non-zero byte.
 */
async function payloadFloorPerKiB(anvil: AnvilInstance): Promise<number> {
  const info = await anvilRpc<{ hardFork?: string }>(anvil.rpcUrl, 'anvil_nodeInfo').catch(() => ({ hardFork: '' }))
  const eip7623 = !PRE_PRAGUE.test(info.hardFork ?? '')
  return eip7623 ? 40 * 1024 : (16 + 8) * 1024
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** A consumer with a grant on a published dataset, and usage records of it. */
async function setUpUsage(anvil: AnvilInstance): Promise<{
  consumer: LedgerAdapter
  record: (nonce: Nonce) => WriteArgs['recordUsage']['records'][number]
  teardown: () => Promise<void>
}> {
  const { provider, consumer, teardown } = await setUp(anvil)
  try {
    const metadata = { title: 'Gas', description: '', tags: [], mediaType: '', schema: '' }
    const terms = { pricePerAccess: 100n, pricePerByte: 1n, currency: 'CNY', licence: '' }
    await provider.submit('registerDataset', { datasetId: ID, metadata, terms, listed: true })
    await provider.submit('publishVersion', {
      datasetId: ID,
      number: 1,
      plaintextDigest: ENVELOPE,
      merkleRoot: ENVELOPE,
      size: SIZE,
      chunkSize: 1024,
      chunkCount: 1,
      header: ENVELOPE,
      keyCommitment: ENVELOPE,
      location: { store: 'external', address: 'x' },
      wraps: [{ member: provider.memberId, wrapped: WRAP }],
    })
    const g = { scope: { kind: 'all' as const, version: 0 }, expiresAt: null, maxAccesses: null, priceOverride: null }
    await provider.submit('grantAccess', {
      datasetId: ID,
      grantee: consumer.memberId,
      ...g,
      wraps: [{ version: 1, wrapped: WRAP }],
    })
    const record = (nonce: Nonce) => ({
      datasetId: ID,
      version: 1,
      bytes: SIZE,
      amount: 100n + BigInt(SIZE),
      nonce,
      wrapHash: ENVELOPE,
    })
    return { consumer, record, teardown }
  } catch (e) {
    await teardown()
    throw e
  }
}

/**
 * Measures `recordUsage` on a fresh contract: one-record transactions against batches of `batch` records.
 *
 * @param anvil - The node.
 * @param options - Batch size (100), how many one-record transactions (8) and batches (3) to time.
 * @returns Gas and throughput figures.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the node fails a call.
 */
export async function measureUsageGas(
  anvil: AnvilInstance,
  options: { batch?: number; singles?: number; batches?: number } = {},
): Promise<UsageGas> {
  const { batch = 100, singles = 8, batches = 3 } = options
  const { consumer, record, teardown } = await setUpUsage(anvil)
  try {
    const submit = async (records: WriteArgs['recordUsage']['records']) =>
      gasOf(anvil.rpcUrl, (await consumer.submit('recordUsage', { records })).txId)
    const next = createNonceSequence()
    await submit([record(next())]) // first use: creates the totals slot and the first nonce word
    const singleGas: number[] = []
    let t = performance.now()
    for (let i = 0; i < singles; i++) singleGas.push(await submit([record(next())]))
    const singlesPerSecond = singles / ((performance.now() - t) / 1000)
    const batchGas: number[] = []
    t = performance.now()
    for (let b = 0; b < batches; b++) {
      const fresh = createNonceSequence()
      batchGas.push(await submit(Array.from({ length: batch }, () => record(fresh()))))
    }
    const recordsPerSecond = (batch * batches) / ((performance.now() - t) / 1000)
    const random = () => toNonce(randomBytes(16).toString('hex'))
    const randomSingle = await submit([record(random())])
    const randomBatch = await submit(Array.from({ length: batch }, () => record(random())))
    const single = median(singleGas)
    const perRecord = batchGas.reduce((a, b) => a + b, 0) / batches / batch
    return {
      singleGas: single,
      batchGasPerRecord: perRecord,
      ratio: single / perRecord,
      randomNonces: { singleGas: randomSingle, batchGasPerRecord: randomBatch / batch },
      recordsPerSecond,
      singlesPerSecond,
    }
  } finally {
    await teardown()
  }
}

/**
 * Measures `storePayload` of random chunks: gas per KiB beyond the transaction base cost, and its floor.
 *
 * @param anvil - The node.
 * @param options - KiB per transaction (64) and chunk size in KiB (8).
 * @returns Gas per KiB and the floor.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the node fails a call.
 */
export async function measurePayloadGas(
  anvil: AnvilInstance,
  options: { kib?: number; chunkKiB?: number } = {},
): Promise<PayloadGas> {
  const { kib = 64, chunkKiB = 8 } = options
  const { provider, teardown } = await setUp(anvil)
  try {
    const chunks = (n: number) => Array.from({ length: n }, () => new Uint8Array(randomBytes(chunkKiB * 1024)))
    const store = async (upload: string, n: number) =>
      gasOf(
        anvil.rpcUrl,
        (await provider.submit('storePayload', { upload, first: 0, chunks: chunks(n), last: true })).txId,
      )
    // Two sizes, so the fixed part (base cost, new upload record, batch entry) cancels out.
    const small = await store('01'.repeat(32), 1)
    const large = await store('02'.repeat(32), kib / chunkKiB)
    const gasPerKiB = (large - small) / (kib - chunkKiB)
    return { gasPerKiB, floorPerKiB: await payloadFloorPerKiB(anvil), kibPerTransaction: kib }
  } finally {
    await teardown()
  }
}

/** Usage throughput by batch size, measured in one run. */
export interface UsageThroughput {
  /** Records per second for each batch size, end to end through the client (submit resolves once mined). */
  recordsPerSecond: Record<number, number>
  /** Records submitted per batch size. */
  records: number
}

/**
 * Measures how many usage records per second `submit('recordUsage')` commits in batches of each size: the same
 * number of records per size, on one contract, in alternating rounds so that a load change on the machine affects
 * every size alike. Each batch starts a fresh nonce word (the worst case for gas).
 *
 * @param anvil - The node.
 * @param options - The batch sizes (100 and 1000) and the records per size and round (1000), rounds (2).
 * @returns Records per second per batch size.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the node fails a call;
 *   INVALID_INPUT when a batch size exceeds the ledger's 1000-record batch limit.
 */
export async function measureUsageThroughput(
  anvil: AnvilInstance,
  options: { sizes?: number[]; records?: number; rounds?: number } = {},
): Promise<UsageThroughput> {
  const { sizes = [100, 1000], records = 1000, rounds = 2 } = options
  const { consumer, record, teardown } = await setUpUsage(anvil)
  try {
    const first = createNonceSequence()
    await consumer.submit('recordUsage', { records: [record(first())] }) // creates the totals slot
    const elapsed = new Map(sizes.map(size => [size, 0]))
    for (let round = 0; round < rounds; round++) {
      for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
        const t = performance.now()
        for (let done = 0; done < records; done += size) {
          const fresh = createNonceSequence()
          const n = Math.min(size, records - done)
          await consumer.submit('recordUsage', { records: Array.from({ length: n }, () => record(fresh())) })
        }
        elapsed.set(size, elapsed.get(size)! + performance.now() - t)
      }
    }
    const recordsPerSecond: Record<number, number> = {}
    for (const [size, ms] of elapsed) recordsPerSecond[size] = (records * rounds) / (ms / 1000)
    return { recordsPerSecond, records: records * rounds }
  } finally {
    await teardown()
  }
}
