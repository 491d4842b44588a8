import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { metrics, trace } from '@opentelemetry/api'
import { Datapact, LedgerPayloadStore, type Statement } from '../client/index.js'
import { createMemberKeys, generateMemberKeys, lockKeystore, unlockKeystore } from '../crypto/index.js'
import type { DatasetId } from '../domain/index.js'
import { type DatapactErrorCode, isDatapactError } from '../errors.js'
import { bytesToHex } from '../internal/bytes.js'
import { MemoryIndexStore } from '../ledgerIndex/index.js'
import { ensureMember, openKeystore, saveKeystore, toNodeReadable, toWebStream } from '../service/index.js'
import { FileSystemPayloadStore } from '../stores/fileSystemStore.js'
import { MemoryPayloadStore } from '../stores/memoryStore.js'
import { fastCheck } from './fastCheck.js'
import { TERMS, testBytes, type World, world } from './fixtures.js'
import type { LedgerHarness } from './harness.js'
import { datasetEntity, grantEntity, usagePage } from './indexStoreConformance.js'
import { refusal } from './ledgerSweep.js'
import { applyMutation, at, describeMutation, type Mutation, mutation } from './malformed.js'
import { bindRunner, type ConformanceRunner } from './runner.js'

/** What the client sweep's table may refer to: a world with one dataset, a grant, a metered fetch, a statement. */
export interface ClientFixture {
  w: World
  datasetId: DatasetId
  statement: Statement
  keystore: string
  storeAddress: string
  memoryStore: MemoryPayloadStore
  fsStore: FileSystemPayloadStore
  /** An index store holding one page, at cursor `first`. */
  index: MemoryIndexStore
}

/** One public entry point: who calls it, with which valid arguments, and how it refuses malformed ones. */
export interface ClientEntryPoint {
  /** Valid arguments; the sweep makes one of them malformed at a time. */
  args: (f: ClientFixture) => unknown[]
  /** Calls the entry point. */
  call: (f: ClientFixture, args: unknown[]) => unknown
  /** The documented code of a refusal (default INVALID_INPUT). */
  code?: DatapactErrorCode
  /** A synchronous function (a constructor or a factory): it throws the typed error instead of rejecting. */
  sync?: true
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {}

/** A logger that drops everything (a class instance: the sweep replaces it whole, never edits inside it). */
class SilentLogger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
}

const client = (f: ClientFixture, who: 'provider' | 'consumer' = 'provider') => f.w[who].client
const FAR = 4_000_000_000

/**
 * The table of the client-side public entry points: every method of every area of {@link Datapact}, `Datapact.open`,
 * the bundled stores and the key functions. `CLIENT_WITHOUT_INPUT` lists the methods that take no caller input.
 * A method that is in neither fails the completeness test.
 */
