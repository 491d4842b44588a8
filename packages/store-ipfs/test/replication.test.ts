import { createMemoryHarness } from '@datapact/adapter-memory'
import { Datapact, DatapactError, generateMemberKeys, type MemberId } from '@datapact/core'
import { DEFAULT_SETTINGS } from '@datapact/core/rules'
import { TERMS, testBytes } from '@datapact/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type IpfsPayloadStore, type ReplicationEvent, startReplication } from '../src/index.js'
import { type KuboSwarm, startKuboSwarm } from '../src/testing/index.js'

let swarm: KuboSwarm
beforeAll(async () => {
  swarm = await startKuboSwarm({ labels: ['provider', 'consumer', 'consumer2', 'regulator'] })
})
afterAll(() => swarm?.stop())

const LABELS = ['provider', 'consumer', 'consumer2', 'regulator'] as const
type Label = (typeof LABELS)[number]

async function consortium() {
  const h = createMemoryHarness()
  const parties = {} as Record<Label, { client: Datapact; id: MemberId; store: IpfsPayloadStore }>
  for (const label of LABELS) {
    const ledger = await h.member(label)
    const store = swarm.nodes.find(n => n.label === label)!.store()
    const client = await Datapact.open({ ledger, keys: generateMemberKeys(), stores: [store], defaultStore: 'ipfs' })
    parties[label] = { client, id: ledger.memberId, store }
  }
  const { provider, consumer, consumer2, regulator } = parties
  await provider.client.members.join({ name: 'P', roles: ['provider'] })
  await consumer.client.members.join({ name: 'C1', roles: ['consumer'] })
  await consumer2.client.members.join({ name: 'C2', roles: ['consumer'] })
  await regulator.client.members.join({ name: 'R', roles: ['regulator'] })
  await provider.client.members.updateSettings({ ...DEFAULT_SETTINGS, regulatorEscrow: regulator.id })
  return { h, parties }
}

describe('startReplication', () => {
  it('pins each version on the nodes of the members its key is wrapped for, and unpins on revocation', async () => {
    const { h, parties: p } = await consortium()
    const { id } = await p.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(200_000, 1) })
    const pinned: ReplicationEvent[] = []
    const unpinned: ReplicationEvent[] = []
    const errors: unknown[] = []
    // Started after the first publish: it replays the ledger from the first event, so v1 is not missed.
    const replication = startReplication({
      ledger: await h.member('observer'),
      nodes: {
        [p.provider.id]: p.provider.store,
        [p.consumer.id]: p.consumer.store,
        [p.regulator.id]: p.regulator.store,
      },
      unpinOnRevoke: true,
      onPinned: e => pinned.push(e),
      onUnpinned: e => unpinned.push(e),
      onError: e => errors.push(e),
    })
    await p.provider.client.grants.grant(id, p.consumer.id, { scope: 'all' })
    await p.provider.client.grants.grant(id, p.consumer2.id, { scope: 'all' })
    const v2 = await p.provider.client.datasets.publish(id, testBytes(150_000, 2))
    const v1 = await p.provider.client.datasets.version(id, 1)
    await replication.idle()
    expect(errors).toEqual([])
    const where = (events: ReplicationEvent[]) =>
      events.map(e => `${Object.entries(p).find(([, q]) => q.id === e.member)![0]} v${e.version}`).sort()
    expect(where(pinned)).toEqual([
      'consumer v1',
      'consumer v2',
      'provider v1',
      'provider v2',
      'regulator v1',
      'regulator v2',
    ])
    for (const v of [v1, v2]) {
      expect(await p.consumer.store.isPinned(v.location.address)).toBe(true)
      expect(await p.regulator.store.isPinned(v.location.address)).toBe(true)
      // consumer2 is entitled too, but its node is not in this replication's care.
      expect(await p.consumer2.store.isPinned(v.location.address)).toBe(false)
    }
    await p.provider.client.grants.revoke(id, p.consumer.id)
    await replication.idle()
    expect(where(unpinned)).toEqual(['consumer v1', 'consumer v2'])
    expect(await p.consumer.store.isPinned(v1.location.address)).toBe(false)
    expect(await p.regulator.store.isPinned(v1.location.address)).toBe(true)
    expect(replication.cursor).not.toBeNull()
    await replication.stop()
    await replication.stop()
  })

  it('resumes after a cursor and still pins versions published before it, from the ledger', async () => {
    const { h, parties: p } = await consortium()
    const { id, version } = await p.provider.client.datasets.register({
      title: 'T',
      terms: TERMS,
      data: testBytes(9000, 4),
    })
    const observer = await h.member('observer')
    const { cursor } = await observer.readEvents({ limit: 10_000 })
    const pinned: string[] = []
    const replication = startReplication({
      ledger: observer,
      nodes: { [p.consumer.id]: p.consumer.store },
      after: cursor,
      onPinned: e => pinned.push(`${e.version} ${e.address}`),
    })
    await p.provider.client.grants.grant(id, p.consumer.id)
    await replication.idle()
    expect(pinned).toEqual([`1 ${version!.location.address}`])
    expect(await p.consumer.store.isPinned(version!.location.address)).toBe(true)
    await replication.stop()
  })

  it('reports a node that cannot pin through onError and carries on', async () => {
    const { h, parties: p } = await consortium()
    const errors: string[] = []
    const down = {
      name: 'ipfs',
      pin: async () => {
        throw new DatapactError('LEDGER_UNAVAILABLE', 'node down')
      },
      unpin: async () => undefined,
    }
    const pinned: string[] = []
    const replication = startReplication({
      ledger: await h.member('observer'),
      nodes: { [p.regulator.id]: down, [p.consumer.id]: p.consumer.store },
      onPinned: e => pinned.push(e.member),
      onError: e => errors.push(e.code),
    })
    const { id } = await p.provider.client.datasets.register({ title: 'T', terms: TERMS, data: testBytes(5000, 3) })
    await p.provider.client.grants.grant(id, p.consumer.id)
    await replication.idle()
    expect(errors).toEqual(['LEDGER_UNAVAILABLE'])
    expect(pinned).toEqual([p.consumer.id])
    await replication.stop()
  })

  it('refuses a malformed ledger or nodes with INVALID_INPUT', () => {
    for (const options of [
      undefined,
      {},
      { ledger: {} },
      { ledger: { subscribe: () => () => undefined }, nodes: { x: {} } },
    ])
      expect(() => startReplication(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
