import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DatapactError } from '@datapact/core'

/** A member node of the consortium's private swarm, as the others reach it. */
export interface SwarmPeer {
  /** The node's peer id (`Identity.PeerID` in its config). */
  readonly id: string
  /** Its swarm addresses without the `/p2p/<id>` suffix, e.g. `/ip4/10.0.0.7/tcp/4001`. */
  readonly addresses: readonly string[]
}

/** Options of {@link privateSwarmConfig}. */
export interface PrivateSwarmConfigOptions {
  /** Multiaddr of the RPC API; keep it on loopback or a member-internal interface (default `/ip4/127.0.0.1/tcp/5001`). */
  readonly api?: string
  /** Multiaddrs the node listens on for the swarm, TCP only (default `/ip4/0.0.0.0/tcp/4001`). */
  readonly swarm?: readonly string[]
  /** Addresses to announce to the other members (default: the listen addresses). */
  readonly announce?: readonly string[]
  /** The other members' nodes: the only bootstrap peers and permanent peerings. */
  readonly peers: readonly SwarmPeer[]
}

/** The swarm key file name Kubo reads from its repository. */
export const SWARM_KEY_FILE = 'swarm.key'

/**
 * Creates a new swarm key for a consortium: 32 random bytes in the `/key/swarm/psk/1.0.0/` format Kubo reads
 * from `<repo>/swarm.key`. Every member's node needs the same key; give it to members like any other secret,
 * never through the ledger or logs.
 *
 * @returns The file's text.
 */
export function generateSwarmKey(): string {
  return `/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}\n`
}

/**
 * The Kubo configuration of a member's node in the consortium's private swarm, as `[key, value]` pairs for
 * `ipfs config --json <key> <value>` (or {@link applyPrivateSwarmConfig}). With the swarm key it makes the node
 * talk to the members' nodes only:
 *
 * - bootstrap and peering: exactly the other members' nodes (no public bootstrap list, kept connected);
 * - routing `none`, providing off, no autoconf, no delegated routers, no HTTP retrieval, no mDNS: nothing is
 *   announced or looked up outside the consortium; blocks come by bitswap from connected members only;
 * - TCP only (the pre-shared key protects TCP; QUIC, WebTransport, WebRTC, WebSocket are off), no relay, no
 *   hole punching, no NAT port mapping, no AutoNAT service, no AutoTLS;
 * - the gateway off, the RPC API on loopback unless told otherwise.
 *
 * Start the daemon with `LIBP2P_FORCE_PNET=1` so that it refuses to run without the key.
 *
 * @param options - The node's addresses and the other members' nodes.
 * @returns The settings in the order to apply them.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when a peer or address is malformed.
 */
export function privateSwarmConfig(options: PrivateSwarmConfigOptions): Array<[string, unknown]> {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.peers))
    throw invalid('options.peers', 'an array of { id, addresses }', typeof options?.peers)
  const swarm = [...(options.swarm ?? ['/ip4/0.0.0.0/tcp/4001'])]
  for (const a of swarm) if (!/^\/ip[46]\/[^/]+\/tcp\/\d+$/.test(a)) throw invalid('options.swarm', 'TCP multiaddrs', a)
  const api = options.api ?? '/ip4/127.0.0.1/tcp/5001'
  if (!/^\/ip[46]\/[^/]+\/tcp\/\d+$/.test(api)) throw invalid('options.api', 'a TCP multiaddr', api)
  const peers = options.peers.map((p, i) => {
    if (typeof p?.id !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{46,60}$|^k[a-z0-9]{50,70}$/.test(p.id))
      throw invalid(`options.peers[${i}].id`, 'a peer id', typeof p?.id)
    if (
      !Array.isArray(p.addresses) ||
      p.addresses.some((a: unknown) => typeof a !== 'string' || !(a as string).startsWith('/'))
    )
      throw invalid(`options.peers[${i}].addresses`, 'multiaddrs', typeof p.addresses)
    return { ID: p.id, Addrs: [...p.addresses] }
  })
  return [
    ['Addresses.API', api],
    ['Addresses.Gateway', []],
    ['Addresses.Swarm', swarm],
    ['Addresses.Announce', [...(options.announce ?? [])]],
    ['Addresses.AppendAnnounce', []],
    ['Addresses.NoAnnounce', []],
    ['Bootstrap', peers.flatMap(p => p.Addrs.map(a => `${a}/p2p/${p.ID}`))],
    ['Peering.Peers', peers],
    ['AutoConf.Enabled', false],
    ['AutoTLS.Enabled', false],
    ['DNS.Resolvers', {}],
    ['Routing.Type', 'none'],
    ['Routing.DelegatedRouters', []],
    ['Ipns.DelegatedPublishers', []],
    ['Provide.Enabled', false],
    ['HTTPRetrieval.Enabled', false],
    ['Discovery.MDNS.Enabled', false],
    ['AutoNAT.ServiceMode', 'disabled'],
    ['Swarm.DisableNatPortMap', true],
    ['Swarm.EnableHolePunching', false],
    ['Swarm.RelayClient.Enabled', false],
    ['Swarm.RelayService.Enabled', false],
    ['Swarm.Transports.Network.QUIC', false],
    ['Swarm.Transports.Network.WebTransport', false],
    ['Swarm.Transports.Network.WebRTCDirect', false],
    ['Swarm.Transports.Network.Websocket', false],
    ['Swarm.Transports.Network.TCP', true],
  ]
}

/**
 * Writes the swarm key and the {@link privateSwarmConfig} settings into a Kubo repository created by
 * `ipfs init` (the daemon must not be running). The config file is replaced atomically.
 *
 * @param repo - The repository folder (`IPFS_PATH`).
 * @param swarmKey - The consortium's key from {@link generateSwarmKey}.
 * @param options - As for {@link privateSwarmConfig}.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for a malformed key or options; the file system's error when the
 *   repository cannot be read or written.
 */
export async function applyPrivateSwarmConfig(
  repo: string,
  swarmKey: string,
  options: PrivateSwarmConfigOptions,
): Promise<void> {
  if (typeof swarmKey !== 'string' || !/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n?$/.test(swarmKey))
    throw invalid('swarmKey', 'a swarm key from generateSwarmKey()', typeof swarmKey)
  const settings = privateSwarmConfig(options)
  const file = join(repo, 'config')
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  for (const [key, value] of settings) setPath(config, key.split('.'), value)
  await writeFile(`${file}.tmp`, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  await rename(`${file}.tmp`, file)
  await writeFile(join(repo, SWARM_KEY_FILE), swarmKey, { mode: 0o600 })
}

/** Reads a node's peer id from its repository's config (written by `ipfs init`). */
export async function readPeerId(repo: string): Promise<string> {
  const config = JSON.parse(await readFile(join(repo, 'config'), 'utf8')) as { Identity?: { PeerID?: unknown } }
  const id = config.Identity?.PeerID
  if (typeof id !== 'string') throw invalid('repo', 'an initialised Kubo repository', 'no Identity.PeerID')
  return id
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path.at(-1)!] = value
}

const invalid = (argument: string, expected: string, got: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}, got ${got}`, {
    details: { argument, expected, got },
  })
