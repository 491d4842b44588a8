import { Datapact } from '../client/index.js'
import { generateMemberKeys } from '../crypto/index.js'
import { concatList } from '../internal/bytes.js'
import type { PayloadStore } from '../ledger/index.js'
import { collect, pieces } from './chunks.js'
import { eventCount, type Party, TERMS, testBytes } from './fixtures.js'
import type { LedgerHarness } from './harness.js'
import { bindRunner, type ConformanceRunner } from './runner.js'

/**
 * What a payload store gives {@link describePayloadStoreConformance}: a fresh ledger and, for each member, a
 * store on that member's own node of the same shared store (one IPFS node per member, one mount of a shared
 * folder per member, ...). Every store of one harness has the same `name`.
 */
export interface PayloadStoreHarness {
  /** A fresh, empty ledger for this test. */
  readonly ledger: LedgerHarness
  /** The store as the member labelled `label` (`provider`, `consumer`, `consumer2`, `regulator`) reaches it. */
  store(label: string): PayloadStore
  /** Stops whatever the setup started for this test (the ledger harness included). */
  teardown(): Promise<void>
}

/** Options of {@link describePayloadStoreConformance}. */
export interface PayloadStoreConformanceOptions {
  /** Per-test timeout in ms. Default 60 s. */
  timeout?: number
  /** The test runner's functions; default: the runner's globals (jest, or vitest with `globals: true`). */
  runner?: ConformanceRunner
}

interface StoreWorld {
  provider: Party
  consumer: Party
  consumer2: Party
  regulator: Party
  stores: Record<string, PayloadStore>
}

async function storeWorld(h: PayloadStoreHarness): Promise<StoreWorld> {
  const stores: Record<string, PayloadStore> = {}
  const party = async (label: string): Promise<Party> => {
    const ledger = await h.ledger.member(label)
    const keys = generateMemberKeys()
    const store = h.store(label)
    stores[label] = store
    const client = await Datapact.open({ ledger, keys, stores: [store], defaultStore: store.name })
    return { client, ledger, keys, id: ledger.memberId }
  }
  const provider = await party('provider')
  await provider.client.members.join({ name: 'Provider Ltd', roles: ['provider'] })
  const consumer = await party('consumer')
  const consumer2 = await party('consumer2')
  const regulator = await party('regulator')
  await consumer.client.members.join({ name: 'Consumer One', roles: ['consumer'] })
  await consumer2.client.members.join({ name: 'Consumer Two', roles: ['consumer'] })
  await regulator.client.members.join({ name: 'Regulator', roles: ['regulator'] })
  return { provider, consumer, consumer2, regulator, stores }
}

const concat = concatList

/**
 * The payload-store conformance suite: the {@link PayloadStore} contract (chunks back exactly, in order, only
 * as many as asked; NOT_FOUND for an unknown address), and the client's flows through the store with each
 * member on its own node (register, grant, fetch and stream from the consumer's node, publish from a stream,
 * audit), including a node that serves another payload than the ledger names (INTEGRITY, no usage recorded).
 *
 * @param name - The store and ledger, shown in test titles.
 * @param setup - Creates a fresh ledger and the members' stores for each test.
 * @param options - Timeouts.
 * @example
 * ```ts
 * describePayloadStoreConformance('ipfs on memory', async () => ({
 *   ledger: createMemoryHarness(),
 *   store: label => nodes[label].store(),
 *   teardown: async () => {},
 * }))
 * ```
 */
