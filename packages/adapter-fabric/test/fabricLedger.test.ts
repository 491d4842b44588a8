import { toBase64 } from '@datapact/chaincode/wire'
import { type LedgerEventRecord, type MemberId, type Role, toDatasetId, toDigest, toNonce } from '@datapact/core'
import { encodeArgs } from '@datapact/core/rules'
import { fakeWrap, ZERO32 } from '@datapact/core/testing'
import * as grpc from '@grpc/grpc-js'
import { CommitError, connect, StatusCode, type Transaction } from '@hyperledger/fabric-gateway'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FabricLedger } from '../src/index.js'
import {
  createFabricHarness,
  type FabricHarness,
  memberIdentity,
  memberSigner,
  type TestMember,
} from '../src/testing/index.js'

const key = (n: number) => new Uint8Array(32).fill(n)
const digest = (n: number) => toDigest(key(n))
const datasetId = toDatasetId('ab'.repeat(32))
const metadata = { title: 'Ticks', description: '', tags: [], mediaType: '', schema: '' }
const terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY', licence: '' }
let nonces = 0
const nonce = () => toNonce((++nonces).toString(16).padStart(32, '0'))

const join = (ledger: FabricLedger, roles: Role[], n = 1) =>
  ledger.submit('joinConsortium', { name: `m${n}`, roles, envelopeKey: key(n), settings: null })

/** Provider P (admin) with a dataset and a version stored elsewhere; consumers as asked. */
async function consortium(h: FabricHarness, consumers = 2) {
  const provider = await h.member('provider')
  await join(provider, ['provider'])
  const others: FabricLedger[] = []
  for (let i = 0; i < consumers; i++) {
    const c = await h.member(`consumer${i}`)
    await join(c, ['consumer'], i + 2)
    others.push(c)
  }
  await provider.submit('registerDataset', { datasetId, metadata, terms, listed: true })
  await provider.submit('publishVersion', {
    datasetId,
    number: 1,
    plaintextDigest: digest(1),
    merkleRoot: digest(2),
    size: 100,
    chunkSize: 1024,
    chunkCount: 1,
    header: key(3),
    keyCommitment: digest(4),
    location: { store: 'shared', address: 'x' },
    wraps: [{ member: provider.memberId, wrapped: fakeWrap() }],
  })
  return { provider, consumers: others }
}

const grant = (grantee: MemberId, maxAccesses: number | null = null) => ({
  datasetId,
  grantee,
  scope: { kind: 'all' as const, version: 0 },
  expiresAt: null,
  maxAccesses,
  priceOverride: null,
  wraps: [{ version: 1, wrapped: fakeWrap() }],
})
const usage = () => ({
  records: [{ datasetId, version: 1, bytes: 100, amount: 100n, nonce: nonce(), wrapHash: ZERO32 }],
})

/**
 * vi.waitFor's bound for a condition (its default is 1 s): the wait ends as soon as the condition holds; the bound
 * only has to outlast endorsements and commits on a busy 2-core machine.
 */
const patience = { timeout: 20_000, interval: 20 }

/**
 * Forces a race deterministically: starts the calls while blocks are held, waits until all of them are endorsed
 * (against the same committed state: nothing commits while blocks are held) and ordered, then lets them into one
 * block. Of transactions that read and write the same key, the first in the block commits and every other one is
 * invalidated with MVCC_READ_CONFLICT, however slowly the machine runs. Resolves with the results and the number
 * of that block.
 */
async function inOneBlock<T>(
  h: FabricHarness,
  calls: Array<() => Promise<T>>,
): Promise<PromiseSettledResult<T>[] & { block: number }> {
  const release = h.server.holdBlocks()
  const results = Promise.allSettled(calls.map(call => call()))
  await vi.waitFor(() => expect(h.server.pendingTransactions()).toBe(calls.length), patience)
  const block = h.server.blockHeight()
  release()
  return Object.assign(await results, { block })
}

const blockCodes = (h: FabricHarness, number: number) =>
  h.server
    .ledgerSnapshot()
    .find(block => block.number === number)
    ?.transactions.map(tx => tx.validationCode)
    .sort()

