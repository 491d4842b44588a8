import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePorts, runCommand } from '@datapact/core/testing'
import { IpfsPayloadStore, type IpfsPayloadStoreOptions } from '../ipfsStore.js'
import { applyPrivateSwarmConfig, generateSwarmKey, readPeerId } from '../swarm.js'
import { kuboBinary } from './kubo.js'

/** One member's Kubo daemon in a test swarm. */
export interface KuboNode {
  /** Label given at start (`node0`, ... by default). */
  readonly label: string
  /** Repository folder (`IPFS_PATH`), inside the swarm's temporary folder. */
  readonly repo: string
  readonly peerId: string
  /** RPC API URL, `http://127.0.0.1:<port>`. */
  readonly apiUrl: string
  readonly apiPort: number
  /** Swarm multiaddr, `/ip4/127.0.0.1/tcp/<port>`. */
  readonly swarmAddress: string
  /** Whether the daemon runs. */
  readonly running: boolean
  /** A payload store on this node (name `ipfs` unless given). */
  store(options?: Omit<IpfsPayloadStoreOptions, 'url'>): IpfsPayloadStore
  /** Stops the daemon (SIGTERM, SIGKILL after 30 s); its repository stays. Idempotent. */
  stop(): Promise<void>
  /** Starts the daemon again on the same repository and ports. */
  start(): Promise<void>
}

/** A private swarm of Kubo daemons on 127.0.0.1. */
export interface KuboSwarm {
  readonly nodes: readonly KuboNode[]
  /** The swarm key every node has (a test secret). */
  readonly swarmKey: string
  /** The temporary folder holding the repositories. */
  readonly dir: string
  /** Stops every daemon and deletes the folder. Idempotent; also runs when the process exits. */
  stop(): Promise<void>
}

/** Options of {@link startKuboSwarm}. */
export interface KuboSwarmOptions {
  /** How many nodes (default 3). */
  count?: number
  /** Labels of the nodes (default `node0`, `node1`, ...); their number wins over `count`. */
  labels?: string[]
  /** The Kubo binary (default {@link kuboBinary}). */
  binary?: string
  /** How long a daemon may take to answer on its API and reach its peers, in ms (default 180 000). */
  startTimeoutMs?: number
}

const live = new Set<ChildProcess>()
const folders = new Set<string>()
// A test process that dies without stopping its swarm takes the daemons and their folders with it.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL')
  for (const d of folders) rmSync(d, { recursive: true, force: true })
})

/**
 * Starts `count` Kubo daemons on 127.0.0.1 as one consortium's private swarm: a fresh repository each in a
 * temporary folder, free ports for API and swarm, the gateway off, a new swarm key, bootstrap and peering set
 * to the other nodes only ({@link applyPrivateSwarmConfig}), `LIBP2P_FORCE_PNET=1`. Resolves once every node
 * answers and is connected to every other. On any failure it stops what it started before rejecting.
 *
 * @example
 * ```ts
 * const swarm = await startKuboSwarm({ labels: ['provider', 'consumer'] })
 * afterAll(() => swarm.stop())
 * const store = swarm.nodes[0]!.store()
 * ```
 */
export async function startKuboSwarm(options: KuboSwarmOptions = {}): Promise<KuboSwarm> {
  // A port found free may be taken by another process before the daemon binds it: start afresh, twice at most.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options)
    } catch (e) {
      if (attempt >= 3 || !/address already in use/i.test(String(e))) throw e
    }
  }
}

async function startOnce(options: KuboSwarmOptions): Promise<KuboSwarm> {
  const labels = options.labels ?? Array.from({ length: options.count ?? 3 }, (_, i) => `node${i}`)
  const binary = options.binary ?? kuboBinary()
  const timeout = options.startTimeoutMs ?? 180_000
  const dir = mkdtempSync(join(tmpdir(), 'datapact-kubo-'))
  folders.add(dir)
  const swarmKey = generateSwarmKey()
  const nodes: NodeImpl[] = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(nodes.map(n => n.stop()))
    rmSync(dir, { recursive: true, force: true })
    folders.delete(dir)
  }
  try {
    const ports = await freePorts(labels.length * 2)
    for (const [i, label] of labels.entries()) {
      const repo = join(dir, label)
      await runCommand(binary, ['init', '--empty-repo', '--profile=test'], { cwd: dir, env: { IPFS_PATH: repo } })
      nodes.push(new NodeImpl(label, repo, await readPeerId(repo), ports[2 * i]!, ports[2 * i + 1]!, binary))
    }
    for (const n of nodes)
      await applyPrivateSwarmConfig(n.repo, swarmKey, {
        api: `/ip4/127.0.0.1/tcp/${n.apiPort}`,
        swarm: [n.swarmAddress],
        peers: nodes.filter(o => o !== n).map(o => ({ id: o.peerId, addresses: [o.swarmAddress] })),
      })
    await Promise.all(nodes.map(n => n.start(timeout)))
    await Promise.all(nodes.map(n => n.awaitPeers(nodes, timeout)))
    return { nodes, swarmKey, dir, stop }
  } catch (e) {
    await stop()
    throw e
  }
}

