import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { LedgerHarness } from '@datapact/core/testing'
import * as grpc from '@grpc/grpc-js'
import { FabricLedger, type FabricLedgerOptions } from '../fabricLedger.js'
import { memberIdOf } from '../shared.js'
import { type ChaincodeSource, peerMessageLimits } from './chaincodeRunner.js'
import { type GatewayTestServer, startGatewayTestServer } from './gatewayServer.js'
import { createTestOrganisation, type TestMember, type TestOrganisation } from './identities.js'

/** Options of {@link createFabricHarness}. */
export interface FabricHarnessOptions {
  /**
   * Reuse one gateway test server (and chaincode process) per process, emptied for each harness (default true).
   * A harness created while the shared server is in use gets a server of its own.
   */
  readonly shared?: boolean
  /** Options for every member's {@link FabricLedger} (retries, timeouts). */
  readonly ledger?: Pick<FabricLedgerOptions, 'conflictRetries' | 'timeouts' | 'eventIdleTimeoutMs' | 'endorsersWaitMs'>
  /** Transactions per block (default 10). */
  readonly blockCutSize?: number
}

/** A conformance harness on the gateway test server, with its server, organisations and members exposed. */
export interface FabricHarness extends LedgerHarness {
  /** The gateway test server this harness runs on. */
  readonly server: GatewayTestServer
  /** The two test organisations, `Org1MSP` and `Org2MSP`; members alternate between them. */
  readonly organisations: readonly TestOrganisation[]
  /** Channel and chaincode name on the server. */
  readonly channel: string
  readonly chaincode: string
  /** A connection for a new member (a fresh certificate from the next organisation's CA). */
  member(label: string): Promise<FabricLedger>
  /** A new member's certificate and key, without a connection. */
  identity(label: string): Promise<TestMember>
  /** A connection for a given identity, with these options on top of the harness's. */
  connect(member: TestMember, options?: Partial<FabricLedgerOptions>): FabricLedger
}

interface TestNetwork {
  readonly server: GatewayTestServer
  readonly organisations: readonly TestOrganisation[]
  /** The genesis admin the chaincode was started with (`DATAPACT_GENESIS_ADMIN`): each harness's first member. */
  readonly genesis: TestMember
  readonly client: grpc.Client
  stop(): Promise<void>
}

const channel = 'datapact'
const chaincode = 'datapact'
const sharedIdleMs = 1000

let shared: Promise<TestNetwork> | undefined
let sharedInUse = false
let sharedStopTimer: NodeJS.Timeout | undefined

/**
 * The Datapact chaincode (the `@datapact/chaincode` package) as the gateway test server runs it: the TypeScript
 * source through tsx (with `--conditions=source`, so `@datapact/core` loads from source too) when it is there (in
 * this repository), else the package's built ESM entry.
 *
 * @returns the chaincode source for {@link startGatewayTestServer}
 * @throws Error naming the package to install when `@datapact/chaincode` is not installed
 */
export function datapactChaincode(): ChaincodeSource {
  let manifest: string
  try {
    manifest = createRequire(import.meta.url).resolve('@datapact/chaincode/package.json')
  } catch (cause) {
    throw new Error(
      'the Fabric test harness runs the Datapact chaincode: install it next to @datapact/adapter-fabric (npm install --save-dev @datapact/chaincode)',
      { cause },
    )
  }
  const source = join(dirname(manifest), 'src', 'index.ts')
  if (existsSync(source))
    return { module: source, exportName: 'contracts', nodeOptions: ['--import', 'tsx', '--conditions=source'] }
  return { module: join(dirname(manifest), 'dist', 'index.js'), exportName: 'contracts' }
}

/**
 * A ledger harness on Hyperledger Fabric for `describeLedgerConformance` and users' own tests: the gateway test
 * server running the real Datapact chaincode (as a service, in a child process), two organisations, and a
 * {@link FabricLedger} through the real `@hyperledger/fabric-gateway` client for every member.
 *
 * Ledger time on Fabric is the transaction timestamp, which the submitting client writes into the signed proposal
 * from its own clock. `advanceTime` therefore waits in real time (until the wall clock's whole seconds have moved
 * on by `seconds`); nothing is faked.
 *
 * @param options - sharing, ledger options, block size
 * @returns the harness; call `teardown()` when done
 * @throws Error when the gateway test server or the chaincode process does not start (the chaincode,
 *   `@datapact/chaincode`, is an optional peer dependency and must be installed)
 * @example
 * ```ts
 * describeLedgerConformance('fabric', createFabricHarness, { timeout: 60_000 })
 * ```
 */