export const CLIENT_ENTRY_POINTS: Record<string, ClientEntryPoint> = {
  'Datapact.open': {
    args: f => [
      {
        ledger: f.w.consumer.ledger,
        keys: f.w.consumer.keys,
        stores: [f.w.store],
        defaultStore: 'shared',
        index: new MemoryIndexStore(),
        logger: new SilentLogger(),
        tracerProvider: trace.getTracerProvider(),
        meterProvider: metrics.getMeterProvider(),
      },
    ],
    call: (_f, [o]) => Datapact.open(o as never),
  },
  'members.join': {
    args: () => [{ name: 'Again', roles: ['consumer'] }],
    call: (f, a) => client(f, 'consumer').members.join(a[0] as never),
  },
  'members.get': { args: f => [f.w.consumer.id], call: (f, a) => client(f).members.get(a[0] as never) },
  'members.admit': {
    args: () => ['mem:future', ['consumer']],
    call: (f, a) => client(f).members.admit(a[0] as never, a[1] as never),
  },
  'members.setRoles': {
    args: f => [f.w.consumer.id, ['consumer']],
    call: (f, a) => client(f).members.setRoles(a[0] as never, a[1] as never),
  },
  'members.rotateEnvelopeKey': {
    args: () => [generateMemberKeys()],
    call: (f, a) => client(f, 'consumer').members.rotateEnvelopeKey(a[0] as never),
  },
  'members.updateSettings': {
    args: () => [{ admission: 'open', regulatorEscrow: null, periodSeconds: 86400 }],
    call: (f, a) => client(f).members.updateSettings(a[0] as never),
  },
  'datasets.register': {
    args: () => [
      {
        title: 'T',
        tags: ['a'],
        terms: { ...TERMS },
        data: testBytes(1500),
        chunkSize: 1024,
        store: 'shared',
        signal: new AbortController().signal,
      },
    ],
    call: (f, a) => client(f).datasets.register(a[0] as never),
  },
  'datasets.publish': {
    args: f => [
      f.datasetId,
      testBytes(1500),
      { chunkSize: 1024, store: 'shared', signal: new AbortController().signal },
    ],
    call: (f, a) => client(f).datasets.publish(a[0] as never, a[1] as never, a[2] as never),
  },
  'datasets.update': {
    args: f => [f.datasetId, { title: 'New', terms: { pricePerAccess: 5n } }],
    call: (f, a) => client(f).datasets.update(a[0] as never, a[1] as never),
  },
  'datasets.retire': { args: f => [f.datasetId], call: (f, a) => client(f).datasets.retire(a[0] as never) },
  'datasets.get': { args: f => [f.datasetId], call: (f, a) => client(f).datasets.get(a[0] as never) },
  'datasets.catalog': {
    args: f => [{ owner: f.w.provider.id, tag: 'a', includeUnlisted: true }],
    call: (f, a) => client(f).datasets.catalog(a[0] as never),
  },
  'datasets.catalogPage': {
    args: f => [{ owner: f.w.provider.id, tag: 'a', includeUnlisted: true, limit: 10, cursor: f.datasetId }],
    call: (f, a) => client(f).datasets.catalogPage(a[0] as never),
  },
  'datasets.history': { args: f => [f.datasetId], call: (f, a) => client(f).datasets.history(a[0] as never) },
  'datasets.version': {
    args: f => [f.datasetId, 1],
    call: (f, a) => client(f).datasets.version(a[0] as never, a[1] as never),
  },
  'grants.grant': {
    args: f => [f.datasetId, f.w.consumer2.id, { scope: { from: 1 }, expiresAt: FAR, maxAccesses: 5, price: 1n }],
    call: (f, a) => client(f).grants.grant(a[0] as never, a[1] as never, a[2] as never),
  },
  'grants.grantMany': {
    args: f => [f.datasetId, [f.w.consumer2.id], { scope: { exactly: 1 }, expiresAt: FAR, maxAccesses: 5 }],
    call: (f, a) => client(f).grants.grantMany(a[0] as never, a[1] as never, a[2] as never),
  },
  'grants.revoke': {
    args: f => [f.datasetId, f.w.consumer.id],
    call: (f, a) => client(f).grants.revoke(a[0] as never, a[1] as never),
  },
  'grants.acceptTerms': {
    args: f => [f.datasetId, { pricePerAccess: TERMS.pricePerAccess, pricePerByte: 0n, currency: TERMS.currency }],
    call: (f, a) => client(f, 'consumer').grants.acceptTerms(a[0] as never, a[1] as never),
  },
  'grants.get': {
    args: f => [f.datasetId, f.w.consumer.id],
    call: (f, a) => client(f).grants.get(a[0] as never, a[1] as never),
  },
  'grants.list': {
    args: f => [{ datasetId: f.datasetId, grantee: f.w.consumer.id }],
    call: (f, a) => client(f).grants.list(a[0] as never),
  },
  'grants.listPage': {
    args: f => [
      { datasetId: f.datasetId, grantee: f.w.consumer.id, limit: 10, cursor: `${f.datasetId}/${f.w.consumer.id}` },
    ],
    call: (f, a) => client(f).grants.listPage(a[0] as never),
  },
  'data.fetch': {
    args: f => [
      f.datasetId,
      {
        version: 1,
        onProgress: () => undefined,
        maxAmount: 1000n,
        nonce: 'ef'.repeat(16),
        signal: new AbortController().signal,
      },
    ],
    call: (f, a) => client(f, 'consumer').data.fetch(a[0] as never, a[1] as never),
  },
  'data.stream': {
    args: f => [f.datasetId, { version: 1, onProgress: () => undefined, signal: new AbortController().signal }],
    call: (f, a) => client(f, 'consumer').data.stream(a[0] as never, a[1] as never),
  },
  'usage.record': {
    args: f => [[{ datasetId: f.datasetId, version: 1, nonce: 'ab'.repeat(16), maxAmount: 1000n }]],
    call: (f, a) => client(f, 'consumer').usage.record(a[0] as never),
  },
  'usage.list': {
    args: f => [{ datasetId: f.datasetId, provider: f.w.provider.id, consumer: f.w.consumer.id, period: 0 }],
    call: (f, a) => client(f).usage.list(a[0] as never),
  },
  'usage.listPage': {
    args: f => [
      {
        datasetId: f.datasetId,
        provider: f.w.provider.id,
        consumer: f.w.consumer.id,
        period: 0,
        limit: 5,
        cursor: 'u0',
      },
    ],
    call: (f, a) => client(f).usage.listPage(a[0] as never),
  },
  'billing.statement': {
    args: f => [{ provider: f.w.provider.id, currency: 'CNY', period: f.statement.period }],
    call: (f, a) => client(f, 'consumer').billing.statement(a[0] as never),
  },
  'billing.settle': {
    args: f => [f.statement],
    call: (f, a) => client(f, 'consumer').billing.settle(a[0] as never),
  },
  'billing.totals': {
    args: f => [{ provider: f.w.provider.id, consumer: f.w.consumer.id, period: 0, currency: 'CNY' }],
    call: (f, a) => client(f).billing.totals(a[0] as never),
  },
  'billing.settlement': {
    args: f => [{ provider: f.w.provider.id, consumer: f.w.consumer.id, period: 0, currency: 'CNY' }],
    call: (f, a) => client(f).billing.settlement(a[0] as never),
  },
  'events.on': {
    args: () => ['UsageRecorded', () => undefined, { after: null, onError: () => undefined }],
    call: (f, a) => client(f).events.on(a[0] as never, a[1] as never, a[2] as never)(),
    sync: true,
  },
  'events.stream': {
    args: () => [{ types: ['UsageRecorded', 'AccessGranted'], after: null }],
    call: (f, a) =>
      void client(f)
        .events.stream(a[0] as never)
        .return?.(),
    sync: true,
  },
  'audit.verify': {
    args: () => [{ payloads: false, full: true, signal: new AbortController().signal }],
    call: (f, a) => client(f).audit.verify(a[0] as never),
  },
  'members.listPage': {
    args: f => [{ limit: 10, cursor: f.w.consumer.id }],
    call: (f, a) => client(f).members.listPage(a[0] as never),
  },
  'MemoryPayloadStore.constructor': {
    args: () => ['name'],
    call: (_f, a) => new MemoryPayloadStore(a[0] as never),
    sync: true,
  },
  'MemoryPayloadStore.put': { args: () => [[new Uint8Array(4)]], call: (f, a) => f.memoryStore.put(a[0] as never) },
  'MemoryPayloadStore.get': {
    args: f => [f.storeAddress, 1],
    call: async (f, a) => {
      for await (const _ of f.memoryStore.get(a[0] as never, a[1] as never));
    },
  },
  'FileSystemPayloadStore.constructor': {
    args: () => ['/tmp/x', 'fs'],
    call: (_f, a) => new FileSystemPayloadStore(a[0] as never, a[1] as never),
    sync: true,
  },
  'FileSystemPayloadStore.put': { args: () => [[new Uint8Array(4)]], call: (f, a) => f.fsStore.put(a[0] as never) },
  'FileSystemPayloadStore.get': {
    args: () => ['ab'.repeat(16), 1],
    call: async (f, a) => {
      for await (const _ of f.fsStore.get(a[0] as never, a[1] as never));
    },
  },
  'MemoryIndexStore.append': {
    args: () => [
      'first',
      usagePage(1, [5n, null]).map(e => ({ ...e, cursor: `${e.cursor}x` })),
      'second',
      [datasetEntity('ab'.repeat(32) as DatasetId), grantEntity('ab'.repeat(32) as DatasetId, 'mem:b', 1)],
    ],
    call: (f, a) => f.index.append(a[0] as never, a[1] as never, a[2] as never, a[3] as never),
  },
  'MemoryIndexStore.usage': {
    args: f => [{ provider: f.w.provider.id, consumer: f.w.consumer.id, period: 2, afterSeq: 0, limit: 5 }],
    call: (f, a) => f.index.usage(a[0] as never),
  },
  'MemoryIndexStore.entities': {
    args: () => ['grant', `${'ab'.repeat(32)}/`],
    call: (f, a) => f.index.entities(a[0] as never, a[1] as never),
  },
  'MemoryIndexStore.currencies': {
    args: f => [{ provider: f.w.provider.id, consumer: f.w.consumer.id, period: 2 }],
    call: (f, a) => f.index.currencies(a[0] as never),
  },
  'LedgerPayloadStore.constructor': {
    args: f => [f.w.provider.ledger],
    call: (_f, a) => new LedgerPayloadStore(a[0] as never),
    sync: true,
  },
  'LedgerPayloadStore.put': {
    args: () => [[new Uint8Array(4)]],
    call: (f, a) => new LedgerPayloadStore(f.w.provider.ledger).put(a[0] as never),
  },
  'LedgerPayloadStore.get': {
    args: () => ['ab'.repeat(32), 1],
    call: async (f, a) => {
      for await (const _ of new LedgerPayloadStore(f.w.provider.ledger).get(a[0] as never, a[1] as never));
    },
    code: 'INVALID_INPUT',
  },
  lockKeystore: {
    args: () => [generateMemberKeys(), 'passphrase', { N: 1024 }],
    call: (_f, a) => lockKeystore(a[0] as never, a[1] as never, a[2] as never),
  },
  unlockKeystore: {
    args: f => [f.keystore, 'passphrase'],
    call: (_f, a) => unlockKeystore(a[0] as never, a[1] as never),
  },
  ensureMember: {
    args: f => [client(f, 'consumer'), { name: 'Consumer', roles: ['consumer'] }],
    call: (_f, a) => ensureMember(a[0] as never, a[1] as never),
  },
  openKeystore: {
    args: () => [join(tmpdir(), 'datapact-sweep-none.keystore.json'), { passphrase: 'p', passphraseEnv: 'SWEEP_PASS' }],
    call: (_f, a) => openKeystore(a[0] as never, a[1] as never),
  },
  saveKeystore: {
    args: () => [
      join(tmpdir(), 'datapact-sweep-never.keystore.json'),
      generateMemberKeys(),
      { passphrase: 'p', N: 1024 },
    ],
    call: (_f, a) => saveKeystore(a[0] as never, a[1] as never, a[2] as never),
  },
  toNodeReadable: {
    args: () => [emptyStream()],
    call: (_f, a) => toNodeReadable(a[0] as never),
    sync: true,
  },
  toWebStream: {
    args: () => [emptyStream()],
    call: (_f, a) => toWebStream(a[0] as never),
    sync: true,
  },
  generateMemberKeys: {
    args: () => [{ signing: 'ed25519' }],
    call: (_f, a) => generateMemberKeys(a[0] as never),
    sync: true,
  },
  createMemberKeys: {
    args: () => [{ envelopeSecretKey: new Uint8Array(32).fill(3) }],
    call: (_f, a) => createMemberKeys(a[0] as never),
    sync: true,
  },
}

