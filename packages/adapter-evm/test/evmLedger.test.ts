/**
 * Differential tests: the same calls, by the same identities, on the EVM ledger (Anvil) and on the memory ledger
 * (core's rules in process), must give the same events, results, error codes and query answers. Ledger time of the
 * memory ledger follows the EVM block time.
 */

import { MemoryLedger } from '@datapact/adapter-memory'
import {
  type DatasetId,
  type LedgerAdapter,
  type LedgerEvent,
  type MemberId,
  toDatasetId,
  toDigest,
  toMemberId,
  toNonce,
} from '@datapact/core'
import type { QueryArgs, QueryName, WriteArgs, WriteRuleName } from '@datapact/core/rules'
import { fakeWrap, versionArgs } from '@datapact/core/testing'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { EvmLedger } from '../src/index.js'
import { type AnvilInstance, createEvmHarness, type EvmHarness, startAnvil } from '../src/testing/index.js'

const anvil: AnvilInstance = await startAnvil({ persistent: false })
afterAll(() => anvil.stop())

interface Pair {
  evm: EvmLedger
  mem: LedgerAdapter
  id: MemberId
}

const key = (n: number) => new Uint8Array(32).fill(n)
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill)
const md = (title: string, tags: string[] = []) => ({
  title,
  description: `about ${title}`,
  tags,
  mediaType: 'text/csv',
  schema: '',
})
const terms = (pricePerAccess = 100n, pricePerByte = 0n, currency = 'CNY') => ({
  pricePerAccess,
  pricePerByte,
  currency,
  licence: 'CC-BY-4.0',
})
const hex32 = (n: number) => toDatasetId(n.toString(16).padStart(64, '0'))
let nonceCounter = 0
const nonce = () => toNonce((++nonceCounter).toString(16).padStart(32, '0'))

/** Runs every call on both ledgers and checks they agree. */
class Duo {
  readonly pairs: Pair[] = []
  readonly mem: MemoryLedger
  #now = 0

