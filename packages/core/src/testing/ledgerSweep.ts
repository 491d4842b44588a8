import { readAllEvents } from '../client/events.js'
import { toDatasetId, toDigest, toNonce } from '../codec/ids.js'
import type { MemberId } from '../domain/index.js'
import { type DatapactErrorCode, isDatapactError } from '../errors.js'
import { bytesToHex } from '../internal/bytes.js'
import type { LedgerAdapter } from '../ledger/index.js'
import {
  type QueryArgs,
  type QueryName,
  queryRules,
  type WriteArgs,
  type WriteRuleName,
  writeRules,
} from '../rules/index.js'
import { fastCheck } from './fastCheck.js'
import { fakeWrap, TERMS, type World, world } from './fixtures.js'
import type { LedgerHarness } from './harness.js'
import { applyMutation, describeMutation, malformed, malformedOf, mutation } from './malformed.js'
import { bindRunner, type ConformanceRunner } from './runner.js'

/** What the base arguments of a ledger entry point may refer to: members of the sweep's world. */
export interface SweepContext {
  /** A member id of this ledger (the provider). */
  member: MemberId
  /** Another member id (a consumer). */
  other: MemberId
}

const ID = /* @__PURE__ */ toDatasetId('ab'.repeat(32))
const NONCE = /* @__PURE__ */ toNonce('cd'.repeat(16))
const BYTES32 = () => toDigest(new Uint8Array(32).fill(9))

/**
 * Valid (schema-correct) arguments of every write rule: the sweep makes them malformed one way at a time. They need
 * not succeed: arguments are checked before the rule reads any state, so a malformed one is INVALID_INPUT whatever
 * the state. Typed over every rule name, so a new rule does not compile until it is here.
 */
export const WRITE_ENTRY_POINTS: { [N in WriteRuleName]: (c: SweepContext) => WriteArgs[N] } = {
  joinConsortium: () => ({ name: 'N', roles: ['consumer'], envelopeKey: BYTES32(), settings: null }),
  admitMember: c => ({ member: c.other, roles: ['consumer'] }),
  setMemberRoles: c => ({ member: c.other, roles: ['consumer'] }),
  rotateEnvelopeKey: () => ({ envelopeKey: BYTES32() }),
  leaveConsortium: () => ({}),
  updateSettings: () => ({ settings: { admission: 'open', regulatorEscrow: null, periodSeconds: 86400 } }),
  registerDataset: () => ({
    datasetId: ID,
    metadata: { title: 't', description: '', tags: ['a'], mediaType: 'x', schema: '' },
    terms: TERMS,
    listed: true,
  }),
  updateDataset: () => ({
    datasetId: ID,
    metadata: { title: 't', description: '', tags: ['a'], mediaType: 'x', schema: '' },
    terms: TERMS,
    listed: true,
  }),
  retireDataset: () => ({ datasetId: ID }),
  storePayload: () => ({ upload: ID, first: 0, chunks: [new Uint8Array(4)], last: true }),
  publishVersion: c => ({
    datasetId: ID,
    number: 1,
    plaintextDigest: BYTES32(),
    merkleRoot: BYTES32(),
    size: 10,
    chunkSize: 1024,
    chunkCount: 1,
    header: new Uint8Array(8),
    keyCommitment: BYTES32(),
    location: { store: 'ledger', address: ID },
    wraps: [{ member: c.member, wrapped: fakeWrap() }],
  }),
  grantAccess: c => ({
    datasetId: ID,
    grantee: c.other,
    scope: { kind: 'all', version: 0 },
    expiresAt: null,
    maxAccesses: null,
    priceOverride: null,
    wraps: [{ version: 1, wrapped: fakeWrap() }],
  }),
  addKeyWraps: c => ({ datasetId: ID, member: c.other, wraps: [{ version: 1, wrapped: fakeWrap() }] }),
  revokeAccess: c => ({ datasetId: ID, grantee: c.other }),
  acceptTerms: () => ({ datasetId: ID, terms: { pricePerAccess: 1n, pricePerByte: 0n, currency: 'CNY' } }),
  recordUsage: () => ({
    records: [{ datasetId: ID, version: 1, bytes: 10, amount: 100n, nonce: NONCE, wrapHash: BYTES32() }],
  }),
  acknowledgeStatement: c => ({
    provider: c.member,
    consumer: c.other,
    period: 0,
    currency: 'CNY',
    digest: BYTES32(),
    amount: 0n,
    count: 0,
  }),
}

/** Valid arguments of every query, as {@link WRITE_ENTRY_POINTS}. */
export const QUERY_ENTRY_POINTS: { [N in QueryName]: (c: SweepContext) => QueryArgs[N] } = {
  getSettings: () => ({}),
  getLedgerTime: () => ({}),
  getMember: c => ({ member: c.member }),
  listMembers: () => ({}),
  getDataset: () => ({ datasetId: ID }),
  listDatasets: c => ({ owner: c.member, tag: 'a', listedOnly: true }),
  getVersion: () => ({ datasetId: ID, number: 1 }),
  listVersions: () => ({ datasetId: ID }),
  getGrant: c => ({ datasetId: ID, grantee: c.other }),
  listGrants: c => ({ datasetId: ID, grantee: c.other }),
  getKeyWrap: c => ({ datasetId: ID, number: 1, member: c.member }),
  getUsage: c => ({ consumer: c.other, nonce: NONCE }),
  getTotals: c => ({ provider: c.member, consumer: c.other, period: 0, currency: 'CNY' }),
  getSettlement: c => ({ provider: c.member, consumer: c.other, period: 0, currency: 'CNY' }),
  getPayload: () => ({ upload: ID, first: 0, count: 1 }),
}