class NodeImpl implements KuboNode {
  readonly apiUrl: string
  readonly swarmAddress: string
  #child: ChildProcess | null = null
  #exited: Promise<void> = Promise.resolve()
  #stderr = ''

  constructor(
    readonly label: string,
    readonly repo: string,
    readonly peerId: string,
    readonly apiPort: number,
    readonly swarmPort: number,
    readonly binary: string,
  ) {
    this.apiUrl = `http://127.0.0.1:${apiPort}`
    this.swarmAddress = `/ip4/127.0.0.1/tcp/${swarmPort}`
  }

  get running() {
    return this.#child !== null
  }

  store(options: Omit<IpfsPayloadStoreOptions, 'url'> = {}) {
    return new IpfsPayloadStore({ ...options, url: this.apiUrl })
  }

  async start(timeout = 180_000): Promise<void> {
    if (this.#child) return
    const log = join(this.repo, 'daemon.log')
    const child = spawn(this.binary, ['daemon'], {
      env: { ...process.env, IPFS_PATH: this.repo, LIBP2P_FORCE_PNET: '1', GOLOG_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    live.add(child)
    this.#child = child
    this.#stderr = ''
    let exitCode: number | null | undefined
    this.#exited = new Promise(resolve =>
      child.once('exit', code => {
        exitCode = code
        live.delete(child)
        if (this.#child === child) this.#child = null
        resolve()
      }),
    )
    const keep = (d: Buffer) => {
      this.#stderr = (this.#stderr + d).slice(-4000)
      appendFileSync(log, d)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const deadline = Date.now() + timeout
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(`Kubo daemon ${this.label} exited with ${exitCode} before it was ready:\n${this.#stderr}`)
      if (await this.#rpcOk('id')) return
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`Kubo daemon ${this.label} did not answer within ${timeout} ms:\n${this.#stderr}`)
      }
      await sleep(250)
    }
  }

  /** Waits until this node is connected to all the others that run, asking it to dial them meanwhile. */
  async awaitPeers(all: readonly NodeImpl[], timeout: number): Promise<void> {
    const others = all.filter(o => o !== this && o.running)
    const deadline = Date.now() + timeout
    for (;;) {
      const peers = await this.#rpc('swarm/peers').catch(() => ({ Peers: [] }))
      const connected = new Set(((peers as { Peers: Array<{ Peer: string }> | null }).Peers ?? []).map(p => p.Peer))
      const missing = others.filter(o => !connected.has(o.peerId))
      if (missing.length === 0) return
      if (Date.now() > deadline)
        throw new Error(`Kubo daemon ${this.label} could not reach ${missing.map(m => m.label).join(', ')}`)
      for (const m of missing)
        await this.#rpc(`swarm/connect?arg=${encodeURIComponent(`${m.swarmAddress}/p2p/${m.peerId}`)}`).catch(
          () => undefined,
        )
      await sleep(500)
    }
  }

  async stop(): Promise<void> {
    const child = this.#child
    if (!child) return
    const exited = this.#exited
    child.kill('SIGTERM')
    const forced = setTimeout(() => child.kill('SIGKILL'), 30_000)
    await exited
    clearTimeout(forced)
  }

  async #rpcOk(path: string): Promise<boolean> {
    return this.#rpc(path).then(
      () => true,
      () => false,
    )
  }

  async #rpc(path: string): Promise<unknown> {
    const response = await fetch(`${this.apiUrl}/api/v0/${path}`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`)
    return response.json()
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
