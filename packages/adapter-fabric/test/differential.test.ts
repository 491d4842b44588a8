// The reference adapter, by path: adapters do not depend on each other, this test only reads it.

import { MemoryLedger } from '@datapact/adapter-memory'
import { pinKeyPrefix } from '@datapact/chaincode/wire'
import type { LedgerAdapter, LedgerEventRecord, MemberId } from '@datapact/core'
import type { QueryName, WriteRuleName } from '@datapact/core/rules'
import { fakeWrap, ZERO32 } from '@datapact/core/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFabricHarness, type FabricHarness } from '../src/testing/index.js'

// The same raw rule calls on the memory ledger (the reference) and on Fabric (the real chaincode through the real
// gateway client): every outcome (events, results, error code, message and details), the final world state byte
// for byte, and the event history must agree. Ledger time is made equal by freezing `Date` in this process: on
// Fabric the ledger time is the timestamp the client writes into the proposal.

type Call =
  | { who: Who; submit: WriteRuleName; args: unknown }
  | { who: Who; query: QueryName; args: unknown }
  | { advance: number }
type Who = 'P' | 'C' | 'D' | 'R' | 'S'
type Outcome = { ok: unknown } | { code: unknown; message: unknown; details: unknown }

const key = (n: number) => new Uint8Array(32).fill(n)
const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32)
const wrapped = (n: number) => {
  const w = fakeWrap()
  w.fill(n, 11)
  return w
}
const nonce = (n: number) => n.toString(16).padStart(32, '0')
const metadata = { title: 'Ticks', description: 'd', tags: ['finance'], mediaType: 'text/csv', schema: '' }
const terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY', licence: 'CC-BY-4.0' }
const chunk = (n: number) => new Uint8Array(1500).fill(n)
const ds1 = hex(0xa1)
const ds2 = hex(0xa2)
const upload = hex(0xb1)

