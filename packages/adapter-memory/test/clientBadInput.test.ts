import { Datapact, generateMemberKeys, MemoryPayloadStore, toMemberId } from '@datapact/core'
import { TERMS, testBytes, type World } from '@datapact/core/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import type { MemoryLedger } from '../src/index.js'
import { code, invalid, memoryWorld } from './world.js'

let w: World
let ledger: MemoryLedger
beforeEach(async () => {
  ;({ w, ledger } = await memoryWorld())
})

/** The call is refused with `expected` and the ledger and the shared store are byte-identical afterwards. */
const untouched = async (call: () => Promise<unknown>, expected = invalid) => {
  const before = ledger.snapshot()
  const stored = w.store.snapshot()
  await expect(call()).rejects.toEqual(expected)
  expect(ledger.snapshot()).toEqual(before)
  expect(w.store.snapshot()).toEqual(stored)
}

async function* nothing(): AsyncGenerator<Uint8Array> {}
async function* emptyPieces(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(0)
  yield new Uint8Array(0)
}

describe('register and publish write nothing before everything is checked', () => {
  it('register refuses bad data and stores before the registration', async () => {
    const p = w.provider.client.datasets
    const base = { title: 'T', terms: TERMS }
    for (const data of [
      [],
      new Map([[1, 2]]),
      new Set(['x']),
      nothing(),
      emptyPieces(),
      new ReadableStream({ start: c => c.close() }),
      new Uint8Array(0),
      [new Uint8Array(1), 'x'],
      // biome-ignore lint/suspicious/noSparseArray: a hole among the pieces.
      [new Uint8Array(1), , new Uint8Array(1)],
      'bytes',
    ])
      await untouched(() => p.register({ ...base, data } as never))
    await untouched(() => p.register({ ...base, data: testBytes(10), store: 'nosuch' }), code('NOT_FOUND'))
    await untouched(() => p.register({ ...base, data: testBytes(10), onProgress: 5 } as never))
    await untouched(() => p.register({ ...base, data: testBytes(10), chunkSize: 5 }))
    await untouched(() => p.register({ ...base, tags: new Array(2) }))
    await untouched(() => p.register({ ...base, listed: 'no' } as never))
    await untouched(() => p.register({ ...base, toString: 1 } as never))
  })

  it('publish refuses empty streams, retired datasets and bad options before uploading', async () => {
    const p = w.provider.client.datasets
    const { id } = await p.register({ title: 'T', terms: TERMS, data: testBytes(2000), store: 'shared' })
    for (const data of [[], nothing(), emptyPieces(), new ReadableStream({ start: c => c.close() })])
      await untouched(() => p.publish(id, data as never))
    await untouched(() => p.publish(id, testBytes(10), { store: 'nosuch' }), code('NOT_FOUND'))
    await untouched(() => p.publish(id, testBytes(10), { onProgress: 'x' } as never))
    await p.retire(id)
    await untouched(() => p.publish(id, testBytes(10)), code('CONFLICT'))
    await untouched(() => p.publish(id, testBytes(10), { store: 'shared' }), code('CONFLICT'))
  })

  it('publish still reads a stream whose first pieces are empty, byte for byte', async () => {
    async function* late() {
      yield new Uint8Array(0)
      yield testBytes(700, 2)
      yield testBytes(900, 3)
    }
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: late() })
    const { bytes } = await w.provider.client.data.fetch(id)
    expect(bytes).toEqual(new Uint8Array([...testBytes(700, 2), ...testBytes(900, 3)]))
  })

  it('catalog refuses includeUnlisted that is not a boolean', async () => {
    await w.provider.client.datasets.register({ title: 'T', terms: TERMS, listed: false })
    await expect(w.consumer.client.datasets.catalog({ includeUnlisted: 'false' } as never)).rejects.toEqual(invalid)
    expect(await w.consumer.client.datasets.catalog()).toEqual([])
  })
})