/** The `LedgerAdapter` methods the sweep covers (by name), and the ones that take no caller input. */
export const ADAPTER_ENTRY_POINTS = {
  swept: ['submit', 'query', 'readEvents', 'subscribe'],
  withoutInput: ['close'],
} as const

/** Options of {@link describeLedgerInputSweep}. */
export interface LedgerSweepOptions {
  /** Runs per entry point (pinned; default 20). */
  numRuns?: number
  /** fast-check seed, for a reproducible run. */
  seed?: number
  /** Per-test timeout in ms. Default 120 s. */
  timeout?: number
  /** The test runner's functions (with `beforeAll` / `afterAll`); default: the runner's globals. */
  runner?: ConformanceRunner
  /**
   * Bytes of everything the ledger holds, to compare before and after each refused call. Absent: the events read
   * back through the adapter (every state change emits one) stand in for the state.
   */
  snapshot?: (h: LedgerHarness) => Promise<Uint8Array> | Uint8Array
}

/** The ledger's fingerprint: its snapshot, or the cursor and count of its events. */
async function fingerprint(h: LedgerHarness, ledger: LedgerAdapter, o: LedgerSweepOptions): Promise<string> {
  if (o.snapshot) return bytesToHex(await o.snapshot(h))
  const events = await readAllEvents(ledger)
  return `${events.length}:${events.at(-1)?.cursor ?? ''}`
}

/**
 * Calls `call`, which must neither throw synchronously nor resolve, and must reject with a DatapactError of `code`.
 * Returns a description of what went wrong, or null.
 */
export async function refusal(call: () => unknown, code: DatapactErrorCode = 'INVALID_INPUT'): Promise<string | null> {
  let promise: unknown
  try {
    promise = call()
  } catch (e) {
    return `threw synchronously: ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code ?? ''}` : typeof e}`
  }
  if (!(promise instanceof Promise)) return 'did not return a promise'
  try {
    await promise
    return 'was accepted'
  } catch (e) {
    if (isDatapactError(e, code)) return null
    return `rejected with ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code ?? ''}: ${e.message}` : typeof e}`
  }
}

/**
 * The bad-input sweep of the ledger-level entry points, run by every adapter: for every write rule and query (the
 * contract's and the chaincode's transactions), `readEvents` and `subscribe`, generated malformed arguments (values
 * of the wrong kind anywhere, forbidden keys, holes, Proxies, getters that throw, small-order envelope keys) are
 * refused with INVALID_INPUT, never thrown synchronously, and leave the ledger as it was.
 *
 * @param name - The backend's name, shown in test titles.
 * @param setup - Creates a fresh, empty ledger (called once for the whole sweep: refused calls change nothing).
 * @param options - Run counts, seed, and how to snapshot the ledger.
 */