function script(id: Record<Who, string>, start: number): Call[] {
  const version = (
    datasetId: string,
    number: number,
    wraps: Who[],
    location = { store: 'ledger', address: upload },
  ) => ({
    datasetId,
    number,
    plaintextDigest: key(number),
    merkleRoot: key(number + 100),
    size: 4000,
    chunkSize: 1500,
    chunkCount: 3,
    header: new Uint8Array(40).fill(7),
    keyCommitment: key(number + 200),
    location,
    wraps: wraps.map(w => ({ member: id[w], wrapped: wrapped(number) })),
  })
  const grant = (datasetId: string, grantee: Who, extra: Record<string, unknown> = {}) => ({
    datasetId,
    grantee: id[grantee],
    scope: { kind: 'all', version: 0 },
    expiresAt: null,
    maxAccesses: 2,
    priceOverride: null,
    wraps: [{ version: 1, wrapped: wrapped(9) }],
    ...extra,
  })
  const usage = (datasetId: string, n: number, amount = 100n) => ({
    records: [{ datasetId, version: 1, bytes: 4000, amount, nonce: nonce(n), wrapHash: ZERO32 }],
  })
  const period = Math.floor(start / 86400) * 86400
  const statement = (amount: bigint, count: number) => ({
    provider: id.P,
    consumer: id.C,
    period,
    currency: 'CNY',
    digest: key(77),
    amount,
    count,
  })
  return [
    {
      who: 'P',
      submit: 'joinConsortium',
      args: { name: 'Provider', roles: ['provider'], envelopeKey: key(1), settings: null },
    },
    {
      who: 'C',
      submit: 'joinConsortium',
      args: { name: 'Consumer', roles: ['consumer'], envelopeKey: key(2), settings: null },
    },
    {
      who: 'D',
      submit: 'joinConsortium',
      args: { name: 'Other', roles: ['consumer'], envelopeKey: key(3), settings: null },
    },
    {
      who: 'R',
      submit: 'joinConsortium',
      args: { name: 'Regulator', roles: ['regulator'], envelopeKey: key(4), settings: null },
    },
    {
      who: 'C',
      submit: 'joinConsortium',
      args: { name: 'Again', roles: ['consumer'], envelopeKey: key(2), settings: null },
    },
    {
      who: 'S',
      submit: 'joinConsortium',
      args: { name: 'Mallory', roles: ['admin'], envelopeKey: key(5), settings: null },
    },
    {
      who: 'S',
      submit: 'joinConsortium',
      args: { name: 'x', roles: ['emperor'], envelopeKey: key(5), settings: null },
    },
    {
      who: 'C',
      submit: 'updateSettings',
      args: { settings: { admission: 'admin', regulatorEscrow: null, periodSeconds: 86400 } },
    },
    {
      who: 'P',
      submit: 'updateSettings',
      args: { settings: { admission: 'open', regulatorEscrow: id.R, periodSeconds: 86400 } },
    },
    { who: 'S', query: 'getSettings', args: {} },
    { who: 'S', query: 'listMembers', args: {} },
    { who: 'C', query: 'getMember', args: { member: id.P } },
    { who: 'C', query: 'getMember', args: { member: id.S } },
    { who: 'P', submit: 'registerDataset', args: { datasetId: ds1, metadata, terms, listed: true } },
    { who: 'P', submit: 'registerDataset', args: { datasetId: ds1, metadata, terms, listed: true } },
    { who: 'C', submit: 'registerDataset', args: { datasetId: ds2, metadata, terms, listed: true } },
    {
      who: 'P',
      submit: 'registerDataset',
      args: { datasetId: ds2, metadata: { ...metadata, tags: ['eu'] }, terms, listed: false },
    },
    { who: 'P', submit: 'storePayload', args: { upload, first: 0, chunks: [chunk(1), chunk(2)], last: false } },
    { who: 'P', submit: 'storePayload', args: { upload, first: 5, chunks: [chunk(3)], last: true } },
    { who: 'P', submit: 'storePayload', args: { upload, first: 2, chunks: [chunk(3)], last: true } },
    { who: 'C', query: 'getPayload', args: { upload, first: 0, count: 3 } },
    { who: 'C', query: 'getPayload', args: { upload, first: 2, count: 2 } },
    { who: 'P', submit: 'publishVersion', args: version(ds1, 1, ['P']) },
    { who: 'P', submit: 'publishVersion', args: version(ds1, 3, ['P', 'R']) },
    { who: 'C', submit: 'publishVersion', args: version(ds1, 1, ['P', 'R']) },
    { who: 'P', submit: 'publishVersion', args: version(ds1, 1, ['P', 'R']) },
    { who: 'P', submit: 'publishVersion', args: version(ds2, 1, ['P', 'R'], { store: 'shared', address: 'x1' }) },
    { who: 'C', query: 'listDatasets', args: { owner: null, tag: null, listedOnly: true } },
    { who: 'C', query: 'listDatasets', args: { owner: id.P, tag: 'eu', listedOnly: false } },
    { who: 'C', query: 'listVersions', args: { datasetId: ds1 } },
    { who: 'C', query: 'getVersion', args: { datasetId: ds1, number: 2 } },
    { who: 'C', submit: 'grantAccess', args: grant(ds1, 'D') },
    { who: 'P', submit: 'grantAccess', args: grant(ds1, 'R') },
    { who: 'P', submit: 'grantAccess', args: grant(ds1, 'C') },
    { who: 'P', submit: 'grantAccess', args: grant(ds1, 'C') },
    {
      who: 'P',
      submit: 'grantAccess',
      args: grant(ds2, 'D', { expiresAt: start + 10, maxAccesses: null, priceOverride: 7n }),
    },
    { who: 'P', submit: 'grantAccess', args: grant(ds2, 'C', { expiresAt: start - 10 }) },
    { who: 'C', submit: 'recordUsage', args: usage(ds1, 1) },
    { who: 'C', submit: 'recordUsage', args: usage(ds1, 1) },
    { who: 'C', submit: 'recordUsage', args: usage(ds1, 2, 99n) },
    { who: 'C', submit: 'recordUsage', args: { records: [usage(ds1, 3).records[0], usage(ds1, 4).records[0]] } },
    { who: 'D', submit: 'recordUsage', args: usage(ds1, 5) },
    { who: 'D', submit: 'recordUsage', args: usage(ds2, 6, 7n) },
    { who: 'C', query: 'getGrant', args: { datasetId: ds1, grantee: id.C } },
    { who: 'C', query: 'listGrants', args: { datasetId: null, grantee: null } },
    { who: 'C', query: 'getKeyWrap', args: { datasetId: ds1, number: 1, member: id.C } },
    { who: 'C', query: 'getTotals', args: { provider: id.P, consumer: id.C, period, currency: 'CNY' } },
    { who: 'C', submit: 'acknowledgeStatement', args: statement(100n, 2) },
    { who: 'C', submit: 'acknowledgeStatement', args: statement(100n, 1) },
    { who: 'D', submit: 'acknowledgeStatement', args: statement(100n, 1) },
    { who: 'P', submit: 'acknowledgeStatement', args: statement(100n, 1) },
    { who: 'R', query: 'getSettlement', args: { provider: id.P, consumer: id.C, period, currency: 'CNY' } },
    { advance: 20 },
    { who: 'D', submit: 'recordUsage', args: usage(ds2, 7, 7n) },
    { who: 'S', query: 'getLedgerTime', args: {} },
    { who: 'D', submit: 'revokeAccess', args: { datasetId: ds1, grantee: id.C } },
    { who: 'P', submit: 'revokeAccess', args: { datasetId: ds1, grantee: id.C } },
    { who: 'P', submit: 'revokeAccess', args: { datasetId: ds1, grantee: id.C } },
    { who: 'P', submit: 'revokeAccess', args: { datasetId: ds1, grantee: id.R } },
    { who: 'C', submit: 'recordUsage', args: usage(ds1, 8) },
    { who: 'P', submit: 'publishVersion', args: version(ds1, 2, ['P', 'R']) },
    {
      who: 'P',
      submit: 'addKeyWraps',
      args: { datasetId: ds1, member: id.D, wraps: [{ version: 2, wrapped: wrapped(2) }] },
    },
    {
      who: 'P',
      submit: 'grantAccess',
      args: grant(ds1, 'C', { scope: { kind: 'exact', version: 2 }, wraps: [{ version: 2, wrapped: wrapped(3) }] }),
    },
    {
      who: 'P',
      submit: 'updateDataset',
      args: {
        datasetId: ds1,
        metadata: { ...metadata, description: 'v2' },
        terms: { ...terms, pricePerAccess: 250n },
        listed: true,
      },
    },
    {
      who: 'C',
      submit: 'recordUsage',
      args: { records: [{ datasetId: ds1, version: 2, bytes: 4000, amount: 250n, nonce: nonce(9), wrapHash: ZERO32 }] },
    },
    {
      who: 'C',
      submit: 'acceptTerms',
      args: {
        datasetId: ds1,
        terms: { pricePerAccess: 250n, pricePerByte: terms.pricePerByte, currency: terms.currency },
      },
    },
    { who: 'C', query: 'getUsage', args: { consumer: id.C, nonce: nonce(8) } },
    {
      who: 'C',
      submit: 'recordUsage',
      args: {
        records: [{ datasetId: ds1, version: 2, bytes: 4000, amount: 250n, nonce: nonce(10), wrapHash: ZERO32 }],
      },
    },
    { who: 'P', submit: 'retireDataset', args: { datasetId: ds1 } },
    { who: 'P', submit: 'publishVersion', args: version(ds1, 3, ['P', 'R']) },
    { who: 'P', submit: 'admitMember', args: { member: id.S, roles: ['consumer'] } },
    { who: 'C', submit: 'setMemberRoles', args: { member: id.C, roles: ['consumer', 'provider'] } },
    { who: 'P', submit: 'setMemberRoles', args: { member: id.C, roles: ['consumer', 'provider'] } },
    { who: 'C', submit: 'rotateEnvelopeKey', args: { envelopeKey: key(12) } },
    { who: 'R', submit: 'leaveConsortium', args: {} },
    { who: 'D', submit: 'leaveConsortium', args: {} },
    { who: 'D', submit: 'rotateEnvelopeKey', args: { envelopeKey: key(13) } },
    {
      who: 'S',
      submit: 'joinConsortium',
      args: { name: 'Newcomer', roles: ['consumer'], envelopeKey: key(14), settings: null },
    },
    { who: 'S', query: 'listMembers', args: {} },
    { who: 'S', query: 'listDatasets', args: { owner: null, tag: null, listedOnly: false } },
    { who: 'S', query: 'listGrants', args: { datasetId: ds1, grantee: null } },
    { who: 'S', submit: 'recordUsage', args: { records: [] } },
    { who: 'S', query: 'getDataset', args: { datasetId: 'zz' } },
  ]
}

