import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Datapact, generateMemberKeys, type LedgerAdapter, type MemberId, toDatasetId, toNonce } from '@datapact/core'
import { fakeWrap, versionArgs, ZERO32 } from '@datapact/core/testing'
import { JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EvmLedger } from '../src/index.js'
import { ANVIL_ACCOUNTS, type AnvilInstance, anvilRpc, createEvmHarness, startAnvil } from '../src/testing/index.js'

const envelopeKey = new Uint8Array(32).fill(1)
const metadata = { title: 'Faults', description: '', tags: [], mediaType: '', schema: '' }
const terms = { pricePerAccess: 10n, pricePerByte: 0n, currency: 'CNY', licence: '' }
const id = (n: number) => toDatasetId(n.toString(16).padStart(64, '0'))
const register = (ledger: LedgerAdapter, n: number) =>
  ledger.submit('registerDataset', { datasetId: id(n), metadata, terms, listed: true })
const settled = async (ps: Promise<unknown>[]) =>
  (await Promise.allSettled(ps)).map(r => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code))

async function provider(anvil: AnvilInstance) {
  const h = await createEvmHarness({ anvil })
  const p = await h.member('provider')
  await p.submit('joinConsortium', { name: 'P', roles: ['provider', 'consumer'], envelopeKey, settings: null })
  return { h, p: p as EvmLedger }
}

/** Registers dataset `n` with one version (stored elsewhere) and grants `grantee` access to it. */
async function grantedDataset(p: EvmLedger, n: number, grantee: MemberId, maxAccesses: number | null = null) {
  await register(p, n)
  await p.submit('publishVersion', versionArgs(id(n), 1, [p.memberId], { size: 10, chunkCount: 1 }))
  await p.submit('grantAccess', {
    datasetId: id(n),
    grantee,
    scope: { kind: 'all', version: 0 },
    expiresAt: null,
    maxAccesses,
    priceOverride: null,
    wraps: [{ version: 1, wrapped: fakeWrap(2) }],
  })
}

/** A funded new member's connection to the contract at `address` through the node at `rpcUrl`. */
async function freshMemberThrough(rpcUrl: string, address: string): Promise<EvmLedger> {
  const wallet = Wallet.createRandom()
  await anvilRpc(rpcUrl, 'anvil_setBalance', [wallet.address, '0x3635c9adc5dea00000'])
  return EvmLedger.attach({ rpcUrl, address, privateKey: wallet.privateKey, pollingInterval: 20 })
}

/** Waits until the node's pool holds `n` transactions (automine off). */
async function pending(anvil: AnvilInstance, n: number) {
  await expect
    .poll(async () => Number((await anvilRpc<{ pending: string }>(anvil.rpcUrl, 'txpool_status')).pending), {
      // A condition, not a delay: the bound only has to outlast a slow send on a loaded machine (testTimeout is 30 s).
      timeout: 20_000,
      interval: 10,
    })
    .toBe(n)
}

/**
 * A JSON-RPC relay in front of a node that can lose the answer to the next eth_sendRawTransaction: the node receives
 * and mines the transaction, the client's connection is cut before it hears back. Forces "the node died after the
 * send" deterministically. It can also play a node without some methods, and counts the methods it relays.
 */
async function lossyRelay(target: string) {
  let loseNextSend = false
  let hideReceiptsUntil = 0
  const missing = new Set<string>()
  let missingStatus = 200
  const calls = new Map<string, number>()
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    type Request = { id: unknown; method: string }
    const requests = [JSON.parse(body) as Request | Request[]].flat()
    for (const r of requests) calls.set(r.method, (calls.get(r.method) ?? 0) + 1)
    const reply = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    let text = await reply.text()
    let status = reply.status
    if (requests.some(r => missing.has(r.method))) {
      // As a node without the method answers (Geth's words): the others' answers pass through.
      const answers = JSON.parse(text) as { id: unknown } | Array<{ id: unknown }>
      const answer = (a: { id: unknown }) =>
        missing.has(requests.find(r => r.id === a.id)?.method ?? '')
          ? { jsonrpc: '2.0', id: a.id, error: { code: -32601, message: 'the method does not exist/is not available' } }
          : a
      text = JSON.stringify(Array.isArray(answers) ? answers.map(answer) : answer(answers))
      // Some gateways send a JSON-RPC error with an HTTP 4xx status: the body is still the answer.
      status = missingStatus
    }
    if (Date.now() < hideReceiptsUntil && body.includes('eth_getTransactionReceipt')) {
      // A node that indexes receipts after nonces: the transaction is mined, its receipt not yet served.
      const hide = (r: { id: unknown }) => ({ jsonrpc: '2.0', id: r.id, result: null })
      const parsed = JSON.parse(body) as { id: unknown } | Array<{ id: unknown }>
      text = JSON.stringify(Array.isArray(parsed) ? parsed.map(hide) : hide(parsed))
    }
    if (loseNextSend && body.includes('eth_sendRawTransaction')) {
      loseNextSend = false
      req.socket.destroy()
      return
    }
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(text)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    loseNextSend: () => {
      loseNextSend = true
    },
    hideReceiptsFor: (ms: number) => {
      hideReceiptsUntil = Date.now() + ms
    },
    /** Answers `method` as a node without it does, with HTTP `status` (200 from a node, 400 from some gateways). */
    withoutMethod: (method: string, status = 200) => {
      missing.add(method)
      missingStatus = status
    },
    calls: (method: string) => calls.get(method) ?? 0,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  }
}