describe('Datapact.open', () => {
  it('refuses keys that are not a usable key set', async () => {
    const l = ledger.as('mem:new')
    for (const keys of [
      undefined,
      {},
      { envelope: { publicKey: new Uint8Array(32) } },
      { envelope: { publicKey: new Uint8Array(5), secretKey: new Uint8Array(5) } },
    ])
      await expect(Datapact.open({ ledger: l, keys } as never)).rejects.toEqual(invalid)
    await expect(
      Datapact.open({ ledger: l, keys: generateMemberKeys(), defaultStore: Symbol('s') } as never),
    ).rejects.toEqual(invalid)
    await expect(
      Datapact.open({
        ledger: l,
        keys: generateMemberKeys(),
        stores: [new MemoryPayloadStore('a')],
        other: 1,
      } as never),
    ).rejects.toEqual(invalid)
  })

  it("refuses keys that do not match the member's envelope key on the ledger", async () => {
    await expect(Datapact.open({ ledger: w.consumer.ledger, keys: generateMemberKeys() })).rejects.toEqual(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ argument: 'options.keys' }),
      }),
    )
    await expect(Datapact.open({ ledger: w.consumer.ledger, keys: w.consumer.keys })).resolves.toBeInstanceOf(Datapact)
  })
})

describe('grants, data, usage and billing', () => {
  it('refuses ambiguous scopes and bad grant options before any work', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(1500) })
    const g = w.provider.client.grants
    for (const scope of [{ from: 1, exactly: 2 }, {}, { from: 0 }, { exactly: '1' }, 'some', { from: 1, other: 1 }])
      await untouched(() => g.grant(id, w.consumer.id, { scope } as never))
    await untouched(() => g.grant(id, w.consumer.id, { expiresAt: new Date(Number.NaN) }))
    await untouched(() => g.grant(id, w.consumer.id, { price: -1n }))
    await untouched(() => g.grant(id, w.consumer.id, { toString: 1 } as never))
  })

  it('a grant to a non-member is INVALID_INPUT from the client and from the rule alike', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS })
    const nobody = toMemberId('mem:nobody')
    await untouched(() => w.provider.client.grants.grant(id, nobody))
    await untouched(() =>
      w.provider.ledger.submit('grantAccess', {
        datasetId: id,
        grantee: nobody,
        scope: { kind: 'all', version: 0 },
        expiresAt: null,
        maxAccesses: null,
        priceOverride: null,
        wraps: [],
      }),
    )
    await untouched(() => w.provider.client.grants.grant(id, w.regulator.id))
  })

  it('fetch and stream check onProgress before metering', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(1500) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    await untouched(() => w.consumer.client.data.fetch(id, { onProgress: 'x' } as never))
    await untouched(() => w.consumer.client.data.stream(id, { onProgress: 1 } as never))
    await untouched(() => w.consumer.client.data.fetch(id, { version: 1, extra: true } as never))
    await untouched(() => w.consumer.client.usage.record([{ datasetId: id, version: 1, more: 1 }] as never))
    await untouched(() => w.consumer.client.usage.record(new Array(1)))
  })

  it('settle refuses a statement without rows or with altered fields', async () => {
    const { id } = await w.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(1500) })
    await w.provider.client.grants.grant(id, w.consumer.id)
    await w.consumer.client.data.fetch(id)
    const st = await w.consumer.client.billing.statement({ provider: w.provider.id })
    const { rows: _rows, ...noRows } = st
    await untouched(() => w.consumer.client.billing.settle(noRows as never))
    await untouched(() => w.consumer.client.billing.settle({ ...st, rows: new Array(1) }))
    await untouched(() => w.consumer.client.billing.settle({ ...st, extra: 1 } as never))
    await untouched(() => w.consumer.client.billing.statement({ provider: w.provider.id, period: -1 }))
  })

  it('rotateEnvelopeKey refuses anything but a usable key set', async () => {
    for (const keys of [null, {}, { envelope: { publicKey: new Uint8Array(32) } }])
      await untouched(() => w.consumer.client.members.rotateEnvelopeKey(keys as never))
  })
})

describe('regressions found by the sweep', () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    return proxy
  }
  const trap = () =>
    new Proxy(
      {},
      {
        get() {
          throw new RangeError('trap')
        },
      },
    )

  it('stores refuse a Proxy chunk, a Proxy around bytes and an empty chunk, keeping nothing', async () => {
    const store = new MemoryPayloadStore('r')
    for (const chunks of [[trap()], new Proxy(new Uint8Array(4), {}), [new Uint8Array(0)], new Uint8Array(0)]) {
      const before = store.snapshot()
      await expect(store.put(chunks as never)).rejects.toEqual(invalid)
      expect(store.snapshot()).toEqual(before)
    }
  })

  it('readEvents and Datapact.open refuse a revoked Proxy', async () => {
    await expect(w.provider.ledger.readEvents(revoked() as never)).rejects.toEqual(invalid)
    await expect(
      Datapact.open({ ledger: w.provider.ledger, keys: w.provider.keys, stores: revoked() as never }),
    ).rejects.toEqual(invalid)
  })
})
