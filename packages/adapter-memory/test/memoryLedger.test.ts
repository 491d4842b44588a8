import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Datapact, isDatapactError, type LedgerAdapter, toDigest, toMemberId, toNonce } from '@datapact/core'
import { encode, records } from '@datapact/core/codec'
import { TERMS, testBytes, type World } from '@datapact/core/testing'
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'
import { memoryWorld } from './world.js'

let w: World
let ledger: MemoryLedger
beforeEach(async () => {
  ;({ w, ledger } = await memoryWorld())
})

const story = async () => {
  const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(2000) })
  await w.provider.client.grants.grant(id, w.consumer.id)
  await w.consumer.client.data.fetch(id)
  await w.consumer.client.data.fetch(id)
  return id
}

describe('MemoryLedger', () => {
  it('leaves the ledger byte-identical when the client gets garbage', async () => {
    const id = await story()
    const c: Datapact = w.consumer.client
    const p: Datapact = w.provider.client
    const calls: Array<(a: unknown, b: unknown) => Promise<unknown>> = [
      a => p.datasets.register(a as never),
      (a, b) => p.datasets.publish(a as never, b as never),
      (a, b) => p.datasets.update(id, { [String(a)]: b } as never),
      (a, b) => p.grants.grant(a as never, b as never),
      (a, b) => p.grants.grant(id, w.consumer2.id, { maxAccesses: a, expiresAt: b, price: -1n } as never),
      (a, b) => p.grants.revoke(a as never, b as never),
      (a, b) => c.data.fetch(a as never, b as never),
      (a, b) => c.data.fetch(id, { version: a ?? 0, onProgress: b } as never),
      a => c.usage.record(a as never),
      a => c.billing.statement(a as never),
      a => c.billing.settle(a as never),
      (a, b) => p.members.setRoles(a as never, b as never),
      a => p.members.updateSettings(a as never),
    ]
    const before = ledger.snapshot()
    await fc.assert(
      fc.asyncProperty(fc.nat(calls.length - 1), fc.anything(), fc.anything(), async (i, a, b) => {
        const error = await calls[i]!(a, b).then(
          () => undefined,
          e => e,
        )
        // Reads may succeed on garbage that happens to be valid; what must hold is: a typed error, state untouched.
        if (error !== undefined) expect(isDatapactError(error), String(error)).toBe(true)
        expect(Buffer.from(ledger.snapshot()).equals(Buffer.from(before))).toBe(true)
      }),
      { numRuns: 300, seed: 42 },
    )
  })

  it('keeps a refused transaction out of state and events', async () => {
    const id = await story()
    const before = ledger.snapshot()
    await expect(w.provider.client.grants.grant(id, w.consumer.id)).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(
      w.consumer.ledger.submit('recordUsage', {
        records: [
          {
            datasetId: id,
            version: 1,
            bytes: 2000,
            amount: 100n,
            nonce: toNonce('1'.repeat(32)),
            wrapHash: toDigest(new Uint8Array(32)),
          },
          {
            datasetId: id,
            version: 1,
            bytes: 2000,
            amount: 5n,
            nonce: toNonce('2'.repeat(32)),
            wrapHash: toDigest(new Uint8Array(32)),
          },
        ],
      }),
    ).rejects.toMatchObject({ code: 'AMOUNT_MISMATCH' })
    expect(ledger.snapshot()).toEqual(before)
  })

  it('persists to a file and comes back after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'datapact-'))
    try {
      const file = join(dir, 'ledger.bin')
      const first = new MemoryLedger({ file })
      const key = new Uint8Array(32).fill(3)
      await first
        .as('mem:a')
        .submit('joinConsortium', { name: 'A', roles: ['provider'], envelopeKey: key, settings: null })
      const second = new MemoryLedger({ file })
      expect(second.snapshot()).toEqual(first.snapshot())
      expect((await second.as('mem:a').query('getMember', { member: toMemberId('mem:a') }))?.name).toBe('A')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('shares one file between ledgers used in turn: each reloads what the other wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'datapact-'))
    try {
      const file = join(dir, 'ledger.bin')
      // Two ledgers on one file, both opened before either writes: as two processes of the CLI, or a service and
      // the CLI. Without the reload, the second writer's snapshot would drop the first one's member.
      const one = new MemoryLedger({ file })
      const two = new MemoryLedger({ file })
      const key = (n: number) => new Uint8Array(32).fill(n)
      const join_ = (l: MemoryLedger, id: string, n: number) =>
        l.as(id).submit('joinConsortium', { name: id, roles: ['consumer'], envelopeKey: key(n), settings: null })
      await join_(one, 'mem:a', 1)
      await join_(two, 'mem:b', 2)
      await join_(one, 'mem:c', 3)
      for (const l of [one, two, new MemoryLedger({ file })]) {
        const members = await l.as('mem:a').query('listMembers', {})
        expect(members.map(m => m.id).sort()).toEqual(['mem:a', 'mem:b', 'mem:c'])
        expect((await l.as('mem:a').readEvents()).events.map(e => e.txId)).toEqual(
          expect.arrayContaining(['tx-1', 'tx-2', 'tx-3']),
        )
      }
      expect(two.snapshot()).toEqual(one.snapshot())
      // No temporary file is left behind.
      expect(readdirSync(dir)).toEqual(['ledger.bin'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses bad options with INVALID_INPUT', () => {
    expect(() => new MemoryLedger({ clock: 5 as never })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => new MemoryLedger({ file: '' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => new MemoryLedger(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => ledger.setClock('now' as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => ledger.as('has space')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  it('keeps replaying to a resumed subscriber whose handler throws', async () => {
    await story()
    const seen: string[] = []
    const off = w.regulator.ledger.subscribe(
      e => {
        seen.push(e.event.type)
        throw new Error('handler broke')
      },
      { after: null },
    )
    await new Promise(resolve => setTimeout(resolve, 10))
    off()
    expect(seen.length).toBe((await w.regulator.ledger.readEvents()).events.length)
  })

  it('rejects a damaged snapshot with INVALID_INPUT', () => {
    const snap = ledger.snapshot()
    expect(() => ledger.restore(snap.subarray(0, snap.length - 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    expect(ledger.snapshot()).toEqual(snap)
  })

  it('refuses usage dated before its grant or before its last usage, whatever the clock says', async () => {
    const id = await story() // the grant and two fetches at ledger time t
    const t = ledger.now()
    ledger.setClock(() => t - 1)
    const before = ledger.snapshot()
    await expect(w.consumer.client.data.fetch(id)).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(w.consumer.client.usage.record([{ datasetId: id, version: 1 }])).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    expect(ledger.snapshot()).toEqual(before)
    ledger.setClock(() => t)
    expect((await w.consumer.client.data.fetch(id)).receipt?.record.at).toBe(t)
  })

  it('delivers committed events to subscribers, in order', async () => {
    const seen: string[] = []
    const off = w.regulator.ledger.subscribe(e => seen.push(e.event.type))
    await story()
    off()
    expect(seen).toEqual([
      'DatasetRegistered',
      'PayloadStored',
      'VersionPublished',
      'AccessGranted',
      'UsageRecorded',
      'UsageRecorded',
    ])
  })
})

describe('client over the memory ledger', () => {
  it('publishes again with fresh wraps when a grant changes between reading and committing', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(500) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    const inner = w.provider.ledger
    let raced = false
    const racing: LedgerAdapter = {
      kind: inner.kind,
      memberId: inner.memberId,
      query: (name, args) => inner.query(name, args),
      readEvents: options => inner.readEvents(options),
      subscribe: listener => inner.subscribe(listener),
      close: () => inner.close(),
      async submit(rule, args) {
        if (rule === 'publishVersion' && !raced) {
          raced = true // another session of the owner revokes after the wraps were made
          await ledger.as(w.provider.id).submit('revokeAccess', { datasetId: id, grantee: w.consumer.id })
        }
        return inner.submit(rule, args)
      },
    }
    const owner = await Datapact.open({ ledger: racing, keys: w.provider.keys })
    const v2 = await owner.datasets.publish(id, testBytes(500, 2))
    expect(raced).toBe(true)
    expect(await inner.query('getKeyWrap', { datasetId: id, number: v2.number, member: w.consumer.id })).toBeNull()
  })

  it('keeps a commit when a subscriber throws', async () => {
    const off = w.regulator.ledger.subscribe(() => {
      throw new Error('listener broke')
    })
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS })
    off()
    expect((await w.consumer.client.datasets.get(id)).id).toBe(id)
  })
})

describe('audit catches history forged beneath the rules', () => {
  const checks = async () => (await w.regulator.client.audit.verify()).violations.map(v => v.check)

  it('names a swapped version', async () => {
    const id = await story()
    const { state } = ledger.unsafeInternals()
    const key = `version/${id}/${'1'.padStart(10, '0')}`
    const v = await w.consumer.client.datasets.version(id, 1)
    state.set(key, encode(records.version, { ...v, merkleRoot: toDigest(new Uint8Array(32).fill(9)) }))
    expect(await checks()).toContain('STATE')
    await expect(w.consumer.client.data.fetch(id)).rejects.toMatchObject({ code: 'INTEGRITY' })
  })

  it('names a changed amount', async () => {
    await story()
    const { events } = ledger.unsafeInternals()
    const i = events.findIndex(e => e.event.type === 'UsageRecorded')
    const e = events[i]!
    if (e.event.type !== 'UsageRecorded') throw new Error('unreachable')
    events[i] = { ...e, event: { ...e.event, record: { ...e.event.record, amount: 1n } } }
    const found = await checks()
    expect(found).toContain('AMOUNT')
    expect(found).toContain('STATE')
  })

  it('names an inserted grant', async () => {
    const id = await story()
    const { events } = ledger.unsafeInternals()
    const granted = events.find(e => e.event.type === 'AccessGranted')!
    if (granted.event.type !== 'AccessGranted') throw new Error('unreachable')
    events.push({
      ...granted,
      cursor: String(events.length + 1),
      caller: w.consumer2.id,
      event: { ...granted.event, grant: { ...granted.event.grant, grantee: w.consumer2.id, seq: 2 } },
    })
    const found = await checks()
    expect(found).toContain('AUTHORITY')
    expect(found).toContain('STATE')
    expect(id).toHaveLength(64)
  })

  it('names a payload chunk changed in the ledger state', async () => {
    await story()
    const { state } = ledger.unsafeInternals()
    const chunkKey = [...state.keys()].find(k => k.startsWith('chunk/'))!
    const bytes = state.get(chunkKey)!.slice()
    bytes[0]! ^= 1
    state.set(chunkKey, bytes)
    const report = await w.provider.client.audit.verify({ payloads: true })
    expect(report.violations.map(v => v.check)).toEqual(['PAYLOAD'])
  })

  it('names a usage record the ledger never had', async () => {
    await story()
    const { events } = ledger.unsafeInternals()
    const used = events.filter(e => e.event.type === 'UsageRecorded')
    events.push({ ...used[0]!, cursor: String(events.length + 1) })
    expect(await checks()).toEqual(expect.arrayContaining(['NONCE', 'STATE']))
  })
})