export async function createFabricHarness(options: FabricHarnessOptions = {}): Promise<FabricHarness> {
  const useShared = (options.shared ?? true) && !sharedInUse && options.blockCutSize === undefined
  let network: TestNetwork
  if (useShared) {
    sharedInUse = true
    clearTimeout(sharedStopTimer)
    try {
      shared ??= startNetwork({})
      network = await shared
      network.server.reset()
    } catch (error) {
      shared = undefined
      sharedInUse = false
      throw error
    }
  } else {
    network = await startNetwork(options)
  }
  const ledgers = new Set<FabricLedger>()
  let count = 0
  const identity = async (label: string) => {
    // The first identity of every harness is the genesis admin fixed when the chaincode was deployed.
    if (count++ === 0) return network.genesis
    const n = count
    const org = network.organisations[n % network.organisations.length]!
    return org.createMember(`${label.replace(/[^A-Za-z0-9._-]/g, '_')}-${n}`)
  }
  const connect = (member: TestMember, overrides: Partial<FabricLedgerOptions> = {}) => {
    const ledger = new FabricLedger({
      client: network.client,
      mspId: member.mspId,
      certificatePem: member.certificatePem,
      privateKeyPem: member.privateKeyPem,
      channel,
      chaincode,
      ...options.ledger,
      ...overrides,
    })
    ledgers.add(ledger)
    return ledger
  }
  let tornDown = false
  return {
    genesisAdmin: true,
    server: network.server,
    organisations: network.organisations,
    channel,
    chaincode,
    identity,
    connect,
    member: async label => connect(await identity(label)),
    advanceTime: async seconds => {
      const target = Math.floor(Date.now() / 1000) + seconds
      while (Math.floor(Date.now() / 1000) < target) await sleep(1000 - (Date.now() % 1000) + 5)
    },
    teardown: async () => {
      if (tornDown) return
      tornDown = true
      await Promise.all([...ledgers].map(ledger => ledger.close()))
      if (!useShared) return network.stop()
      sharedInUse = false
      // Keep the shared server for the next harness; stop it once nobody has asked for a while.
      sharedStopTimer = setTimeout(() => void stopSharedFabricNetwork(), sharedIdleMs)
      sharedStopTimer.unref()
    },
  }
}

/** Stops the shared gateway test server of {@link createFabricHarness} now (it also stops by itself when idle). */
export async function stopSharedFabricNetwork(): Promise<void> {
  clearTimeout(sharedStopTimer)
  const network = shared
  shared = undefined
  sharedInUse = false
  await (await network?.catch(() => undefined))?.stop()
}

async function startNetwork(options: FabricHarnessOptions): Promise<TestNetwork> {
  const organisations = await Promise.all([createTestOrganisation('Org1MSP'), createTestOrganisation('Org2MSP')])
  const genesis = await organisations[0]!.createMember('genesis-admin')
  const server = await startGatewayTestServer({
    channel,
    chaincodeName: chaincode,
    organisations,
    // The deploy-time parameter a real deployment sets on every organisation's chaincode server.
    chaincode: {
      ...datapactChaincode(),
      env: { DATAPACT_GENESIS_ADMIN: memberIdOf(genesis.mspId, genesis.certificatePem) },
    },
    // Cut a block 2 ms after its first transaction: tests submit one at a time, so waiting longer only adds latency.
    blockTimeoutMs: 2,
    ...(options.blockCutSize !== undefined && { blockCutSize: options.blockCutSize }),
  })
  // One gRPC connection for every member of the harness, with a short reconnect backoff so that calls succeed
  // promptly after server.restart().
  const client = new grpc.Client(server.address, grpc.credentials.createInsecure(), {
    ...peerMessageLimits,
    'grpc.initial_reconnect_backoff_ms': 50,
    'grpc.max_reconnect_backoff_ms': 200,
  })
  return {
    server,
    organisations,
    genesis,
    client,
    stop: async () => {
      client.close()
      await server.stop()
    },
  }
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))