/** Client methods that take no caller input (nothing to sweep); listed so that the completeness test knows them. */
export const CLIENT_WITHOUT_INPUT = [
  'members.me',
  'members.list',
  'members.leave',
  'members.settings',
  'Datapact.close',
] as const

/** Every public method of a client, by reflection: `area.method` for each area, plus `Datapact.open` / `close`. */
export function clientMethods(c: Datapact): string[] {
  const out = ['Datapact.open', 'Datapact.close']
  for (const [area, value] of Object.entries(c)) {
    if (typeof value !== 'object' || value === null) continue
    const proto = Object.getPrototypeOf(value)
    const names =
      proto === Object.prototype
        ? Object.keys(value)
        : Object.getOwnPropertyNames(proto).filter(n => n !== 'constructor' && !n.startsWith('#'))
    for (const n of names) out.push(`${area}.${n}`)
  }
  return out.sort()
}

/** Options of {@link describeClientInputSweep}. */
export interface ClientSweepOptions {
  /** Runs per entry point (pinned; default 15). */
  numRuns?: number
  /** fast-check seed, for a reproducible run. */
  seed?: number
  /** Per-test timeout in ms. Default 120 s. */
  timeout?: number
  /** The test runner's functions (with `beforeAll` / `afterAll`); default: the runner's globals. */
  runner?: ConformanceRunner
  /** Bytes of everything the ledger holds (compared before and after each entry point's runs). */
  snapshot?: (h: LedgerHarness) => Promise<Uint8Array> | Uint8Array
}