/** Runs `body` on a fresh contract with a relay in front of the node and a new member connected through it. */
async function throughRelay(
  anvil: AnvilInstance,
  body: (c: { p: EvmLedger; relay: Awaited<ReturnType<typeof lossyRelay>>; ledger: EvmLedger }) => Promise<void>,
) {
  const { p } = await provider(anvil)
  const relay = await lossyRelay(anvil.rpcUrl)
  try {
    const ledger = await freshMemberThrough(relay.url, p.address)
    try {
      await body({ p, relay, ledger })
    } finally {
      await ledger.close()
    }
  } finally {
    await relay.close()
  }
}

describe('node failures', () => {
  let anvil: AnvilInstance
  beforeAll(async () => {
    anvil = await startAnvil()
  })
  afterAll(() => anvil.stop())

  it('reports LEDGER_UNAVAILABLE when the node dies mid-transaction, and works again after a restart', async () => {
    const { h, p } = await provider(anvil)
    await register(p, 1)
    await anvilRpc(anvil.rpcUrl, 'evm_setAutomine', [false])
    const inFlight = register(p, 2).catch(e => e)
    await pending(anvil, 1)
    await anvil.kill('SIGTERM')
    expect(await inFlight).toMatchObject({ code: 'LEDGER_UNAVAILABLE', ledger: 'evm' })
    for (const call of [() => register(p, 3), () => p.query('getDataset', { datasetId: id(1) }), () => p.readEvents()])
      await expect(call()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE', cause: expect.anything() })

    await anvil.restart()
    expect(await p.query('getDataset', { datasetId: id(1) })).toMatchObject({ id: id(1), metadata })
    expect(await p.query('getDataset', { datasetId: id(2) })).toBeNull()
    await register(p, 2)
    expect((await p.readEvents()).events.map(e => e.event.type)).toEqual([
      'ConsortiumBootstrapped',
      'MemberJoined',
      'DatasetRegistered',
      'DatasetRegistered',
    ])
    await h.teardown()
  })

  it('records a usage batch once when the answer to its send is lost: the retry with the same nonces finds it', () =>
    throughRelay(anvil, async ({ p, relay, ledger }) => {
      const consumer = await Datapact.open({ ledger, keys: generateMemberKeys() })
      await consumer.members.join({ name: 'C', roles: ['consumer'] })
      await grantedDataset(p, 7, ledger.memberId)
      const accesses = ['a', 'b'].map(c => ({ datasetId: id(7), version: 1, nonce: toNonce(c.repeat(32)) }))
      relay.loseNextSend()
      const lost = await consumer.usage.record(accesses).catch(e => e)
      expect(lost).toMatchObject({
        code: 'LEDGER_UNAVAILABLE',
        transactionId: expect.stringMatching(/^0x[0-9a-f]{64}$/),
        details: { outcome: 'unknown', nonces: accesses.map(a => a.nonce).join(',') },
      })
      // The node did commit it: the retry with the same nonces reports those records and adds none.
      const again = await consumer.usage.record(accesses)
      expect(again.map(r => [r.txId, r.record.nonce])).toEqual(accesses.map(a => [null, a.nonce]))
      const period = again[0]!.record.period
      const totals = await consumer.billing.totals({
        provider: p.memberId,
        consumer: ledger.memberId,
        period,
        currency: 'CNY',
      })
      expect([totals.count, totals.amount]).toEqual([2, 20n])
    }))

  it('does not send again a mined transaction whose receipt the node serves late', () =>
    throughRelay(anvil, async ({ p, relay, ledger }) => {
      await ledger.submit('joinConsortium', { name: 'L', roles: ['provider'], envelopeKey, settings: null })
      relay.hideReceiptsFor(1500)
      await register(ledger, 9) // mined at once, its receipt hidden for 1.5 s: a resend would be refused (CONFLICT)
      const registered = (await p.readEvents()).events.filter(
        e => e.event.type === 'DatasetRegistered' && e.event.dataset.id === id(9),
      )
      expect(registered).toHaveLength(1)
    }))

  it('runs each write once through eth_simulateV1 where the node has it; a refusal asks eth_estimateGas for its error', () =>
    throughRelay(anvil, async ({ relay, ledger }) => {
      await ledger.submit('joinConsortium', { name: 'L', roles: ['provider'], envelopeKey, settings: null })
      await register(ledger, 12)
      expect([relay.calls('eth_simulateV1'), relay.calls('eth_estimateGas')]).toEqual([2, 0])
      await expect(register(ledger, 12)).rejects.toMatchObject({ code: 'CONFLICT', details: { revert: 'Conflict' } })
      expect([relay.calls('eth_simulateV1'), relay.calls('eth_estimateGas')]).toEqual([3, 1])
      expect(relay.calls('eth_sendRawTransaction')).toBe(2)
    }))

  /** Sends through a node without eth_simulateV1 (its answer carried with HTTP `status`): estimates, refusals as before. */
  const withoutSimulate = (status: number) =>
    throughRelay(anvil, async ({ p, relay, ledger }) => {
      relay.withoutMethod('eth_simulateV1', status) // before the first send (attaching sends nothing)
      await ledger.submit('joinConsortium', { name: 'L', roles: ['provider'], envelopeKey, settings: null })
      await register(ledger, 11)
      await expect(register(ledger, 11)).rejects.toMatchObject({ code: 'CONFLICT', details: { revert: 'Conflict' } })
      await expect(ledger.submit('leaveConsortium', {})).resolves.toMatchObject({ txId: expect.any(String) })
      // Asked once, then never again: every later send estimated.
      expect(relay.calls('eth_simulateV1')).toBe(1)
      expect(relay.calls('eth_estimateGas')).toBe(4)
      expect(await p.query('getDataset', { datasetId: id(11) })).toMatchObject({ owner: ledger.memberId })
    })

  it('estimates gas on a node without eth_simulateV1, and reports refusals as before', () => withoutSimulate(200))

  it('takes an HTTP 400 that carries a JSON-RPC error for the answer it is: estimates, and sends', () =>
    withoutSimulate(400))

  it('fails fast with LEDGER_UNAVAILABLE when no node listens', async () => {
    await expect(
      EvmLedger.attach({
        rpcUrl: 'http://127.0.0.1:9',
        privateKey: ANVIL_ACCOUNTS[0],
        address: `0x${'00'.repeat(20)}`,
      }),
    ).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
  })

  it('gives up waiting for a receipt with LEDGER_UNAVAILABLE naming the transaction', async () => {
    const { h, p } = await provider(anvil)
    const slow = await EvmLedger.attach({
      rpcUrl: anvil.rpcUrl,
      privateKey: ANVIL_ACCOUNTS[1],
      address: p.address,
      receiptTimeoutMs: 300,
      pollingInterval: 20,
    })
    await anvilRpc(anvil.rpcUrl, 'evm_setAutomine', [false])
    try {
      await expect(slow.submit('leaveConsortium', {})).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
      const e = await slow
        .submit('joinConsortium', { name: 'S', roles: ['consumer'], envelopeKey, settings: null })
        .catch(err => err)
      expect(e).toMatchObject({ code: 'LEDGER_UNAVAILABLE', transactionId: expect.stringMatching(/^0x/) })
    } finally {
      await anvilRpc(anvil.rpcUrl, 'evm_setAutomine', [true])
      await slow.close()
      await h.teardown()
    }
  })
})

describe('races and atomicity', () => {
  let anvil: AnvilInstance
  beforeAll(async () => {
    anvil = await startAnvil({ persistent: false })
  })
  afterAll(() => anvil.stop())

  it('resolves two concurrent grants of the same access with one CONFLICT', async () => {
    const { h, p } = await provider(anvil)
    const c = await h.member('consumer')
    await c.submit('joinConsortium', { name: 'C', roles: ['consumer'], envelopeKey, settings: null })
    await register(p, 1)
    const grant = () =>
      p.submit('grantAccess', {
        datasetId: id(1),
        grantee: c.memberId,
        scope: { kind: 'all', version: 0 },
        expiresAt: null,
        maxAccesses: null,
        priceOverride: null,
        wraps: [],
      })
    expect((await settled([grant(), grant()])).sort()).toEqual(['CONFLICT', 'ok'])
    expect(await p.query('getGrant', { datasetId: id(1), grantee: c.memberId })).toMatchObject({ seq: 1 })
    await h.teardown()
  })

  it('explains a transaction that passed estimation but reverted when mined', async () => {
    const { h, p } = await provider(anvil)
    const c = await h.member('consumer')
    await c.submit('joinConsortium', { name: 'C', roles: ['consumer'], envelopeKey, settings: null })
    await register(p, 1)
    const now = (await p.query('getLedgerTime', {})) as number
    await anvilRpc(anvil.rpcUrl, 'evm_setAutomine', [false])
    try {
      // Valid when estimated; mined after the expiry has passed, so the contract refuses it on-chain.
      const late = p
        .submit('grantAccess', {
          datasetId: id(1),
          grantee: c.memberId,
          scope: { kind: 'all', version: 0 },
          expiresAt: now + 30,
          maxAccesses: null,
          priceOverride: null,
          wraps: [],
        })
        .catch(e => e)
      await pending(anvil, 1)
      await anvilRpc(anvil.rpcUrl, 'evm_increaseTime', [60])
      await anvilRpc(anvil.rpcUrl, 'evm_mine')
      expect(await late).toMatchObject({
        code: 'INVALID_INPUT',
        details: { revert: 'InvalidInput', argument: 'expiresAt' },
        transactionId: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      })
    } finally {
      await anvilRpc(anvil.rpcUrl, 'evm_setAutomine', [true])
    }
    expect(await p.query('getGrant', { datasetId: id(1), grantee: c.memberId })).toBeNull()
    await h.teardown()
  })

  it('orders concurrent submits of one signer, also across separate clients of the same key', async () => {
    const { h, p } = await provider(anvil)
    const key = ANVIL_ACCOUNTS[2]
    const [a, b] = await Promise.all([
      EvmLedger.attach({ rpcUrl: anvil.rpcUrl, privateKey: key, address: p.address, pollingInterval: 20 }),
      EvmLedger.attach({ rpcUrl: anvil.rpcUrl, privateKey: key, address: p.address, pollingInterval: 20 }),
    ])
    await a.submit('joinConsortium', { name: 'Twice', roles: ['provider'], envelopeKey, settings: null })
    const results = await settled([
      ...Array.from({ length: 8 }, (_, i) => register(a, 100 + i)),
      ...Array.from({ length: 8 }, (_, i) => register(b, 200 + i)),
      ...Array.from({ length: 4 }, (_, i) => register(p, 300 + i)),
    ])
    expect(results).toEqual(Array(20).fill('ok'))
    expect(await p.query('listDatasets', { owner: a.memberId, tag: null, listedOnly: false })).toHaveLength(16)
    await Promise.all([a.close(), b.close(), h.teardown()])
  })

  it('leaves no partial records when a batch is refused', async () => {
    const { h, p } = await provider(anvil)
    const c = await h.member('consumer')
    await c.submit('joinConsortium', { name: 'C', roles: ['consumer'], envelopeKey, settings: null })
    await grantedDataset(p, 1, c.memberId, 5)
    const rec = (nonce: number, amount = 10n) => ({
      datasetId: id(1),
      version: 1,
      bytes: 10,
      amount,
      nonce: toNonce(nonce.toString(16).padStart(32, '0')),
      wrapHash: ZERO32,
    })
    const before = (await c.readEvents()).events.length
    await expect(c.submit('recordUsage', { records: [rec(1), rec(2), rec(3, 11n)] })).rejects.toMatchObject({
      code: 'AMOUNT_MISMATCH',
      details: { index: 2 },
    })
    expect((await c.readEvents()).events.length).toBe(before)
    expect(await c.query('getGrant', { datasetId: id(1), grantee: c.memberId })).toMatchObject({ used: 0 })
    const period = Math.floor(((await c.query('getLedgerTime', {})) as number) / (30 * 86400))
    const key = { provider: p.memberId, consumer: c.memberId, period, currency: 'CNY' }
    expect(await c.query('getTotals', key)).toMatchObject({ count: 0, amount: 0n })
    // The nonces of the refused batch were not consumed.
    await c.submit('recordUsage', { records: [rec(1), rec(2)] })
    expect(await c.query('getTotals', key)).toMatchObject({ count: 2, amount: 20n, bytes: 20 })
    await h.teardown()
  })

  it('works through any ethers Signer (a node-managed account)', async () => {
    const { h, p } = await provider(anvil)
    const node = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true })
    const signer = await node.getSigner(3)
    const q = await p.connect(signer)
    const { events } = await q.submit('joinConsortium', {
      name: 'Node',
      roles: ['consumer'],
      envelopeKey,
      settings: null,
    })
    expect(events).toMatchObject([{ type: 'MemberJoined', member: (await signer.getAddress()).toLowerCase() }])
    await q.close()
    node.destroy()
    await h.teardown()
  })
})