const lastBlockCodes = (h: FabricHarness) =>
  h.server
    .ledgerSnapshot()
    .at(-1)
    ?.transactions.map(tx => tx.validationCode)
    .sort()

const mvccConflicts = (h: FabricHarness) =>
  h.server
    .ledgerSnapshot()
    .flatMap(block => block.transactions)
    .filter(tx => tx.validationCode === StatusCode.MVCC_READ_CONFLICT).length

async function allEvents(ledger: FabricLedger, limit = 10_000): Promise<LedgerEventRecord[]> {
  const out: LedgerEventRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await ledger.readEvents({ after, limit })
    if (page.events.length === 0) return out
    out.push(...page.events)
    after = page.cursor
  }
}

/** Endorses a key rotation by `member` through a gateway connection of its own, hands it to `use` unsubmitted. */
async function withEndorsedRotation(h: FabricHarness, member: TestMember, use: (stale: Transaction) => Promise<void>) {
  const client = new grpc.Client(h.server.address, grpc.credentials.createInsecure())
  const gateway = connect({ client, identity: memberIdentity(member), signer: memberSigner(member) })
  try {
    const contract = gateway.getNetwork(h.channel).getContract(h.chaincode)
    const argument = toBase64(encodeArgs('rotateEnvelopeKey', { envelopeKey: key(8) }))
    await use(await contract.newProposal('rotateEnvelopeKey', { arguments: [argument] }).endorse())
  } finally {
    gateway.close()
    client.close()
  }
}

