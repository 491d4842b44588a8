import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { freePort } from '@datapact/core/testing'
import { type ClientDuplexStream, credentials } from '@grpc/grpc-js'
import { ledger, peer } from '@hyperledger/fabric-protos'
import type { UnpackedProposal } from './proposal.js'
import type { Simulation } from './worldState.js'

// The peer side of the chaincode shim protocol, with the chaincode as a service in a child process. TEST utility.

/**
 * The chaincode the gateway test server runs, as a service (CCaaS) in a child process.
 *
 * - `module`: a JavaScript or TypeScript module exporting fabric-contract-api `Contract` classes. `exportName` picks
 *   the export (a class or an array of classes); by default `contracts`, then the default export. `fabric-shim` must
 *   resolve from the module's folder. For TypeScript give a loader, e.g. `nodeOptions: ['--import', 'tsx']`.
 *   A `serializers` export, if any, is used as `fabric-chaincode-node` uses it.
 * - `command`: any program that serves the chaincode in server mode on `CHAINCODE_SERVER_ADDRESS` with
 *   `CHAINCODE_ID` (also given as `CORE_CHAINCODE_ADDRESS`/`CORE_CHAINCODE_ID`, so `fabric-chaincode-node server`
 *   needs no arguments).
 */
export type ChaincodeSource = (
  | { readonly module: string; readonly exportName?: string; readonly nodeOptions?: readonly string[] }
  | { readonly command: string; readonly args?: readonly string[] }
) & {
  /** Extra environment for the chaincode process. */
  readonly env?: Readonly<Record<string, string>>
  /** Copy the chaincode's stdout/stderr to this process's stderr (default: keep only a tail for error messages). */
  readonly showOutput?: boolean
}

type ShimStream = ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>
const Type = peer.ChaincodeMessage.Type
const rangePageSize = 100
// Bounds for a hung child, not for a slow one: Node + tsx + fabric-shim boot in about 1 s on a quiet machine and
// ten times that and more on a busy 2-core one (load average 10-12). Vitest's hookTimeout (120 s) sits above.
const startTimeoutMs = 45_000
const executeTimeoutMs = 30_000
/** A Fabric peer's gRPC message limits (core.yaml `peer.maxRecvMsgSize` / `maxSendMsgSize`: 100 MiB). */
export const peerMessageLimits = {
  'grpc.max_receive_message_length': 100 * 1024 * 1024,
  'grpc.max_send_message_length': 100 * 1024 * 1024,
} as const

// Runs in the child: load the contracts and serve them with the shim's own server mode, as CCaaS does. The module
// loads first (the Datapact chaincode prepares the contract API before it loads), and its `serializers` export,
// if any, is used as fabric-chaincode-node uses it.
const hostScript = `
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
process.on('disconnect', () => process.exit(0))
const modulePath = process.env.GATEWAY_TEST_CHAINCODE_MODULE
const mod = await import(pathToFileURL(modulePath).href)
const require = createRequire(modulePath)
const shim = require('fabric-shim')
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js')
const { JSONSerializer } = createRequire(require.resolve('fabric-shim'))('fabric-contract-api')
const name = process.env.GATEWAY_TEST_CHAINCODE_EXPORT
const found = name ? mod[name] ?? mod.default?.[name] : mod.contracts ?? mod.default?.contracts ?? mod.default
if (!found) throw new Error('no contract export "' + (name ?? 'contracts') + '" in ' + modulePath)
const serializers = mod.serializers ?? mod.default?.serializers ?? { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } }
const chaincode = new ChaincodeFromContract(Array.isArray(found) ? found : [found], serializers, {}, 'chaincode', '1.0')
// As fabric-chaincode-node server: no message size cap in the chaincode (the peer caps at 100 MiB).
const unlimited = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 }
await shim.server(chaincode, { ccid: process.env.CHAINCODE_ID, address: process.env.CHAINCODE_SERVER_ADDRESS, ...unlimited }).start()
`

// Children still alive when this process exits are killed, so a forgotten stop() leaves no orphans.
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL')
    })
    exitHookInstalled = true
  }
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
}

/** The outcome of one chaincode execution. */
export interface Execution {
  readonly response: peer.Response
  readonly event?: peer.ChaincodeEvent
  /** Set when the peer, not the chaincode, failed the execution (for example a shim ERROR message). */
  readonly peerError?: string
}

interface Pending {
  readonly simulation: Simulation
  readonly resolve: (execution: Execution) => void
}

