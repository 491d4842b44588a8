import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Datapact, type DatapactError, generateMemberKeys, type LedgerEventRecord } from '@datapact/core'
import { TERMS, testBytes, type World } from '@datapact/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'
import { code, invalid, memoryWorld } from './world.js'

let w: World
let ledger: MemoryLedger
beforeEach(async () => {
  ;({ w, ledger } = await memoryWorld())
})

const unchanged = async (call: () => Promise<unknown>, expected = invalid) => {
  const before = ledger.snapshot()
  await expect(call()).rejects.toEqual(expected)
  expect(ledger.snapshot()).toEqual(before)
}

describe('MemoryLedger carries only what a real ledger could', () => {
  it('refuses what has no canonical encoding, with nothing changed', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(2000) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    const p = w.provider.ledger
    await unchanged(() => p.submit('revokeAccess', { datasetId: id, grantee: w.consumer.id, toString: 1 } as never))
    await unchanged(() => p.submit('revokeAccess', { datasetId: id, grantee: w.consumer.id, constructor: 1 } as never))
    await unchanged(() => w.consumer.ledger.submit('recordUsage', { records: new Array(2) } as never))
    await unchanged(() =>
      p.submit('registerDataset', {
        datasetId: 'b'.repeat(64),
        metadata: { title: 'x', description: '', tags: new Array(2), mediaType: '', schema: '' },
        terms: TERMS,
        listed: true,
      } as never),
    )
    const getter = Object.defineProperty({ datasetId: id }, 'grantee', {
      enumerable: true,
      get() {
        throw new TypeError('boom')
      },
    })
    await unchanged(() => p.submit('revokeAccess', getter as never))
    await unchanged(() => p.submit('rotateEnvelopeKey', { envelopeKey: new Proxy(new Uint8Array(32).fill(7), {}) }))
    await unchanged(() => p.submit({ name: 'revokeAccess' } as never, {} as never))
    await unchanged(() => p.submit('getMember' as never, { member: 'x' } as never))
    await expect(p.query({} as never, {} as never)).rejects.toEqual(invalid)
    await expect(p.query('revokeAccess' as never, {} as never)).rejects.toEqual(invalid)
    // Everyone can still read the catalog and verify the ledger.
    expect(await w.consumer.client.datasets.catalog()).toHaveLength(1)
    expect((await w.regulator.client.audit.verify()).ok).toBe(true)
  })

  it('refuses small-order envelope keys at join and rotation', async () => {
    const zero = { envelopeKey: new Uint8Array(32) }
    await unchanged(() => w.consumer.ledger.submit('rotateEnvelopeKey', zero))
    const stranger = ledger.as('mem:stranger')
    await unchanged(() =>
      stranger.submit('joinConsortium', { name: 'S', roles: ['consumer'], settings: null, ...zero }),
    )
    const p1 = new Uint8Array(32).fill(0xff)
    p1[0] = 0xee
    p1[31] = 0xff // p + 1 with the top bit set: masked, it is on the blacklist
    await unchanged(() => w.consumer.ledger.submit('rotateEnvelopeKey', { envelopeKey: p1 }))
  })

  it('hands out copies: results do not alias the ledger state', async () => {
    const me = await w.provider.ledger.query('getMember', { member: w.provider.id })
    me!.envelopeKey.fill(0)
    const again = await w.provider.ledger.query('getMember', { member: w.provider.id })
    expect(again!.envelopeKey).toEqual(w.provider.keys.envelope.publicKey)
  })
})

describe('MemoryLedger events: readEvents and subscribe', () => {
  it('readEvents refuses bad options with a rejection', async () => {
    const l = w.provider.ledger
    for (const options of [
      null,
      5,
      { limit: -1 },
      { limit: 0 },
      { limit: 0n },
      { limit: Number.NaN },
      { limit: 1.5 },
      { limit: 100_001 },
      { after: Symbol('x') },
      { after: 5 },
      { after: 'bad' },
      { after: '01' },
      { after: '' },
      { other: 1 },
    ])
      await expect(l.readEvents(options as never)).rejects.toEqual(invalid)
    expect((await l.readEvents({ limit: 1 })).events).toHaveLength(1)
  })

  it('subscribe never throws; bad arguments and a closed connection go to onError', async () => {
    const errors: DatapactError[] = []
    const onError = (e: DatapactError) => errors.push(e)
    const l = w.provider.ledger
    const offs = [
      l.subscribe(() => undefined, { after: 'bad', onError }),
      l.subscribe(() => undefined, { after: Symbol('x') as never, onError }),
      l.subscribe('nope' as never, { onError }),
      l.subscribe(() => undefined, { onError, extra: 1 } as never),
      l.subscribe(() => undefined, null as never),
      l.subscribe(() => undefined, { after: 'bad' }),
    ]
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(errors.map(e => e.code)).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT'])
    for (const off of offs) expect(off()).toBeUndefined()
    const closed = ledger.as('mem:closing')
    await closed.close()
    closed.subscribe(() => undefined, { onError })
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(errors.at(-1)?.code).toBe('CLOSED')
  })

  it('a valid subscription still replays and follows', async () => {
    const seen: LedgerEventRecord[] = []
    const off = w.regulator.ledger.subscribe(e => seen.push(e), { after: null })
    await new Promise(resolve => setTimeout(resolve, 0))
    const n = seen.length
    await w.provider.client.datasets.register({ title: 'T', terms: TERMS })
    expect(seen.length).toBe(n + 1)
    off()
  })
})

describe('MemoryLedger file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'datapact-mem-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('a transaction whose snapshot cannot be written is refused and changes nothing', async () => {
    const l = new MemoryLedger({ file: join(dir, 'missing', 'ledger.bin') })
    const seen: unknown[] = []
    const a = l.as('alice')
    a.subscribe(e => seen.push(e))
    const client = await Datapact.open({ ledger: a, keys: generateMemberKeys() })
    const before = l.snapshot()
    await expect(client.members.join({ name: 'A', roles: ['provider'] })).rejects.toEqual(code('LEDGER_UNAVAILABLE'))
    expect(l.snapshot()).toEqual(before)
    expect(seen).toEqual([])
    expect(await client.members.me()).toBeNull()
  })

  it('types every constructor failure', () => {
    expect(() => new MemoryLedger({ file: dir })).toThrow(invalid)
    expect(() => new MemoryLedger({ file: join(dir, 'x'.repeat(5000)) })).toThrow(invalid)
    expect(() => new MemoryLedger({ file: join(dir, 'a\0b') })).toThrow(invalid)
    const corrupt = join(dir, 'corrupt.bin')
    writeFileSync(corrupt, 'not a ledger')
    expect(() => new MemoryLedger({ file: corrupt })).toThrow(code('INTEGRITY'))
  })

  it('a clock that misbehaves refuses the transaction', async () => {
    const l = new MemoryLedger({ clock: () => Number.NaN })
    await expect(l.as('alice').submit('leaveConsortium', {})).rejects.toEqual(invalid)
    l.setClock(() => {
      throw new Error('no time')
    })
    await expect(l.as('alice').query('getLedgerTime', {})).rejects.toEqual(invalid)
  })
})