describe('FabricLedger: concurrent writes (MVCC)', () => {
  let h: FabricHarness
  afterEach(() => h?.teardown())

  it('commits one of two conflicting updates in a block and refuses the other with CONFLICT when not retrying', async () => {
    h = await createFabricHarness({ ledger: { conflictRetries: 0 } })
    const { provider, consumers } = await consortium(h, 2)
    const [c, admin2] = consumers as [FabricLedger, FabricLedger]
    await provider.submit('setMemberRoles', { member: admin2.memberId, roles: ['admin', 'consumer'] })
    const before = await allEvents(provider)

    // Two admins change the same member's roles: both read and write member/<c>.
    const results = await inOneBlock(h, [
      () => provider.submit('setMemberRoles', { member: c.memberId, roles: ['consumer', 'provider'] }),
      () => admin2.submit('setMemberRoles', { member: c.memberId, roles: ['consumer', 'regulator'] }),
    ])
    expect(lastBlockCodes(h)).toEqual([StatusCode.VALID, StatusCode.MVCC_READ_CONFLICT])
    const won = results.flatMap(r => (r.status === 'fulfilled' ? [r.value] : []))
    const lost = results.flatMap(r => (r.status === 'rejected' ? [r.reason] : []))
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({ name: 'LedgerError', code: 'CONFLICT', ledger: 'fabric' })
    expect(lost[0].cause).toBeInstanceOf(CommitError)
    expect(lost[0].cause).toMatchObject({ code: StatusCode.MVCC_READ_CONFLICT })
    expect(h.server.transactionStatus(lost[0].transactionId)?.validationCode).toBe(StatusCode.MVCC_READ_CONFLICT)

    // Exactly the winner is on the ledger: its roles, its one event.
    const winner = won[0]
    const roles = (await c.query('getMember', { member: c.memberId }))?.roles
    expect(winner?.events).toEqual([{ type: 'MemberRolesChanged', member: c.memberId, roles }])
    const after = await allEvents(provider)
    expect(after.slice(before.length).map(e => e.event)).toEqual(winner?.events)
  })

  it('submits a conflicted update again: both updates land, in order, nothing lost', async () => {
    h = await createFabricHarness()
    const { provider, consumers } = await consortium(h, 2)
    const [c, admin2] = consumers as [FabricLedger, FabricLedger]
    await provider.submit('setMemberRoles', { member: admin2.memberId, roles: ['admin', 'consumer'] })
    const results = await inOneBlock(h, [
      () => provider.submit('setMemberRoles', { member: c.memberId, roles: ['consumer', 'provider'] }),
      () => admin2.submit('setMemberRoles', { member: c.memberId, roles: ['consumer', 'regulator'] }),
    ])
    expect(results.map(r => r.status)).toEqual(['fulfilled', 'fulfilled'])
    expect(mvccConflicts(h)).toBe(1) // the loser of the block was submitted again
    const changes = (await allEvents(c)).filter(e => e.event.type === 'MemberRolesChanged')
    expect(
      changes
        .slice(-2)
        .map(e => e.caller)
        .sort(),
    ).toEqual([provider.memberId, admin2.memberId].sort())
    const last = changes.at(-1)!.event
    expect((await c.query('getMember', { member: c.memberId }))?.roles).toEqual(
      last.type === 'MemberRolesChanged' ? last.roles : [],
    )
  })

  it('retries a usage race on the last access and refuses the loser with QUOTA_EXCEEDED, counted once', async () => {
    h = await createFabricHarness()
    const { provider, consumers } = await consortium(h, 1)
    const consumer = consumers[0]!
    await provider.submit('grantAccess', grant(consumer.memberId, 1))
    const raced = await inOneBlock(h, [
      () => consumer.submit('recordUsage', usage()),
      () => consumer.submit('recordUsage', usage()),
    ])
    expect(raced.map(r => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(mvccConflicts(h)).toBe(1) // endorsed together, invalidated at commit, refused by the rules on retry
    const refused = raced.flatMap(r => (r.status === 'rejected' ? [r.reason] : []))[0]
    expect(refused).toMatchObject({ code: 'QUOTA_EXCEEDED' })
    expect((await consumer.query('getGrant', { datasetId, grantee: consumer.memberId }))?.used).toBe(1)
    const period = (await allEvents(consumer)).find(e => e.event.type === 'UsageRecorded')
    const recorded = period?.event.type === 'UsageRecorded' ? period.event.record : undefined
    const totals = await consumer.query('getTotals', {
      provider: provider.memberId,
      consumer: consumer.memberId,
      period: recorded!.period,
      currency: 'CNY',
    })
    expect([totals.count, totals.amount]).toEqual([1, 100n])
  })

  it('lands concurrent grants on one dataset (a hot key) with enough retries', async () => {
    h = await createFabricHarness({ ledger: { conflictRetries: 8 } })
    const { provider, consumers } = await consortium(h, 4)
    // The race is forced: all four are endorsed on the same state and ordered into one block, so exactly one
    // commits there and three are invalidated. Their retries may race each other again, but a grant can only be
    // invalidated by another grant's commit (three at most), so 8 retries always suffice.
    const granted = await inOneBlock(
      h,
      consumers.map(c => () => provider.submit('grantAccess', grant(c.memberId))),
    )
    expect(granted.map(r => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
    expect(blockCodes(h, granted.block)).toEqual([
      StatusCode.VALID,
      StatusCode.MVCC_READ_CONFLICT,
      StatusCode.MVCC_READ_CONFLICT,
      StatusCode.MVCC_READ_CONFLICT,
    ])
    const grants = await provider.query('listGrants', { datasetId, grantee: null })
    expect(grants.map(g => g.seq).sort()).toEqual([1, 2, 3, 4])
    expect((await provider.query('getDataset', { datasetId }))?.grantCount).toBe(4)
  })
})

describe('gateway test server: reset()', () => {
  let h: FabricHarness
  afterEach(() => h?.teardown())

  // A test that times out leaves its calls running; after the next harness resets the shared server they must not
  // land in the new ledger (a stale read set there is an MVCC conflict another test would count).
  it('refuses a transaction endorsed before the reset, and keeps the new ledger empty', async () => {
    h = await createFabricHarness()
    const member = await h.identity('provider')
    await join(h.connect(member), ['provider'])
    await withEndorsedRotation(h, member, async stale => {
      h!.server.reset()
      await expect(stale.submit()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    })
    expect(h.server.blockHeight()).toBe(1)
    expect(h.server.pendingTransactions()).toBe(0)
    expect(h.server.ledgerSnapshot()).toEqual([{ number: 0, transactions: [] }])
  })
})

describe('FabricLedger: unknown outcomes', () => {
  let h: FabricHarness | undefined
  afterEach(async () => {
    await h?.teardown()
    h = undefined
  })

  it('names the transaction when the gateway stops after the submit; the retry with the same nonce records once', async () => {
    h = await createFabricHarness({ shared: false })
    const server = h.server
    const { provider, consumers } = await consortium(h, 1)
    const consumer = consumers[0]!
    await provider.submit('grantAccess', grant(consumer.memberId))
    const args = usage()
    // Ordered but not yet committed when the gateway goes away: the client cannot know the outcome.
    const release = server.holdBlocks()
    const submitted = consumer.submit('recordUsage', args).catch((e: unknown) => e)
    await vi.waitFor(() => expect(server.pendingTransactions()).toBe(1), patience)
    await server.stop() // commits what the orderer holds
    release()
    expect(await submitted).toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      transactionId: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { outcome: 'unknown' },
    })
    await server.restart()
    // The client reconnects with a backoff: wait until its node answers again, then retry.
    await vi.waitFor(async () => expect(await consumer.query('getLedgerTime', {})).toBeGreaterThan(0), patience)
    await expect(consumer.submit('recordUsage', args)).rejects.toMatchObject({ code: 'NONCE_REUSED' })
    const nonce = args.records[0]!.nonce
    expect(await consumer.query('getUsage', { consumer: consumer.memberId, nonce })).toMatchObject({ nonce })
    expect((await consumer.query('getGrant', { datasetId, grantee: consumer.memberId }))?.used).toBe(1)
  })
})

describe('FabricLedger: events', () => {
  let h: FabricHarness
  beforeEach(async () => {
    h = await createFabricHarness()
  })
  afterEach(() => h?.teardown())

  it('pages through events with cursors inside and across blocks', async () => {
    const { provider, consumers } = await consortium(h, 2)
    const release = h.server.holdBlocks()
    const granted = Promise.all([
      provider.submit('grantAccess', grant(consumers[0]!.memberId)),
      consumers[1]!.submit('rotateEnvelopeKey', { envelopeKey: key(9) }),
    ])
    await vi.waitFor(() => expect(h.server.pendingTransactions()).toBe(2), patience)
    release()
    await granted
    const all = await allEvents(consumers[0]!)
    // The bootstrap transaction emits two events; the last block holds two transactions.
    expect(all.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
      'MemberJoined',
      'MemberJoined',
      'DatasetRegistered',
      'VersionPublished',
      ...(all.at(-2)!.event.type === 'AccessGranted'
        ? ['AccessGranted', 'EnvelopeKeyRotated']
        : ['EnvelopeKeyRotated', 'AccessGranted']),
    ])
    expect(all[0]!.cursor.split(':')[0]).toBe(all[1]!.cursor.split(':')[0])
    expect(all.at(-1)!.cursor.split(':')[0]).toBe(all.at(-2)!.cursor.split(':')[0])
    expect([...all.map(e => e.cursor)].sort()).toEqual(all.map(e => e.cursor))
    expect(all[0]).toMatchObject({ caller: provider.memberId, at: expect.any(Number), txId: all[1]!.txId })
    for (const limit of [1, 2, 3]) expect(await allEvents(provider, limit)).toEqual(all)
    const mid = await provider.readEvents({ after: all[0]!.cursor, limit: 2 })
    expect(mid).toEqual({ events: all.slice(1, 3), cursor: all[2]!.cursor })
    expect(await provider.readEvents({ after: all.at(-1)!.cursor })).toEqual({ events: [], cursor: all.at(-1)!.cursor })
  })

  it('reaches the head when the last block carries no Datapact event (idle timeout), and only then waits', async () => {
    const member = await h.identity('provider')
    const provider = h.connect(member)
    await join(provider, ['provider'])
    const [bootstrap] = await allEvents(provider)
    // A read that ends at its limit or at the head never waits for the idle timeout: with an idle timeout of ten
    // minutes it still returns at once (were it to wait, the test would time out), whatever the machine's load.
    const neverIdle = h.connect(member, { eventIdleTimeoutMs: 600_000 })
    expect(await neverIdle.readEvents({ after: bootstrap!.cursor, limit: 1 })).toMatchObject({ events: [{}] })
    expect(await neverIdle.readEvents({ after: bootstrap!.cursor })).toMatchObject({ events: [{}] })

    // Endorse a key rotation, let another one commit, then submit the first: it is alone in the last block and
    // invalid (MVCC), so that block has no chaincode event.
    await withEndorsedRotation(h, member, async stale => {
      await provider.submit('rotateEnvelopeKey', { envelopeKey: key(9) })
      expect((await (await stale.submit()).getStatus()).code).toBe(StatusCode.MVCC_READ_CONFLICT)
    })
    // Past the last event only the idle timeout ends a read. Read all with 2 s of it (a loaded machine can take
    // longer than the default 250 ms to deliver the first events of the stream, and the page would end early).
    const events = await allEvents(h.connect(member, { eventIdleTimeoutMs: 2000 }))
    expect(events.map(e => e.event.type)).toEqual(['ConsortiumBootstrapped', 'MemberJoined', 'EnvelopeKeyRotated'])
    const last = events.at(-1)!
    expect(Number(last.cursor.split(':')[0])).toBe((await provider.blockHeight()) - 2)
    const t = performance.now()
    expect(await provider.readEvents({ after: last.cursor })).toEqual({ events: [], cursor: last.cursor })
    const idle = performance.now() - t
    expect(idle).toBeGreaterThanOrEqual(240) // eventIdleTimeoutMs defaults to 250 ms (a lower bound: load only adds)
  })

  it('refuses a malformed cursor or limit with INVALID_INPUT', async () => {
    const ledger = await h.member('reader')
    for (const after of ['x', '12:3', '0000000000000001:00000000x', 7])
      await expect(ledger.readEvents({ after: after as string })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    for (const limit of [0, -1, 1.5, 1e9])
      await expect(ledger.readEvents({ limit })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(await ledger.readEvents()).toEqual({ events: [], cursor: null })
  })

  it('delivers live events to subscribers, gap-free after a cursor', async () => {
    const provider = await h.member('provider')
    await join(provider, ['provider'])
    const { cursor } = await provider.readEvents()
    const watcher = await h.member('watcher')
    const seen: LedgerEventRecord[] = []
    const fromCursor: LedgerEventRecord[] = []
    const live = watcher.subscribe(e => seen.push(e))
    const off = watcher.subscribe(e => fromCursor.push(e), { after: cursor })
    const replay: LedgerEventRecord[] = []
    const offReplay = watcher.subscribe(e => replay.push(e), { after: null })
    await join(watcher, ['consumer'], 2)
    await provider.submit('registerDataset', { datasetId, metadata, terms, listed: true })
    const all = await allEvents(provider)
    await vi.waitFor(() => expect(fromCursor).toEqual(all.slice(2)), patience)
    await vi.waitFor(() => expect(replay).toEqual(all), patience)
    await vi.waitFor(() => expect(seen.map(e => e.event.type)).toContain('DatasetRegistered'), patience)
    off()
    offReplay()
    live()
    // A subscription left open sees the update: once it has, the ended ones would have seen it too (no sleep).
    const witness: LedgerEventRecord[] = []
    const offWitness = watcher.subscribe(e => witness.push(e), { after: all.at(-1)!.cursor })
    await provider.submit('updateDataset', { datasetId, metadata, terms, listed: false })
    await vi.waitFor(() => expect(witness.map(e => e.event.type)).toEqual(['DatasetUpdated']), patience)
    offWitness()
    expect(fromCursor).toEqual(all.slice(2))
    expect(replay).toEqual(all)
  })

  it('rejects every call with CLOSED after close(), and leaves the ledger to the others', async () => {
    const a = await h.member('a')
    const b = await h.member('b')
    await join(a, ['provider'])
    await a.close()
    await a.close()
    await expect(a.submit('leaveConsortium', {})).rejects.toMatchObject({ code: 'CLOSED', ledger: 'fabric' })
    await expect(a.query('getSettings', {})).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(a.readEvents()).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(a.blockHeight()).rejects.toMatchObject({ code: 'CLOSED' })
    // subscribe never throws (issue 9): the CLOSED error reaches onError instead.
    const closed = await new Promise(resolve => a.subscribe(() => {}, { onError: resolve }))
    expect(closed).toMatchObject({ code: 'CLOSED' })
    expect((await b.query('getMember', { member: a.memberId }))?.name).toBe('m1')
  })
})

describe('FabricLedger: the gateway peer goes away', () => {
  let h: FabricHarness
  afterEach(() => h?.teardown())

  it('fails with LEDGER_UNAVAILABLE (gRPC cause attached) while stopped and carries on after a restart', async () => {
    h = await createFabricHarness({ shared: false })
    const provider = await h.member('provider')
    await join(provider, ['provider'])
    const watched: LedgerEventRecord[] = []
    const errors: unknown[] = []
    provider.subscribe(e => watched.push(e), { after: null, onError: e => errors.push(e) })
    await vi.waitFor(() => expect(watched).toHaveLength(2), patience)

    // A transaction in flight when the peer stops: ordered, but its commit status cannot be read.
    const release = h.server.holdBlocks()
    const inFlight = provider
      .submit('registerDataset', { datasetId, metadata, terms, listed: true })
      .catch((e: unknown) => e)
    await vi.waitFor(() => expect(h.server.pendingTransactions()).toBe(1), patience)
    await h.server.stop()
    release()
    const lost = await inFlight
    expect(lost).toMatchObject({ code: 'LEDGER_UNAVAILABLE', ledger: 'fabric', transactionId: expect.any(String) })
    expect((lost as Error).message).toMatch(/may still commit/)

    for (const call of [
      () => provider.query('getSettings', {}),
      () => provider.submit('rotateEnvelopeKey', { envelopeKey: key(5) }),
      () => provider.readEvents(),
    ]) {
      const error = await call().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'LEDGER_UNAVAILABLE', cause: { code: grpc.status.UNAVAILABLE } })
    }
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), patience)
    expect(errors[0]).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })

    await h.server.restart()
    // The in-flight transaction was committed after all (the server orders what it had before stopping).
    expect(h.server.transactionStatus((lost as { transactionId: string }).transactionId)?.validationCode).toBe(
      StatusCode.VALID,
    )
    await vi.waitFor(async () => expect(await provider.query('getDataset', { datasetId })).not.toBeNull(), patience)
    await provider.submit('rotateEnvelopeKey', { envelopeKey: key(6) })
    const events = await allEvents(provider)
    expect(events.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
      'DatasetRegistered',
      'EnvelopeKeyRotated',
    ])
    // The subscription reconnected and resumed where it stopped.
    await vi.waitFor(() => expect(watched).toEqual(events), patience)
  }, 60_000)
})