  constructor(readonly h: EvmHarness) {
    this.mem = new MemoryLedger({ clock: () => this.#now })
  }

  async member(): Promise<Pair> {
    const evm = (await this.h.member('m')) as EvmLedger
    const pair = { evm, mem: this.mem.as(evm.memberId), id: evm.memberId }
    this.pairs.push(pair)
    return pair
  }

  async #sync(): Promise<void> {
    this.#now = (await this.h.ledger.query('getLedgerTime', {})) as number
  }

  /** Submits on both; returns 'ok' or the common error code. */
  async run<N extends WriteRuleName>(p: Pair, rule: N, args: WriteArgs[N]): Promise<string> {
    const evm = await p.evm.submit(rule, args).then(
      r => ({ ok: true as const, events: r.events }),
      (e: { code: string }) => ({ ok: false as const, code: e.code }),
    )
    await this.#sync()
    const mem = await p.mem.submit(rule, args).then(
      r => ({ ok: true as const, events: r.events }),
      (e: { code: string }) => ({ ok: false as const, code: e.code }),
    )
    expect({ rule, outcome: evm.ok ? 'ok' : evm.code }).toEqual({ rule, outcome: mem.ok ? 'ok' : mem.code })
    if (evm.ok && mem.ok) expect(evm.events).toEqual(mem.events)
    return evm.ok ? 'ok' : evm.code
  }

  /** Like {@link run}, expecting `outcome`. */
  async expect<N extends WriteRuleName>(outcome: string, p: Pair, rule: N, args: WriteArgs[N]): Promise<void> {
    expect({ rule, outcome: await this.run(p, rule, args) }).toEqual({ rule, outcome })
  }

  /** Queries both; the answers (or error codes) must be equal. */
  async same<N extends QueryName>(name: N, args: QueryArgs[N], p: Pair = this.pairs[0]!): Promise<unknown> {
    await this.#sync()
    const settle = (q: Promise<unknown>) =>
      q.then(
        v => ({ v }),
        (e: { code: string }) => ({ code: e.code }),
      )
    const [evm, mem] = await Promise.all([settle(p.evm.query(name, args)), settle(p.mem.query(name, args))])
    expect({ name, args, answer: evm }).toEqual({ name, args, answer: mem })
    return 'v' in evm ? evm.v : undefined
  }

  async advance(seconds: number): Promise<void> {
    await this.h.advanceTime(seconds)
  }

  /** The full event history is the same: events, callers and times, in order. */
  async sameHistory(): Promise<LedgerEvent[]> {
    const [evm, mem] = await Promise.all([this.h.ledger.readEvents(), this.pairs[0]!.mem.readEvents()])
    const view = (p: typeof evm) => p.events.map(e => ({ event: e.event, caller: e.caller, at: e.at }))
    expect(view(evm)).toEqual(view(mem))
    return evm.events.map(e => e.event)
  }
}

let duo: Duo
beforeEach(async () => {
  duo = new Duo(await createEvmHarness({ anvil }))
  return () => duo.h.teardown()
})

/** Provider (admin), two consumers, a regulator. */
async function consortium(settings = { admission: 'open' as const, regulatorEscrow: null, periodSeconds: 3600 }) {
  const p = await duo.member()
  const c = await duo.member()
  const c2 = await duo.member()
  const r = await duo.member()
  await duo.expect('ok', p, 'joinConsortium', { name: 'Provider', roles: ['provider'], envelopeKey: key(1), settings })
  await duo.expect('ok', c, 'joinConsortium', { name: 'C1', roles: ['consumer'], envelopeKey: key(2), settings: null })
  await duo.expect('ok', c2, 'joinConsortium', { name: 'C2', roles: ['consumer'], envelopeKey: key(3), settings: null })
  await duo.expect('ok', r, 'joinConsortium', {
    name: 'Reg',
    roles: ['regulator'],
    envelopeKey: key(4),
    settings: null,
  })
  return { p, c, c2, r }
}

const version = (datasetId: DatasetId, number: number, wraps: MemberId[], extra: Record<string, unknown> = {}) =>
  versionArgs(datasetId, number, wraps, extra)

const grant = (datasetId: DatasetId, grantee: MemberId, extra: Partial<WriteArgs['grantAccess']> = {}) => ({
  datasetId,
  grantee,
  scope: { kind: 'all' as const, version: 0 },
  expiresAt: null,
  maxAccesses: null,
  priceOverride: null,
  wraps: [],
  ...extra,
})

const vwraps = (...versions: number[]) => versions.map(v => ({ version: v, wrapped: fakeWrap(50 + v) }))

describe('EvmLedger matches MemoryLedger', () => {
  it('members, admission and settings', async () => {
    const [a, b, c, d] = [await duo.member(), await duo.member(), await duo.member(), await duo.member()]
    const join = (
      roles: WriteArgs['joinConsortium']['roles'],
      settings: WriteArgs['joinConsortium']['settings'] = null,
    ) => ({
      name: 'M',
      roles,
      envelopeKey: key(9),
      settings,
    })
    await duo.same('getSettings', {})
    await duo.expect(
      'INVALID_INPUT',
      a,
      'joinConsortium',
      join(['provider'], { admission: 'open', regulatorEscrow: b.id, periodSeconds: 3600 }),
    )
    await duo.expect(
      'ok',
      a,
      'joinConsortium',
      join(['provider'], { admission: 'open', regulatorEscrow: null, periodSeconds: 3600 }),
    )
    await duo.expect('CONFLICT', a, 'joinConsortium', join(['provider']))
    await duo.expect('ACCESS_DENIED', b, 'joinConsortium', join(['admin']))
    await duo.expect(
      'INVALID_INPUT',
      b,
      'joinConsortium',
      join(['consumer'], { admission: 'open', regulatorEscrow: null, periodSeconds: 60 }),
    )
    await duo.expect('ok', b, 'joinConsortium', join(['provider', 'consumer', 'provider']))
    await duo.expect('ok', c, 'joinConsortium', join(['regulator']))
    await duo.expect('ACCESS_DENIED', b, 'admitMember', { member: d.id, roles: ['consumer'] })
    await duo.expect('CONFLICT', a, 'admitMember', { member: b.id, roles: ['consumer'] })
    await duo.expect('NOT_FOUND', a, 'setMemberRoles', { member: d.id, roles: ['consumer'] })
    await duo.expect('INVALID_INPUT', a, 'setMemberRoles', { member: a.id, roles: ['provider'] })
    const escrow = (regulatorEscrow: MemberId | null, admission: 'open' | 'admin' = 'open') => ({
      settings: { admission, regulatorEscrow, periodSeconds: 7200 },
    })
    await duo.expect('INVALID_INPUT', a, 'updateSettings', escrow(b.id))
    await duo.expect('ACCESS_DENIED', b, 'updateSettings', escrow(null))
    await duo.expect('ok', a, 'updateSettings', escrow(c.id, 'admin'))
    await duo.expect('CONFLICT', a, 'setMemberRoles', { member: c.id, roles: ['consumer'] })
    await duo.expect('CONFLICT', c, 'leaveConsortium', {})
    await duo.expect('ACCESS_DENIED', d, 'joinConsortium', join(['provider']))
    await duo.expect('ok', a, 'admitMember', { member: d.id, roles: ['consumer', 'admin'] })
    await duo.same('getMember', { member: d.id })
    await duo.expect('ok', d, 'joinConsortium', join(['provider']))
    await duo.expect('ok', a, 'leaveConsortium', {})
    await duo.expect('CONFLICT', d, 'leaveConsortium', {})
    await duo.expect('ACCESS_DENIED', a, 'rotateEnvelopeKey', { envelopeKey: key(5) })
    await duo.expect('ok', b, 'rotateEnvelopeKey', { envelopeKey: key(6) })
    await duo.expect('ok', d, 'setMemberRoles', { member: b.id, roles: ['consumer'] })
    await duo.expect('ok', d, 'updateSettings', escrow(null))
    await duo.expect('ok', a, 'joinConsortium', join(['provider']))
    await duo.expect('ok', b, 'leaveConsortium', {})
    await duo.same('getSettings', {})
    await duo.same('listMembers', {})
    for (const m of [a, b, c, d]) await duo.same('getMember', { member: m.id })
    await duo.same('getMember', { member: toMemberId('nobody') })
    await duo.sameHistory()
  })

  it('datasets, payloads on the ledger, versions and key wraps', async () => {
    const { p, c, c2, r } = await consortium()
    const [ds1, ds2, ghost] = [hex32(1), hex32(2), hex32(3)]
    await duo.expect('ACCESS_DENIED', c, 'registerDataset', {
      datasetId: ds1,
      metadata: md('x'),
      terms: terms(),
      listed: true,
    })
    await duo.expect('ok', p, 'registerDataset', {
      datasetId: ds1,
      metadata: md('Ticks', ['finance', 'eu']),
      terms: terms(),
      listed: true,
    })
    await duo.expect('ok', p, 'registerDataset', {
      datasetId: ds2,
      metadata: md('Rain', ['weather']),
      terms: terms(5n, 1n, 'USD'),
      listed: false,
    })
    await duo.expect('CONFLICT', p, 'registerDataset', {
      datasetId: ds1,
      metadata: md('x'),
      terms: terms(),
      listed: true,
    })
    await duo.expect('ACCESS_DENIED', c, 'updateDataset', {
      datasetId: ds1,
      metadata: md('x'),
      terms: terms(),
      listed: true,
    })
    await duo.expect('NOT_FOUND', p, 'updateDataset', {
      datasetId: ghost,
      metadata: md('x'),
      terms: terms(),
      listed: true,
    })
    await duo.expect('ok', p, 'updateDataset', {
      datasetId: ds1,
      metadata: md('Ticks 2', ['finance', 'ünï', 'x']),
      terms: terms(120n, 3n, 'CREDITS'),
      listed: true,
    })

    const [u1, u2] = [hex32(11), hex32(12)]
    const chunks = (n: number, seed: number) => Array.from({ length: n }, (_, i) => bytes(100 + i, seed + i))
    await duo.expect('ACCESS_DENIED', c, 'storePayload', { upload: u1, first: 0, chunks: chunks(1, 1), last: false })
    await duo.expect('ok', p, 'storePayload', { upload: u1, first: 0, chunks: chunks(2, 1), last: false })
    await duo.expect('CONFLICT', p, 'storePayload', { upload: u1, first: 5, chunks: chunks(1, 1), last: false })
    await duo.expect('ok', p, 'storePayload', { upload: u1, first: 2, chunks: chunks(1, 9), last: true })
    await duo.expect('CONFLICT', p, 'storePayload', { upload: u1, first: 3, chunks: chunks(1, 1), last: true })
    await duo.expect('ok', p, 'storePayload', { upload: u2, first: 0, chunks: chunks(1, 3), last: false })
    await duo.same('getPayload', { upload: u1, first: 0, count: 3 })
    await duo.same('getPayload', { upload: u1, first: 1, count: 2 })
    await duo.same('getPayload', { upload: u1, first: 1, count: 3 })
    await duo.same('getPayload', { upload: ghost, first: 0, count: 1 })

    const ledgerAt = (upload: string, chunkCount: number) => ({
      location: { store: 'ledger', address: upload },
      chunkCount,
      size: 1000 * chunkCount,
    })
    await duo.expect('CONFLICT', p, 'publishVersion', version(ds1, 2, [p.id]))
    await duo.expect('ACCESS_DENIED', c, 'publishVersion', version(ds1, 1, [c.id]))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 1, [p.id], ledgerAt(u2, 1)))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 1, [p.id], ledgerAt(u1, 2)))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 1, [p.id], ledgerAt('zz', 3)))
    await duo.expect('ok', p, 'publishVersion', version(ds1, 1, [p.id], ledgerAt(u1, 3)))
    await duo.expect('ok', p, 'grantAccess', grant(ds1, c.id, { wraps: vwraps(1) }))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 2, [p.id]))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 2, [c.id, p.id, c2.id]))
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 2, [c.id, p.id, c.id]))
    await duo.expect('ok', p, 'publishVersion', version(ds1, 2, [c.id, p.id]))
    await duo.expect('ok', p, 'updateSettings', {
      settings: { admission: 'open', regulatorEscrow: r.id, periodSeconds: 3600 },
    })
    await duo.expect('INVALID_INPUT', p, 'publishVersion', version(ds1, 3, [c.id, p.id]))
    await duo.expect('ok', p, 'publishVersion', version(ds1, 3, [r.id, c.id, p.id]))
    await duo.expect('ok', p, 'retireDataset', { datasetId: ds2 })
    await duo.expect('CONFLICT', p, 'retireDataset', { datasetId: ds2 })
    await duo.expect('CONFLICT', p, 'updateDataset', {
      datasetId: ds2,
      metadata: md('x'),
      terms: terms(),
      listed: true,
    })
    await duo.expect('CONFLICT', p, 'publishVersion', version(ds2, 1, [p.id, r.id]))

    for (const args of [
      { owner: null, tag: null, listedOnly: false },
      { owner: null, tag: null, listedOnly: true },
      { owner: null, tag: 'ünï', listedOnly: false },
      { owner: c.id, tag: null, listedOnly: false },
      { owner: p.id, tag: 'weather', listedOnly: false },
    ])
      await duo.same('listDatasets', args, c)
    for (const id of [ds1, ds2, ghost]) {
      await duo.same('getDataset', { datasetId: id }, c2)
      await duo.same('listVersions', { datasetId: id }, c2)
    }
    for (const n of [1, 2, 3, 4]) {
      await duo.same('getVersion', { datasetId: ds1, number: n }, r)
      for (const m of [p, c, c2, r]) await duo.same('getKeyWrap', { datasetId: ds1, number: n, member: m.id }, r)
    }
    await duo.same('getKeyWrap', { datasetId: ds1, number: 1, member: toMemberId('nobody') })
    await duo.sameHistory()
  })

  it('grants, scopes, revocation and re-wraps', async () => {
    const { p, c, c2, r } = await consortium()
    const ds = hex32(21)
    await duo.expect('ok', p, 'registerDataset', { datasetId: ds, metadata: md('G'), terms: terms(), listed: true })
    await duo.expect('ok', p, 'publishVersion', version(ds, 1, [p.id]))
    await duo.expect('ok', p, 'publishVersion', version(ds, 2, [p.id]))
    const now = (await duo.same('getLedgerTime', {})) as number
    await duo.expect('ACCESS_DENIED', c, 'grantAccess', grant(ds, c2.id, { wraps: vwraps(1, 2) }))
    await duo.expect(
      'INVALID_INPUT',
      p,
      'grantAccess',
      grant(ds, c.id, { scope: { kind: 'all', version: 1 }, wraps: vwraps(1, 2) }),
    )
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { scope: { kind: 'exact', version: 0 } }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, p.id, { wraps: vwraps(1, 2) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, r.id, { wraps: vwraps(1, 2) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { expiresAt: 1000, wraps: vwraps(1, 2) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { expiresAt: 0, wraps: vwraps(1, 2) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { wraps: vwraps(1) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { wraps: vwraps(1, 2, 3) }))
    await duo.expect('INVALID_INPUT', p, 'grantAccess', grant(ds, c.id, { wraps: vwraps(2, 2) }))
    await duo.expect(
      'ok',
      p,
      'grantAccess',
      grant(ds, c.id, { scope: { kind: 'exact', version: 1 }, maxAccesses: 4, wraps: vwraps(1) }),
    )
    await duo.expect('CONFLICT', p, 'grantAccess', grant(ds, c.id, { wraps: vwraps(2, 1) }))
    await duo.expect(
      'ok',
      p,
      'grantAccess',
      grant(ds, c2.id, {
        scope: { kind: 'from', version: 2 },
        expiresAt: now + 50,
        priceOverride: 0n,
        wraps: vwraps(2),
      }),
    )
    await duo.expect('ACCESS_DENIED', c, 'revokeAccess', { datasetId: ds, grantee: c.id })
    await duo.expect('ok', p, 'revokeAccess', { datasetId: ds, grantee: c.id })
    await duo.expect('CONFLICT', p, 'revokeAccess', { datasetId: ds, grantee: c.id })
    await duo.expect('NOT_FOUND', p, 'revokeAccess', { datasetId: ds, grantee: r.id })
    await duo.expect('ok', p, 'publishVersion', version(ds, 3, [c2.id, p.id]))
    await duo.expect(
      'ok',
      p,
      'grantAccess',
      grant(ds, c.id, { scope: { kind: 'from', version: 3 }, priceOverride: 9n, wraps: vwraps(3) }),
    )
    // addKeyWraps: the first fault in input order decides the code.
    await duo.expect('ACCESS_DENIED', c, 'addKeyWraps', { datasetId: ds, member: c.id, wraps: vwraps(3) })
    await duo.expect('INVALID_INPUT', p, 'addKeyWraps', { datasetId: ds, member: c.id, wraps: vwraps(3, 3) })
    await duo.expect('NOT_FOUND', p, 'addKeyWraps', { datasetId: ds, member: c.id, wraps: vwraps(9, 1) })
    await duo.expect('INVALID_INPUT', p, 'addKeyWraps', { datasetId: ds, member: c.id, wraps: vwraps(1, 9) })
    await duo.expect('INVALID_INPUT', p, 'addKeyWraps', { datasetId: ds, member: r.id, wraps: vwraps(1) })
    await duo.expect('ok', p, 'addKeyWraps', { datasetId: ds, member: p.id, wraps: vwraps(3, 1) })
    await duo.expect('ok', p, 'addKeyWraps', {
      datasetId: ds,
      member: c.id,
      wraps: [{ version: 3, wrapped: fakeWrap(93) }],
    })
    await duo.advance(60)
    await duo.expect('INVALID_INPUT', p, 'addKeyWraps', { datasetId: ds, member: c2.id, wraps: vwraps(2) })
    await duo.expect('ok', p, 'publishVersion', version(ds, 4, [c.id, p.id]))
    await duo.expect(
      'ok',
      p,
      'grantAccess',
      grant(ds, c2.id, { scope: { kind: 'exact', version: 4 }, wraps: vwraps(4) }),
    )
    await duo.expect('ok', p, 'retireDataset', { datasetId: ds })
    await duo.expect('CONFLICT', p, 'grantAccess', grant(ds, r.id))
    await duo.expect('ok', p, 'addKeyWraps', { datasetId: ds, member: c2.id, wraps: vwraps(4) })
    await duo.expect('ok', p, 'revokeAccess', { datasetId: ds, grantee: c2.id })

    for (const m of [p, c, c2, r]) {
      await duo.same('getGrant', { datasetId: ds, grantee: m.id })
      await duo.same('listGrants', { datasetId: null, grantee: m.id })
      for (const n of [1, 2, 3, 4]) await duo.same('getKeyWrap', { datasetId: ds, number: n, member: m.id })
    }
    await duo.same('listGrants', { datasetId: ds, grantee: null })
    await duo.same('listGrants', { datasetId: null, grantee: null })
    await duo.same('listGrants', { datasetId: null, grantee: toMemberId('nobody') })
    await duo.same('getDataset', { datasetId: ds })
    await duo.sameHistory()
  })

  it('usage batches and settlement', async () => {
    const { p, c, c2, r } = await consortium()
    const [ds1, ds2, ghost] = [hex32(31), hex32(32), hex32(33)]
    await duo.expect('ok', p, 'registerDataset', {
      datasetId: ds1,
      metadata: md('U1'),
      terms: terms(100n, 2n),
      listed: true,
    })
    await duo.expect('ok', p, 'registerDataset', {
      datasetId: ds2,
      metadata: md('U2'),
      terms: terms(50n, 0n, 'USD'),
      listed: true,
    })
    await duo.expect('ok', p, 'publishVersion', version(ds1, 1, [p.id]))
    await duo.expect('ok', p, 'publishVersion', version(ds1, 2, [p.id]))
    await duo.expect('ok', p, 'publishVersion', version(ds2, 1, [p.id]))
    await duo.expect('ok', p, 'grantAccess', grant(ds1, c.id, { maxAccesses: 3, wraps: vwraps(1, 2) }))
    await duo.expect(
      'ok',
      p,
      'grantAccess',
      grant(ds1, c2.id, { scope: { kind: 'exact', version: 2 }, priceOverride: 7n, wraps: vwraps(2) }),
    )
    await duo.expect('ok', p, 'grantAccess', grant(ds2, c.id, { wraps: vwraps(1) }))
    const rec = (datasetId: string, v: number, extra: Record<string, unknown> = {}) => ({
      datasetId,
      version: v,
      bytes: 1000 * v,
      amount: datasetId === ds1 ? 100n + 2n * BigInt(1000 * v) : 50n,
      nonce: nonce(),
      wrapHash: toDigest(key(77)),
      ...extra,
    })
    const usage = (...records: ReturnType<typeof rec>[]) => ({ records }) as WriteArgs['recordUsage']
    await duo.expect('ACCESS_DENIED', r, 'recordUsage', usage(rec(ds1, 1)))
    await duo.expect('NOT_FOUND', c, 'recordUsage', usage(rec(ghost, 1)))
    await duo.expect('NOT_FOUND', c, 'recordUsage', usage(rec(ds1, 9)))
    await duo.expect('ACCESS_DENIED', c2, 'recordUsage', usage(rec(ds1, 1, { amount: 7n })))
    await duo.expect('INVALID_INPUT', c, 'recordUsage', usage(rec(ds1, 1, { bytes: 999 })))
    await duo.expect('AMOUNT_MISMATCH', c, 'recordUsage', usage(rec(ds1, 1, { amount: 1n })))
    await duo.expect('QUOTA_EXCEEDED', c, 'recordUsage', usage(rec(ds1, 1), rec(ds1, 2), rec(ds1, 1), rec(ds1, 2)))
    const twice = nonce()
    await duo.expect(
      'NONCE_REUSED',
      c,
      'recordUsage',
      usage(rec(ds2, 1, { nonce: twice }), rec(ds1, 1, { nonce: twice })),
    )
    await duo.expect('AMOUNT_MISMATCH', c, 'recordUsage', usage(rec(ds2, 1), rec(ds1, 2), rec(ds1, 1, { amount: 5n })))
    const kept = rec(ds2, 1)
    await duo.expect('ok', c, 'recordUsage', usage(rec(ds2, 1), rec(ds1, 2), kept, rec(ds1, 1)))
    await duo.expect('NONCE_REUSED', c, 'recordUsage', usage(rec(ds2, 1), { ...kept }))
    await duo.expect('ok', c2, 'recordUsage', usage(rec(ds1, 2, { amount: 7n }), rec(ds1, 2, { amount: 7n })))
    await duo.expect('ok', c, 'recordUsage', usage(rec(ds1, 1)))
    await duo.expect('QUOTA_EXCEEDED', c, 'recordUsage', usage(rec(ds2, 1), rec(ds1, 1)))
    await duo.expect('ok', p, 'revokeAccess', { datasetId: ds2, grantee: c.id })
    await duo.expect('GRANT_REVOKED', c, 'recordUsage', usage(rec(ds2, 1)))
    const now = (await duo.same('getLedgerTime', {})) as number
    await duo.expect('ok', p, 'grantAccess', grant(ds2, c.id, { expiresAt: now + 30, wraps: vwraps(1) }))
    await duo.expect('ok', c, 'recordUsage', usage(rec(ds2, 1)))
    await duo.advance(40)
    await duo.expect('GRANT_EXPIRED', c, 'recordUsage', usage(rec(ds2, 1)))
    await duo.expect('ok', p, 'updateDataset', {
      datasetId: ds1,
      metadata: md('U1'),
      terms: terms(1n, 0n, 'USD'),
      listed: true,
    })

    const events = await duo.sameHistory()
    const usageEvents = events.filter(e => e.type === 'UsageRecorded')
    expect(usageEvents).toHaveLength(8)
    const period = usageEvents[0]!.type === 'UsageRecorded' ? usageEvents[0]!.record.period : 0
    const keyOf = (consumer: MemberId, currency: string) => ({ provider: p.id, consumer, period, currency })
    for (const k of [
      keyOf(c.id, 'CNY'),
      keyOf(c.id, 'USD'),
      keyOf(c2.id, 'CNY'),
      keyOf(c2.id, 'EUR'),
      keyOf(toMemberId('nobody'), 'CNY'),
    ])
      await duo.same('getTotals', k)
    const totals = (await duo.same('getTotals', keyOf(c.id, 'CNY'))) as { amount: bigint; count: number }
    const ack = (digest: number, extra: Record<string, unknown> = {}) => ({
      ...keyOf(c.id, 'CNY'),
      digest: toDigest(key(digest)),
      amount: totals.amount,
      count: totals.count,
      ...extra,
    })
    await duo.expect('ACCESS_DENIED', c2, 'acknowledgeStatement', ack(1))
    await duo.expect('ACCESS_DENIED', p, 'acknowledgeStatement', ack(1, { consumer: p.id }))
    await duo.expect('SETTLEMENT_MISMATCH', c, 'acknowledgeStatement', ack(1, { amount: totals.amount + 1n }))
    await duo.expect('SETTLEMENT_MISMATCH', c, 'acknowledgeStatement', ack(1, { count: totals.count + 1 }))
    await duo.expect('ok', p, 'acknowledgeStatement', ack(1))
    await duo.same('getSettlement', keyOf(c.id, 'CNY'))
    await duo.expect('ok', c, 'acknowledgeStatement', ack(2))
    await duo.same('getSettlement', keyOf(c.id, 'CNY'))
    await duo.expect('ok', c, 'acknowledgeStatement', ack(1))
    // Settled: acknowledging it again is a no-op; the key's next statement is empty until more usage arrives.
    await duo.expect('ok', p, 'acknowledgeStatement', ack(1))
    await duo.expect('SETTLEMENT_MISMATCH', c, 'acknowledgeStatement', ack(0))
    await duo.expect('INVALID_INPUT', c, 'acknowledgeStatement', ack(3, { amount: 0n, count: 0 }))
    await duo.same('getSettlement', keyOf(c.id, 'CNY'))
    await duo.same('getSettlement', keyOf(c2.id, 'CNY'))
    await duo.same('getGrant', { datasetId: ds1, grantee: c.id })
    await duo.same('getGrant', { datasetId: ds1, grantee: c2.id })
    await duo.sameHistory()
  })
})

describe('EvmLedger reads', () => {
  it('pages a dense history of usage batches, mid-log and across empty blocks, as one read gives it', async () => {
    const { p, c } = await consortium()
    const ds = hex32(41)
    await duo.expect('ok', p, 'registerDataset', { datasetId: ds, metadata: md('P'), terms: terms(5n), listed: true })
    await duo.expect('ok', p, 'publishVersion', version(ds, 1, [p.id]))
    await duo.expect('ok', p, 'grantAccess', grant(ds, c.id, { wraps: vwraps(1) }))
    const rec = () => ({
      datasetId: ds,
      version: 1,
      bytes: 1000,
      amount: 5n,
      nonce: nonce(),
      wrapHash: toDigest(key(9)),
    })
    for (const size of [40, 1, 25, 60, 3]) {
      await c.evm.submit('recordUsage', { records: Array.from({ length: size }, rec) })
      if (size === 1) for (let i = 0; i < 5; i++) await duo.advance(0) // empty blocks
    }
    const all = await p.evm.readEvents()
    expect(all.events.filter(e => e.event.type === 'UsageRecorded')).toHaveLength(129)
    // One connection learns the span page by page; each limit on a fresh one, and again on the same one.
    for (const limit of [1, 7, 30, 59, 10_000]) {
      for (const ledger of [p.evm, (await duo.h.member('reader')) as EvmLedger]) {
        const pages: typeof all.events = []
        for (let after: string | null = null; ; ) {
          const page = await ledger.readEvents({ after, limit })
          expect(page.events.length).toBeLessThanOrEqual(limit)
          if (page.events.length === 0) break
          pages.push(...page.events)
          after = page.cursor
        }
        expect(pages).toEqual(all.events)
      }
    }
  })

  it('pages events with cursors and delivers new ones to subscribers', async () => {
    const { p, c } = await consortium()
    const all = await p.evm.readEvents()
    expect(all.events.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
      'MemberJoined',
      'MemberJoined',
      'MemberJoined',
    ])
    const first = await p.evm.readEvents({ limit: 2 })
    const rest = await p.evm.readEvents({ after: first.cursor })
    expect([...first.events, ...rest.events]).toEqual(all.events)
    expect((await p.evm.readEvents({ after: all.cursor })).events).toEqual([])
    await expect(p.evm.readEvents({ after: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })

    // From the cursor, not from "now": a live subscription opens one round trip later, and on a loaded machine the
    // registration can commit within it.
    const seen: string[] = []
    const off = c.evm.subscribe(e => seen.push(e.event.type), { after: all.cursor })
    const witness: string[] = []
    const offWitness = c.evm.subscribe(e => witness.push(e.event.type), { after: all.cursor })
    await duo.expect('ok', p, 'registerDataset', {
      datasetId: hex32(41),
      metadata: md('S'),
      terms: terms(),
      listed: true,
    })
    await expect.poll(() => seen, { timeout: 20_000, interval: 20 }).toEqual(['DatasetRegistered'])
    off()
    await duo.expect('ok', p, 'retireDataset', { datasetId: hex32(41) })
    // Once a subscription still open has seen the retirement, the closed one would have seen it too: wait for that.
    await expect.poll(() => witness, { timeout: 20_000, interval: 20 }).toEqual(['DatasetRegistered', 'DatasetRetired'])
    offWitness()
    expect(seen).toEqual(['DatasetRegistered'])
  })

  it('rejects with CLOSED after close, and leaves other connections working', async () => {
    const { p, c } = await consortium()
    await c.evm.close()
    await expect(c.evm.submit('leaveConsortium', {})).rejects.toMatchObject({ code: 'CLOSED', ledger: 'evm' })
    await expect(c.evm.query('getSettings', {})).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(c.evm.readEvents()).rejects.toMatchObject({ code: 'CLOSED' })
    // subscribe never throws (issue 9): the CLOSED error reaches onError instead.
    const closed = await new Promise(resolve => c.evm.subscribe(() => undefined, { onError: resolve }))
    expect(closed).toMatchObject({ code: 'CLOSED' })
    expect(await p.evm.query('getMember', { member: c.id })).toMatchObject({ status: 'active' })
  })

  it('refuses member ids that are not addresses, and bad arguments, before sending anything', async () => {
    const { p } = await consortium()
    const before = (await p.evm.readEvents()).events.length
    await expect(
      p.evm.submit('admitMember', { member: toMemberId('mem:bob'), roles: ['consumer'] }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { argument: 'member' },
    })
    await expect(
      p.evm.submit('admitMember', { member: toMemberId(`0x${'AB'.repeat(20)}`), roles: ['consumer'] }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(p.evm.submit('recordUsage', { records: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(p.evm.submit('nope' as 'leaveConsortium', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(p.evm.query('nope' as 'getSettings', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect((await p.evm.readEvents()).events.length).toBe(before)
  })
})