/**
 * The bad-input sweep of the client-side entry points ({@link CLIENT_ENTRY_POINTS}): generated malformed arguments
 * at every position and inside every argument are refused with the documented code, never thrown synchronously
 * (except by the synchronous constructors and factories, which throw it), and leave the ledger and the stores
 * byte-identical.
 */
export function describeClientInputSweep(
  name: string,
  setup: () => Promise<LedgerHarness>,
  options: ClientSweepOptions = {},
): void {
  const numRuns = options.numRuns ?? 15
  const timeout = options.timeout ?? 120_000
  const params = { numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) }
  // The runner is injected and fast-check required here, not imported: `@datapact/core/testing` loads without them.
  const { describe, it, expect, beforeAll, afterAll } = bindRunner(options.runner, timeout)
  const fc = fastCheck()
  describe(`bad-input sweep (client): ${name}`, () => {
    let h: LedgerHarness
    let f: ClientFixture
    let dir: string
    beforeAll(async () => {
      h = await setup()
      const w = await world(h)
      const { id } = await w.provider.client.datasets.register({
        title: 'T',
        tags: ['a'],
        terms: TERMS,
        data: testBytes(1500),
        chunkSize: 1024,
        store: 'shared',
      })
      await w.provider.client.grants.grant(id, w.consumer.id)
      await w.consumer.client.data.fetch(id)
      const statement = await w.consumer.client.billing.statement({ provider: w.provider.id })
      dir = mkdtempSync(join(tmpdir(), 'datapact-sweep-'))
      const memoryStore = new MemoryPayloadStore('sweep')
      const storeAddress = await memoryStore.put(
        (async function* () {
          yield new Uint8Array(4)
        })(),
      )
      f = {
        w,
        datasetId: id,
        statement,
        keystore: await lockKeystore(generateMemberKeys(), 'passphrase', { N: 1024 }),
        storeAddress,
        memoryStore,
        fsStore: new FileSystemPayloadStore(dir, 'fs'),
        index: new MemoryIndexStore(),
      }
      await f.index.append(null, usagePage(0, [1n]), 'first')
    }, timeout)
    afterAll(async () => {
      if (dir) rmSync(dir, { recursive: true, force: true })
      await h?.teardown()
    }, timeout)

    it('the table covers every public method of the client (a new one fails here until it is in the table)', () => {
      const tabled = [
        ...Object.keys(CLIENT_ENTRY_POINTS).filter(k => /^[a-z]+\.|^Datapact\./.test(k) && !k.includes('Store.')),
        ...CLIENT_WITHOUT_INPUT,
      ]
      expect(tabled.sort()).toEqual(clientMethods(f.w.provider.client))
    })

    const state = async () => {
      const ledger = options.snapshot ? bytesToHex(await options.snapshot(h)) : ''
      const stores = [f.w.store.snapshot(), f.memoryStore.snapshot()].map(bytesToHex).join('/')
      const index = JSON.stringify(
        [await f.index.position(), await f.index.usage({}), await f.index.entities('dataset')],
        (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v),
      )
      return `${ledger}|${stores}|${index}`
    }

    for (const [entry, e] of Object.entries(CLIENT_ENTRY_POINTS))
      it(`${entry}: malformed arguments are ${e.code ?? 'INVALID_INPUT'} and change nothing`, async () => {
        const before = await state()
        const valid = e.args(f)
        const position = fc.nat({ max: valid.length - 1 }).chain(i => fc.tuple(fc.constant(i), mutation(valid[i])))
        await fc.assert(
          fc.asyncProperty(position, async ([i, m]: [number, Mutation]) => {
            // A function where a function is expected is no malformed value.
            if (
              m.kind === 'replace' &&
              typeof m.with.value === 'function' &&
              typeof at(valid[i], m.path) === 'function'
            )
              return
            const args = valid.map((a, j) => (j === i ? applyMutation(a, m) : a))
            const problem = e.sync
              ? syncRefusal(() => e.call(f, args), e.code)
              : await refusal(() => e.call(f, args), e.code)
            if (problem) throw new Error(`${entry} with argument ${i}: ${describeMutation(m)} ${problem}`)
          }),
          params,
        )
        expect(await state()).toBe(before)
      })
  })
}

/** Like {@link refusal} for synchronous constructors and factories: they throw the typed error. */
function syncRefusal(call: () => unknown, code: DatapactErrorCode = 'INVALID_INPUT'): string | null {
  try {
    call()
    return 'was accepted'
  } catch (e) {
    return isDatapactError(e, code) ? null : `threw ${e instanceof Error ? `${e.name}: ${e.message}` : typeof e}`
  }
}