const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    ok => ({ ok }),
    (e: { code?: unknown; message?: unknown; details?: unknown }) => ({
      code: e.code,
      message: e.message,
      details: { ...(e.details as object) },
    }),
  )

async function run(call: Call, ledgers: Record<Who, LedgerAdapter>): Promise<Outcome> {
  if ('advance' in call) return { ok: null }
  const ledger = ledgers[call.who]
  if ('submit' in call) return outcome(ledger.submit(call.submit, call.args as never).then(result => result.events))
  return outcome(ledger.query(call.query, call.args as never))
}

const history = (events: LedgerEventRecord[]) => events.map(({ at, caller, event }) => ({ at, caller, event }))

describe('differential: the Fabric chaincode against the memory ledger', () => {
  let h: FabricHarness
  beforeAll(async () => {
    h = await createFabricHarness()
  }, 60_000)
  afterAll(() => h?.teardown())
  afterEach(() => vi.useRealTimers())

  it('agrees on every outcome, the world state and the event history', async () => {
    const fabric = {} as Record<Who, LedgerAdapter>
    for (const who of ['P', 'C', 'D', 'R', 'S'] as const) fabric[who] = await h.member(who)
    const memoryLedger = new MemoryLedger()
    const memory = {} as Record<Who, LedgerAdapter>
    for (const who of ['P', 'C', 'D', 'R', 'S'] as const) memory[who] = memoryLedger.as(fabric[who].memberId)
    const ids = Object.fromEntries(Object.entries(fabric).map(([who, l]) => [who, l.memberId])) as Record<Who, MemberId>

    const start = Math.floor(Date.now() / 1000)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start * 1000)
    const calls = script(ids, start)
    let refused = 0
    for (const [step, call] of calls.entries()) {
      if ('advance' in call) vi.setSystemTime(Date.now() + call.advance * 1000)
      const [expected, actual] = [await run(call, memory), await run(call, fabric)]
      expect({
        step,
        call: 'advance' in call ? 'advance' : (call as { submit?: string; query?: string }),
        actual,
      }).toEqual({ step, call: 'advance' in call ? 'advance' : call, actual: expected })
      if ('code' in expected) refused++
    }
    vi.useRealTimers()
    expect(refused).toBeGreaterThan(25)

    const memoryState = [...memoryLedger.unsafeInternals().state.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
    // The chaincode's own keys (certificate pins, one per member that wrote) are outside core's state.
    const fabricEntries = h.server.stateSnapshot()
    expect(fabricEntries.filter(({ key }) => key.startsWith(pinKeyPrefix)).length).toBeGreaterThan(0)
    const fabricState = fabricEntries
      .filter(({ key }) => !key.startsWith(pinKeyPrefix))
      .map(({ key, value }) => [key, value])
    expect(fabricState.map(([k]) => k)).toEqual(memoryState.map(([k]) => k))
    expect(fabricState).toEqual(memoryState.map(([k, v]) => [k, new Uint8Array(v)]))

    const memoryEvents = (await memory.S.readEvents()).events
    const fabricEvents = (await fabric.S.readEvents()).events
    expect(history(fabricEvents)).toEqual(history(memoryEvents))
  }, 60_000)
})