export function describePayloadStoreConformance(
  name: string,
  setup: () => Promise<PayloadStoreHarness>,
  options: PayloadStoreConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 60_000
  // The runner is injected (no vitest import at load time), so the suite loads in any test runner.
  const { describe, it, expect, beforeEach, afterEach } = bindRunner(options.runner, timeout)
  describe(`payload store conformance: ${name}`, () => {
    let h: PayloadStoreHarness
    let w: StoreWorld
    beforeEach(async () => {
      h = await setup()
      w = await storeWorld(h)
    }, timeout * 2)
    afterEach(async () => {
      await h?.teardown()
    }, timeout)

    describe('the store contract', () => {
      it('gives back exactly the chunks it was given, in order, on another member’s node too', async () => {
        const sizes = [1, 65536 + 16, 0x3000, 17, 1024 * 1024 + 16]
        const chunks = sizes.map((n, i) => testBytes(n, i + 1))
        const address = await w.stores.provider!.put(from(chunks))
        expect(typeof address).toBe('string')
        expect(address).toMatch(/^[\x21-\x7e]{1,128}$/)
        for (const label of ['provider', 'consumer']) {
          const got = await collect(w.stores[label]!.get(address, sizes.length))
          expect(got.map(c => c.length)).toEqual(sizes)
          expect(got.every((c, i) => Buffer.from(c).equals(Buffer.from(chunks[i]!)))).toBe(true)
        }
      })
      it('reads only as many chunks as asked', async () => {
        const address = await w.stores.provider!.put(from([testBytes(10), testBytes(20), testBytes(30)]))
        expect((await collect(w.stores.consumer!.get(address, 2))).map(c => c.length)).toEqual([10, 20])
      })
      it('refuses an address it never gave with NOT_FOUND', async () => {
        for (const address of ['00'.repeat(16), '../../etc/passwd', 'x'])
          await expect(collect(w.stores.consumer!.get(address, 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
      })
    })

    describe('the client through the store', () => {
      it('registers into the store, and a consumer fetches verified and metered from its own node', async () => {
        const data = testBytes(200_000, 3)
        const { id, version } = await w.provider.client.datasets.register({ title: 'Ticks', terms: TERMS, data })
        expect(version?.location.store).toBe(w.stores.provider!.name)
        await w.provider.client.grants.grant(id, w.consumer.id)
        const got = await w.consumer.client.data.fetch(id)
        expect(Buffer.from(got.bytes).equals(Buffer.from(data))).toBe(true)
        expect(got.receipt?.record.amount).toBe(100n)
      })
      it('publishes from a stream and streams the plaintext back, progress to the total', async () => {
        const { id } = await w.provider.client.datasets.register({ title: 'Ticks', terms: TERMS })
        const data = testBytes(700_000, 4)
        const v = await w.provider.client.datasets.publish(id, pieces(data, 7001), { chunkSize: 65536 })
        expect(v.chunkCount).toBe(11)
        await w.provider.client.grants.grant(id, w.consumer.id)
        const progress: Array<{ bytes: number; total?: number }> = []
        const { stream, receipt } = await w.consumer.client.data.stream(id, { onProgress: p => progress.push(p) })
        expect(receipt).not.toBeNull()
        expect(Buffer.from(concat(await collect(stream))).equals(Buffer.from(data))).toBe(true)
        expect(progress.at(-1)).toMatchObject({ bytes: data.length, total: data.length })
        expect(progress.every(p => p.total === data.length)).toBe(true)
      })
      it('lets the regulator audit every payload through its own node', async () => {
        const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(5000, 5) })
        await w.provider.client.datasets.publish(id, testBytes(6000, 6))
        const report = await w.regulator.client.audit.verify({ payloads: true })
        expect(report.violations).toEqual([])
        expect(report).toMatchObject({ ok: true, versions: 2, payloadsChecked: 2 })
      })
      it('refuses a node serving another payload than the ledger names with INTEGRITY, before any usage', async () => {
        const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(9000, 1) })
        const v2 = await w.provider.client.datasets.publish(id, testBytes(9000, 2))
        const v1 = await w.provider.client.datasets.version(id, 1)
        await w.provider.client.grants.grant(id, w.consumer.id)
        // The consumer's own node, answering every read with version 1's (real, well-formed) ciphertext.
        const real = w.stores.consumer!
        const lying: PayloadStore = {
          name: real.name,
          put: chunks => real.put(chunks),
          get: (_address, count) => real.get(v1.location.address, count),
        }
        const client = await Datapact.open({ ledger: w.consumer.ledger, keys: w.consumer.keys, stores: [lying] })
        const before = await eventCount(w.consumer.ledger)
        await expect(client.data.fetch(id, { version: v2.number })).rejects.toMatchObject({ code: 'INTEGRITY' })
        await expect(client.data.stream(id, { version: v2.number })).rejects.toMatchObject({ code: 'INTEGRITY' })
        expect(await eventCount(w.consumer.ledger)).toBe(before)
        expect(await w.consumer.client.usage.list({ datasetId: id })).toEqual([])
      })
    })
  })
}

async function* from(chunks: Uint8Array[]) {
  yield* chunks
}