/** A running chaincode process and the peer's stream to it. */
export class ChaincodeRunner {
  readonly #child: ChildProcess
  readonly #client: peer.ChaincodeClient
  readonly #stream: ShimStream
  readonly #chaincodeName: string
  readonly #pending = new Map<string, Pending>()
  readonly #registered: Promise<void>
  #onRegister: ((error?: Error) => void) | undefined
  #closed = false

  private constructor(child: ChildProcess, client: peer.ChaincodeClient, name: string) {
    this.#child = child
    this.#client = client
    this.#chaincodeName = name
    this.#registered = new Promise((ok, ko) => {
      this.#onRegister = error => (error ? ko(error) : ok())
    })
    this.#stream = client.connect()
    this.#stream.on('data', (message: peer.ChaincodeMessage) => this.#onMessage(message))
    this.#stream.on('error', error => this.#terminate(error))
    this.#stream.on('end', () => this.#terminate(new Error('chaincode stream ended')))
  }

  /** Starts the chaincode process, connects to it and completes the REGISTER/REGISTERED/READY handshake. */
  static async start(source: ChaincodeSource, chaincodeName: string): Promise<ChaincodeRunner> {
    const address = `127.0.0.1:${await freePort()}`
    const chaincodeId = `${chaincodeName}:${process.pid}`
    const env = {
      ...process.env,
      CORE_CHAINCODE_LOGGING_LEVEL: 'warning',
      ...source.env,
      CHAINCODE_SERVER_ADDRESS: address,
      CHAINCODE_ID: chaincodeId,
      CORE_CHAINCODE_ADDRESS: address,
      CORE_CHAINCODE_ID: chaincodeId,
    }
    const child =
      'module' in source
        ? spawn(process.execPath, [...(source.nodeOptions ?? []), '--input-type=module', '-e', hostScript], {
            env: {
              ...env,
              GATEWAY_TEST_CHAINCODE_MODULE: resolve(source.module),
              ...(source.exportName ? { GATEWAY_TEST_CHAINCODE_EXPORT: source.exportName } : {}),
            },
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          })
        : spawn(source.command, source.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    const output = collectOutput(child, source.showOutput === true)
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', code =>
        reject(new Error(`chaincode exited (${code}) before it was ready:\n${output.join('')}`)),
      )
      child.once('error', reject)
    })
    exited.catch(() => {})
    // Retry quickly while the child is still starting its server.
    const client = new peer.ChaincodeClient(address, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 25,
      'grpc.max_reconnect_backoff_ms': 100,
      ...peerMessageLimits,
    })
    try {
      const deadline = Date.now() + startTimeoutMs
      await Promise.race([
        exited,
        new Promise<void>((ok, ko) => client.waitForReady(deadline, e => (e ? ko(e) : ok()))),
      ])
      const runner = new ChaincodeRunner(child, client, chaincodeName)
      await Promise.race([exited, runner.#registered])
      return runner
    } catch (error) {
      client.close()
      await stopChild(child)
      throw error
    }
  }

  /** Runs the chaincode for a proposal against a simulation, answering its state requests. */
  execute(proposal: UnpackedProposal, simulation: Simulation): Promise<Execution> {
    const contextId = proposal.channelId + proposal.txId
    if (this.#closed) return Promise.resolve(peerFailure('chaincode stream terminated'))
    if (this.#pending.has(contextId)) {
      return Promise.resolve(peerFailure(`txid: ${proposal.txId}(${proposal.channelId}) exists`))
    }
    const input = new peer.ChaincodeInput()
    input.setArgsList([...proposal.args])
    const message = newMessage(Type.TRANSACTION, proposal.txId, proposal.channelId, input.serializeBinary())
    message.setProposal(proposal.signedProposal)
    return new Promise(resolve => {
      const timer = setTimeout(
        () => finish(peerFailure('timeout expired while executing transaction')),
        executeTimeoutMs,
      )
      const finish = (execution: Execution) => {
        clearTimeout(timer)
        this.#pending.delete(contextId)
        resolve(execution)
      }
      this.#pending.set(contextId, { simulation, resolve: finish })
      this.#stream.write(message)
    })
  }

  /** Closes the stream and stops the chaincode process. */
  async close(): Promise<void> {
    this.#closed = true
    this.#stream.cancel()
    this.#client.close()
    await stopChild(this.#child)
  }

  #terminate(error: Error): void {
    this.#closed = true
    this.#onRegister?.(error)
    for (const pending of [...this.#pending.values()]) pending.resolve(peerFailure('chaincode stream terminated'))
  }

  #onMessage(message: peer.ChaincodeMessage): void {
    if (message.getType() === Type.REGISTER) {
      this.#stream.write(newMessage(Type.REGISTERED, '', '', new Uint8Array()))
      this.#stream.write(newMessage(Type.READY, '', '', new Uint8Array()))
      this.#onRegister?.()
      return
    }
    const txId = message.getTxid()
    const channelId = message.getChannelId()
    const pending = this.#pending.get(channelId + txId)
    if (!pending) return
    const type = message.getType()
    if (type === Type.COMPLETED) {
      const event = message.getChaincodeEvent()
      event?.setChaincodeId(this.#chaincodeName)
      event?.setTxId(txId)
      pending.resolve({ response: peer.Response.deserializeBinary(message.getPayload_asU8()), ...(event && { event }) })
      return
    }
    if (type === Type.ERROR) {
      const text = Buffer.from(message.getPayload_asU8()).toString()
      pending.resolve(peerFailure(`error in simulation: transaction returned with failure: ${text}`))
      return
    }
    let reply: peer.ChaincodeMessage
    try {
      reply = newMessage(
        Type.RESPONSE,
        txId,
        channelId,
        this.#answer(type, message.getPayload_asU8(), pending.simulation),
      )
    } catch (error) {
      reply = newMessage(Type.ERROR, txId, channelId, Buffer.from((error as Error).message))
    }
    this.#stream.write(reply)
  }

  // Answers one state request of a running transaction; throws to send the chaincode an ERROR.
  #answer(type: number, payload: Uint8Array, simulation: Simulation): Uint8Array {
    switch (type) {
      case Type.GET_STATE: {
        const request = peer.GetState.deserializeBinary(payload)
        publicOnly(request.getCollection())
        return simulation.getState(request.getKey())
      }
      case Type.PUT_STATE: {
        const request = peer.PutState.deserializeBinary(payload)
        publicOnly(request.getCollection())
        simulation.putState(request.getKey(), request.getValue_asU8())
        return new Uint8Array()
      }
      case Type.DEL_STATE: {
        const request = peer.DelState.deserializeBinary(payload)
        publicOnly(request.getCollection())
        simulation.deleteState(request.getKey())
        return new Uint8Array()
      }
      case Type.GET_STATE_BY_RANGE: {
        const request = peer.GetStateByRange.deserializeBinary(payload)
        publicOnly(request.getCollection())
        if (request.getMetadata_asU8().length > 0) throw new Error('paginated range queries are not supported')
        const { id, page } = simulation.openRange(request.getStartkey(), request.getEndkey(), rangePageSize)
        return this.#queryResponse(id, page.entries, page.hasMore)
      }
      case Type.QUERY_STATE_NEXT: {
        const id = peer.QueryStateNext.deserializeBinary(payload).getId()
        const page = simulation.nextPage(id, rangePageSize)
        return this.#queryResponse(id, page.entries, page.hasMore)
      }
      case Type.QUERY_STATE_CLOSE: {
        const id = peer.QueryStateClose.deserializeBinary(payload).getId()
        simulation.closeRange(id)
        return this.#queryResponse(id, [], false)
      }
      default:
        throw new Error(`message type ${type} is not supported by the gateway test server`)
    }
  }

  #queryResponse(id: string, entries: readonly { key: string; value: Uint8Array }[], hasMore: boolean): Uint8Array {
    const response = new peer.QueryResponse()
    response.setId(id)
    response.setHasMore(hasMore)
    for (const entry of entries) {
      const kv = new ledger.queryresult.KV()
      kv.setNamespace(this.#chaincodeName)
      kv.setKey(entry.key)
      kv.setValue(entry.value)
      const result = new peer.QueryResultBytes()
      result.setResultbytes(kv.serializeBinary())
      response.addResults(result)
    }
    return response.serializeBinary()
  }
}

function publicOnly(collection: string): void {
  if (collection !== '') throw new Error('private data collections are not supported by the gateway test server')
}

function peerFailure(message: string): Execution {
  const response = new peer.Response()
  response.setStatus(500)
  response.setMessage(message)
  return { response, peerError: message }
}

function newMessage(type: number, txId: string, channelId: string, payload: Uint8Array): peer.ChaincodeMessage {
  const message = new peer.ChaincodeMessage()
  message.setType(type as peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap])
  message.setTxid(txId)
  message.setChannelId(channelId)
  message.setPayload(payload)
  return message
}

function collectOutput(child: ChildProcess, show: boolean): string[] {
  const tail: string[] = []
  const keep = (chunk: Buffer) => {
    if (show) process.stderr.write(chunk)
    tail.push(chunk.toString())
    if (tail.length > 50) tail.shift()
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return tail
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(ok => child.once('exit', () => ok()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
  await exited
  clearTimeout(timer)
}
