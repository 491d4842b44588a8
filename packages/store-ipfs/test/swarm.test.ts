import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPrivateSwarmConfig, generateSwarmKey, privateSwarmConfig } from '../src/index.js'
import { freePorts, type KuboSwarm, kuboBinary, startKuboSwarm } from '../src/testing/index.js'

let members: KuboSwarm
let outsiders: KuboSwarm
beforeAll(async () => {
  // Two consortia on one machine, each with its own swarm key.
  ;[members, outsiders] = await Promise.all([startKuboSwarm({ labels: ['a', 'b'] }), startKuboSwarm({ labels: ['x'] })])
})
afterAll(async () => {
  await members?.stop()
  await outsiders?.stop()
})

const rpc = async (url: string, path: string) => {
  const response = await fetch(`${url}/api/v0/${path}`, { method: 'POST', signal: AbortSignal.timeout(60_000) })
  return { ok: response.ok, body: (await response.json()) as Record<string, unknown> }
}

describe('the private swarm', () => {
  it('configures each node with the members as its only peers, no gateway and nothing public', () => {
    const [a, b] = members.nodes
    const config = JSON.parse(readFileSync(join(a!.repo, 'config'), 'utf8'))
    expect(config.Bootstrap).toEqual([`${b!.swarmAddress}/p2p/${b!.peerId}`])
    expect(config.Peering.Peers).toEqual([{ ID: b!.peerId, Addrs: [b!.swarmAddress] }])
    expect(config.Addresses.Gateway).toEqual([])
    expect(config.Addresses.API).toBe(`/ip4/127.0.0.1/tcp/${a!.apiPort}`)
    expect(config.Routing.Type).toBe('none')
    expect(config.AutoConf.Enabled).toBe(false)
    expect(config.Discovery.MDNS.Enabled).toBe(false)
    expect(readFileSync(join(a!.repo, 'swarm.key'), 'utf8')).toBe(members.swarmKey)
  })

  it('keeps a node with another swarm key out, while members connect', async () => {
    const [a, b] = members.nodes
    const x = outsiders.nodes[0]!
    const peers = await rpc(a!.apiUrl, 'swarm/peers')
    // One entry per connection: two members dialling each other at once may hold two.
    expect([...new Set((peers.body.Peers as Array<{ Peer: string }>).map(p => p.Peer))]).toEqual([b!.peerId])
    const dial = await rpc(x.apiUrl, `swarm/connect?arg=${encodeURIComponent(`${a!.swarmAddress}/p2p/${a!.peerId}`)}`)
    expect(dial.ok).toBe(false)
    const after = await rpc(a!.apiUrl, 'swarm/peers')
    expect((after.body.Peers as Array<{ Peer: string }>).map(p => p.Peer)).not.toContain(x.peerId)
  })

  it('does not serve a member’s payload to an outsider that knows its CID', async () => {
    const address = await members.nodes[0]!.store().put(
      (async function* () {
        yield new Uint8Array([1, 2, 3])
      })(),
    )
    const stranger = outsiders.nodes[0]!.store({ stallTimeoutMs: 3000 })
    const read = async () => {
      for await (const _ of stranger.get(address, 1)) return 'served'
      return 'empty'
    }
    await expect(read()).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('will not start a node without the swarm key when LIBP2P_FORCE_PNET=1', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'datapact-kubo-nokey-'))
    try {
      const env = { ...process.env, IPFS_PATH: repo, LIBP2P_FORCE_PNET: '1' }
      expect(spawnSync(kuboBinary(), ['init', '--empty-repo', '--profile=test'], { env }).status).toBe(0)
      const [api, swarmPort] = await freePorts(2)
      await applyPrivateSwarmConfig(repo, generateSwarmKey(), {
        api: `/ip4/127.0.0.1/tcp/${api}`,
        swarm: [`/ip4/127.0.0.1/tcp/${swarmPort}`],
        peers: [],
      })
      rmSync(join(repo, 'swarm.key'))
      const run = spawnSync(kuboBinary(), ['daemon'], { env, encoding: 'utf8', timeout: 120_000 })
      expect(run.status).not.toBe(0)
      expect(run.signal).toBeNull()
      expect(`${run.stdout}${run.stderr}`).toMatch(/private network/i)
    } finally {
      rmSync(repo, { recursive: true, force: true })
    }
  })

  it('refuses malformed settings with INVALID_INPUT', async () => {
    expect(generateSwarmKey()).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    for (const options of [
      undefined,
      {},
      { peers: [{ id: 'nope', addresses: [] }] },
      { peers: [], swarm: ['/ip4/1.2.3.4/udp/4001/quic-v1'] },
      { peers: [], api: 'localhost:5001' },
    ])
      expect(() => privateSwarmConfig(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    await expect(applyPrivateSwarmConfig(members.dir, 'not a key', { peers: [] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })
})
