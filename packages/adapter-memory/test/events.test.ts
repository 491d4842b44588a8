// The client's typed event API on the memory ledger: handlers by type, an async iterator, resume, errors to onError.
import { Datapact, type EventRecord, generateMemberKeys, isDatapactError } from '@datapact/core'
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'

async function setup() {
  const ledger = new MemoryLedger()
  const provider = await Datapact.open({ ledger: ledger.as('mem:p'), keys: generateMemberKeys() })
  const consumer = await Datapact.open({ ledger: ledger.as('mem:c'), keys: generateMemberKeys() })
  await provider.members.join({ name: 'P', roles: ['provider'] })
  await consumer.members.join({ name: 'C', roles: ['consumer'] })
  const { id } = await provider.datasets.register({
    title: 'T',
    terms: { pricePerAccess: 7n, currency: 'CNY' },
    data: new Uint8Array(100),
  })
  return { ledger, provider, consumer, id }
}

describe('client.events', () => {
  it('on(type) delivers only that type, decoded; a throwing handler does not stop the feed', async () => {
    const { provider, consumer, id } = await setup()
    const grants: Array<EventRecord<'AccessGranted'>> = []
    let calls = 0
    const off = provider.events.on('AccessGranted', r => {
      calls++
      grants.push(r)
      throw new Error('handler bug')
    })
    await provider.grants.grant(id, consumer.memberId, { maxAccesses: 3 })
    await consumer.data.fetch(id)
    await provider.grants.revoke(id, consumer.memberId)
    await provider.grants.grant(id, consumer.memberId, { maxAccesses: 4 })
    off()
    await provider.grants.revoke(id, consumer.memberId)
    expect(calls).toBe(2)
    expect(grants.map(g => [g.event.type, g.event.grant.maxAccesses, g.event.grant.grantee])).toEqual([
      ['AccessGranted', 3, 'mem:c'],
      ['AccessGranted', 4, 'mem:c'],
    ])
    expect(typeof grants[0]!.cursor).toBe('string')
  })

  it('stream() yields the history from a cursor, then live events; break stops it', async () => {
    const { provider, consumer, id } = await setup()
    await provider.grants.grant(id, consumer.memberId)
    await consumer.data.fetch(id)
    const seen: string[] = []
    let cursor: string | null = null
    for await (const r of provider.events.stream({ types: ['UsageRecorded', 'AccessRevoked'], after: null })) {
      seen.push(r.event.type)
      cursor = r.cursor
      if (r.event.type === 'UsageRecorded') {
        expect(r.event.record.amount).toBe(7n)
        await provider.grants.revoke(id, consumer.memberId) // a live event, delivered after the history
      } else break
    }
    expect(seen).toEqual(['UsageRecorded', 'AccessRevoked'])
    // Nothing after the last cursor yet: a resumed stream waits for the next event.
    const resumed = provider.events.stream({ after: cursor })
    const next = resumed.next()
    await provider.grants.grant(id, consumer.memberId)
    expect((await next).value?.event.type).toBe('AccessGranted')
    await resumed.return?.()
  })

  it('a closed connection goes to onError, and ends a stream with CLOSED', async () => {
    const { provider: c } = await setup()
    const errors: string[] = []
    c.events.on('UsageRecorded', () => undefined, { onError: e => errors.push(e.code) })
    const iterator = c.events.stream()
    const pending = iterator.next().catch(e => e)
    await c.close()
    const e = await pending
    expect(isDatapactError(e, 'CLOSED')).toBe(true)
    await new Promise(resolve => setTimeout(resolve, 0))
    expect(errors).toEqual(['CLOSED'])
  })

  it('refuses an unknown type or malformed options with INVALID_INPUT, synchronously', async () => {
    const { provider } = await setup()
    expect(() => provider.events.on('Nope' as never, () => undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    expect(() => provider.events.stream({ types: [] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => provider.events.stream({ after: 5 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
  })
})