export function describeLedgerInputSweep(
  name: string,
  setup: () => Promise<LedgerHarness>,
  options: LedgerSweepOptions = {},
): void {
  const numRuns = options.numRuns ?? 20
  const timeout = options.timeout ?? 120_000
  const params = { numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) }
  // The runner is injected and fast-check required here, not imported: `@datapact/core/testing` loads without them.
  const { describe, it, expect, beforeAll, afterAll } = bindRunner(options.runner, timeout)
  const fc = fastCheck()
  describe(`bad-input sweep (ledger): ${name}`, () => {
    let h: LedgerHarness
    let w: World
    let ctx: SweepContext
    beforeAll(async () => {
      h = await setup()
      w = await world(h)
      ctx = { member: w.provider.id, other: w.consumer.id }
    }, timeout)
    afterAll(async () => {
      await h?.teardown()
    }, timeout)

    it('covers every rule the ledger exposes (a new rule fails here until it is in the table)', () => {
      expect(Object.keys(WRITE_ENTRY_POINTS).sort()).toEqual(Object.keys(writeRules).sort())
      expect(Object.keys(QUERY_ENTRY_POINTS).sort()).toEqual(Object.keys(queryRules).sort())
    })

    const sweep = async (label: string, valid: unknown, call: (args: unknown) => unknown) => {
      const ledger = w.provider.ledger
      const before = await fingerprint(h, ledger, options)
      await fc.assert(
        fc.asyncProperty(mutation(valid), async m => {
          const problem = await refusal(() => call(applyMutation(valid, m)))
          if (problem) throw new Error(`${label} with ${describeMutation(m)} ${problem}`)
        }),
        params,
      )
      expect(await fingerprint(h, ledger, options)).toBe(before)
    }

    for (const rule of Object.keys(WRITE_ENTRY_POINTS) as WriteRuleName[])
      it(`submit ${rule}: malformed arguments are INVALID_INPUT and change nothing`, async () => {
        const valid = (WRITE_ENTRY_POINTS[rule] as (c: SweepContext) => unknown)(ctx)
        await sweep(rule, valid, args => w.provider.ledger.submit(rule, args as never))
      })

    for (const query of Object.keys(QUERY_ENTRY_POINTS) as QueryName[])
      it(`query ${query}: malformed arguments are INVALID_INPUT`, async () => {
        const valid = (QUERY_ENTRY_POINTS[query] as (c: SweepContext) => unknown)(ctx)
        await sweep(query, valid, args => w.provider.ledger.query(query, args as never))
      })

    it('submit and query: a rule name that is not a rule is INVALID_INPUT', async () => {
      const names = fc.oneof(
        malformed(),
        fc
          .constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', 'nosuch', '')
          .map(n => malformedOf(n, n)),
      )
      const before = await fingerprint(h, w.provider.ledger, options)
      await fc.assert(
        fc.asyncProperty(names, async ({ value: n }) => {
          const submitted = await refusal(() => w.provider.ledger.submit(n as never, {} as never))
          if (submitted) throw new Error(`submit(${typeof n}) ${submitted}`)
          const queried = await refusal(() => w.provider.ledger.query(n as never, {} as never))
          if (queried) throw new Error(`query(${typeof n}) ${queried}`)
        }),
        params,
      )
      // A query is not a write rule, nor a write rule a query.
      expect(
        await refusal(() => w.provider.ledger.submit('getMember' as never, { member: ctx.member } as never)),
      ).toBeNull()
      expect(await refusal(() => w.provider.ledger.query('leaveConsortium' as never, {} as never))).toBeNull()
      expect(await fingerprint(h, w.provider.ledger, options)).toBe(before)
    })

    it('submit: small-order envelope keys are refused at join and rotation', async () => {
      const weak = [
        new Uint8Array(32),
        Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
        Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xec : i === 31 ? 0x7f : 0xff)),
        Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xee : 0xff)),
      ]
      const before = await fingerprint(h, w.provider.ledger, options)
      const stranger = await h.member('weak-key')
      for (const envelopeKey of weak) {
        expect(await refusal(() => w.consumer.ledger.submit('rotateEnvelopeKey', { envelopeKey }))).toBeNull()
        expect(
          await refusal(() =>
            stranger.submit('joinConsortium', { name: 'W', roles: ['consumer'], envelopeKey, settings: null }),
          ),
        ).toBeNull()
      }
      expect(await fingerprint(h, w.provider.ledger, options)).toBe(before)
    })

    it('readEvents: malformed options are INVALID_INPUT (a rejection)', async () => {
      const bad = fc.oneof(
        malformed(),
        fc.constant(malformedOf('null', null)),
        malformed().map(m => malformedOf(`{ after: ${m.kind} }`, { after: m.value })),
        malformed().map(m => malformedOf(`{ limit: ${m.kind} }`, { limit: m.value })),
        fc.constantFrom(-1, 0, 0n, 1.5, 100_001).map(limit => malformedOf(`{ limit: ${limit} }`, { limit })),
        fc.constantFrom('', ' ', 'x y', 'a\uD800').map(after => malformedOf(`{ after: ${after} }`, { after })),
        fc.constantFrom(...['toString', 'constructor', 'x-unknown']).map(k => malformedOf(`{ ${k} }`, { [k]: 1 })),
      )
      await fc.assert(
        fc.asyncProperty(bad, async ({ kind, value: o }) => {
          const problem = await refusal(() => w.provider.ledger.readEvents(o as never))
          if (problem) throw new Error(`readEvents(${kind}) ${problem}`)
        }),
        params,
      )
    })

    it('subscribe: never throws; a malformed listener or options reach onError as INVALID_INPUT', async () => {
      await fc.assert(
        fc.asyncProperty(malformed(), fc.boolean(), async (m, inListener) => {
          if (inListener && typeof m.value === 'function') return
          const errors: unknown[] = []
          const delivered: unknown[] = []
          let off: unknown
          try {
            off = inListener
              ? w.provider.ledger.subscribe(m.value as never, { onError: e => errors.push(e) })
              : w.provider.ledger.subscribe(e => delivered.push(e), {
                  after: m.value as never,
                  onError: e => errors.push(e),
                })
          } catch (e) {
            throw new Error(`subscribe with ${m.kind} threw synchronously: ${String(e)}`)
          }
          if (typeof off !== 'function') throw new Error('subscribe did not return a function')
          await new Promise(resolve => setTimeout(resolve, 0))
          ;(off as () => void)()
          if (!errors.some(e => isDatapactError(e, 'INVALID_INPUT')))
            throw new Error(
              `subscribe with a malformed ${inListener ? 'listener' : 'cursor'} (${m.kind}) reported nothing`,
            )
          if (delivered.length > 0) throw new Error('a refused subscription delivered events')
        }),
        { ...params, numRuns: Math.min(numRuns, 10) },
      )
    })
  })
}