describe('FabricLedger: large payload answers', () => {
  let h: FabricHarness
  beforeEach(async () => {
    h = await createFabricHarness()
  })
  afterEach(() => h.teardown())

  it('reads an answer of 16 chunks of the largest chunk size the client writes (1 MiB + tag) in one query', async () => {
    const provider = await h.member('provider')
    await join(provider, ['provider'])
    const upload = 'cd'.repeat(32)
    const chunkBytes = 1024 * 1024 + 16
    const chunks = Array.from({ length: 16 }, (_, i) => new Uint8Array(chunkBytes).fill(i + 1))
    // Two chunks per transaction: an envelope of about 4.7 MiB, like the client's fullest batch.
    for (let first = 0; first < chunks.length; first += 2)
      await provider.submit('storePayload', {
        upload,
        first,
        chunks: chunks.slice(first, first + 2),
        last: first + 2 === chunks.length,
      })
    // About 22 MiB of base64: the regular expression that checked it overflowed the stack past about 4.5 MiB.
    const read = await provider.query('getPayload', { upload, first: 0, count: 16 })
    expect(read).toHaveLength(16)
    for (const [i, chunk] of read.entries()) expect(Buffer.from(chunk).equals(chunks[i]!), `chunk ${i}`).toBe(true)
  }, 120_000)
})
