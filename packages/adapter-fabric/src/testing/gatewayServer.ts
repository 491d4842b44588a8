import { createHash, X509Certificate } from 'node:crypto'
import {
  type handleUnaryCall,
  Metadata,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import { common, gateway, google, msp, orderer, peer } from '@hyperledger/fabric-protos'
import { ChaincodeRunner, type ChaincodeSource, peerMessageLimits } from './chaincodeRunner.js'
import { createTestOrganisation, memberSigner, type TestMember } from './identities.js'
import { Ledger, type LedgerSnapshot, Orderer, type TransactionStatus } from './orderer.js'
import {
  concat,
  type Endorser,
  Membership,
  type OrganisationConfig,
  prepareTransaction,
  type UnpackedProposal,
  type UnpackedTransaction,
  unpackProposal,
  unpackTransaction,
  validateProposal,
  verifySignature,
} from './proposal.js'
import { Simulation, type StateEntry } from './worldState.js'

/** Options of {@link startGatewayTestServer}. */
export interface GatewayTestServerOptions {
  /** Channel name the server serves; proposals for another channel are refused. */
  readonly channel: string
  /** Name under which the chaincode is deployed. */
  readonly chaincodeName: string
  /** Trusted organisations (MSP id and CA certificate); any other creator is refused. */
  readonly organisations: readonly OrganisationConfig[]
  /** The chaincode to run, as a module of contracts or as a command; it runs in a child process. */
  readonly chaincode: ChaincodeSource
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number
  /** Transactions per block (default 10). */
  readonly blockCutSize?: number
  /** Milliseconds from the first pending transaction until a block is cut (default 10). */
  readonly blockTimeoutMs?: number
  /** Committed blocks to start from, from {@link GatewayTestServer.ledgerSnapshot}; default an empty ledger. */
  readonly state?: LedgerSnapshot
  /** The endorsing peer's identity; default a fresh `peer0` under the first organisation's MSP id. */
  readonly peer?: TestMember
  /**
   * Serve over TLS with this certificate and key (e.g. from `TestOrganisation.createTlsIdentity`); with
   * `clientCaPem`, require a client certificate issued by that CA (mutual TLS, `peer.tls.clientAuthRequired`).
   * Default: plaintext.
   */
  readonly tls?: Readonly<{ certificatePem: string; privateKeyPem: string; clientCaPem?: string }>
  /**
   * The orderer's `BatchSize.AbsoluteMaxBytes`: a larger envelope (payload + signature) is refused with
   * BAD_REQUEST, in the orderer's words (default: no limit).
   */
  readonly absoluteMaxBytes?: number
}

/** A running gateway test server. */
export interface GatewayTestServer {
  /** `127.0.0.1:<port>`, for `new grpc.Client(address, grpc.credentials.createInsecure())`. */
  readonly address: string
  /** MSP id of the endorsing peer, as it appears in `ErrorDetail.mspId`. */
  readonly peerMspId: string
  /** Number of committed blocks, genesis block 0 included. */
  blockHeight(): number
  /** The committed world state of the chaincode, in key order. */
  stateSnapshot(): StateEntry[]
  /** The committed blocks, to start another server from (`state` option). */
  ledgerSnapshot(): LedgerSnapshot
  /** The commit status of a transaction, if it is committed. */
  transactionStatus(txId: string): TransactionStatus | undefined
  /**
   * Holds block cutting until the returned function is called, so that transactions submitted meanwhile are
   * ordered into the same block (up to the block cut size).
   */
  holdBlocks(): () => void
  /** Number of submitted transactions waiting to be ordered into a block. */
  pendingTransactions(): number
  /**
   * Fault injection: the next `count` Endorse calls fail with `FAILED_PRECONDITION: no combination of peers can
   * be derived which satisfy the endorsement policy`, as a real gateway answers while discovery has not yet
   * learnt a chaincode definition or enough organisations' peers.
   */
  refuseEndorsements(count: number): void
  /** Closes the gRPC server (clients then get UNAVAILABLE) and stops the chaincode process. Pending transactions are committed. */
  stop(): Promise<void>
  /** Starts again on the same address, with the same ledger and world state. */
  restart(): Promise<void>
  /**
   * Empties the ledger back to its genesis block while the server and the chaincode keep running, so that tests
   * get a fresh ledger in milliseconds. Queued transactions are dropped; open event streams and commit status
   * waits end with UNAVAILABLE, and so do endorsements still running and the submission of transactions endorsed
   * before the reset (a client of the old ledger, e.g. a test that timed out, cannot reach the new one).
   */
  reset(): void
}

/**
 * Starts an in-process Hyperledger Fabric gateway for tests (TEST utility; one peer, a solo orderer, TLS optional).
 *
 * It implements the Gateway service (Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents) on the real Fabric
 * protobufs: signed proposals are authenticated against the configured organisations, the real chaincode is run
 * over the shim protocol in a child process (chaincode as a service), endorsements carry a real read-write set,
 * blocks are validated with MVCC as a peer does, and chaincode events are delivered with their block numbers.
 *
 * @param options - channel, chaincode name, trusted organisations and the chaincode to run
 * @returns the running server; call `stop()` when done
 * @throws Error when the chaincode process does not start or the port cannot be bound
 * @example
 * ```ts
 * const org1 = await createTestOrganisation('Org1MSP')
 * const server = await startGatewayTestServer({
 *   channel: 'mychannel', chaincodeName: 'datapact', organisations: [org1],
 *   chaincode: { module: 'dist/chaincode.js', exportName: 'contracts' },
 * })
 * const client = new grpc.Client(server.address, grpc.credentials.createInsecure())
 * ```
 */
export async function startGatewayTestServer(options: GatewayTestServerOptions): Promise<GatewayTestServer> {
  const firstOrganisation = options.organisations[0]
  if (!firstOrganisation) throw new Error('at least one organisation is required')
  const peerMember =
    options.peer ?? (await (await createTestOrganisation(firstOrganisation.mspId)).createMember('peer0'))
  const server = new GatewayTestServerImpl(options, peerMember)
  await server.start(options.port ?? 0)
  return server
}

const chaincodeVersion = '1.0'
const queryChaincode = 'qscc'
const errorDetailType = 'type.googleapis.com/gateway.ErrorDetail'

/** A gRPC error as the Fabric gateway returns it: a status code, a message and `gateway.ErrorDetail` messages. */
class RpcError extends Error {
  readonly code: status
  readonly details: readonly string[]

  constructor(code: status, message: string, details: readonly string[] = []) {
    super(message)
    this.code = code
    this.details = details
  }
}

class GatewayTestServerImpl implements GatewayTestServer {
  readonly peerMspId: string
  readonly #options: GatewayTestServerOptions
  readonly #membership: Membership
  #ledger: Ledger
  readonly #orderer: Orderer
  readonly #endorser: Endorser
  readonly #peerCertificate: X509Certificate
  #port = 0
  #server: Server | undefined
  #runner: ChaincodeRunner | undefined
  #stopped = new AbortController()
  #refusedEndorsements = 0
  // Bumped by reset(); the transactions endorsed since the last reset, and those endorsed before it (refused).
  #generation = 0
  #endorsed = new Set<string>()
  #staleEndorsements = new Set<string>()

  constructor(options: GatewayTestServerOptions, peerMember: TestMember) {
    this.#options = options
    this.#membership = new Membership(options.organisations)
    this.#ledger = new Ledger(options.state)
    this.#orderer = new Orderer({
      blockCutSize: options.blockCutSize ?? 10,
      blockTimeoutMs: options.blockTimeoutMs ?? 10,
      deliver: transactions => this.#ledger.commit(transactions, tx => this.#isEndorsed(tx)),
    })
    this.peerMspId = peerMember.mspId
    this.#peerCertificate = new X509Certificate(peerMember.certificatePem)
    const identity = new msp.SerializedIdentity()
    identity.setMspid(peerMember.mspId)
    identity.setIdBytes(Buffer.from(peerMember.certificatePem))
    const sign = memberSigner(peerMember)
    this.#endorser = {
      creator: identity.serializeBinary(),
      sign: data => sign(createHash('sha256').update(data).digest()),
    }
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`
  }

  blockHeight(): number {
    return this.#ledger.height
  }

  stateSnapshot(): StateEntry[] {
    return this.#ledger.entries(this.#options.chaincodeName)
  }

  ledgerSnapshot(): LedgerSnapshot {
    return this.#ledger.snapshot()
  }

  transactionStatus(txId: string): TransactionStatus | undefined {
    return this.#ledger.status(txId)
  }

  holdBlocks(): () => void {
    return this.#orderer.hold()
  }

  refuseEndorsements(count: number): void {
    this.#refusedEndorsements = count
  }

  pendingTransactions(): number {
    return this.#orderer.queued
  }

  async start(port: number): Promise<void> {
    const runner = await ChaincodeRunner.start(this.#options.chaincode, this.#options.chaincodeName)
    // A peer's message limits (100 MiB), not grpc-js's 4 MiB default: payload batches and reads are a few MiB.
    const server = new Server(peerMessageLimits)
    server.addService(gateway.GatewayService, this.#implementation())
    try {
      this.#port = await new Promise<number>((ok, ko) =>
        server.bindAsync(`127.0.0.1:${port}`, this.#credentials(), (e, bound) => (e ? ko(e) : ok(bound))),
      )
    } catch (error) {
      server.forceShutdown()
      await runner.close()
      throw error
    }
    this.#runner = runner
    this.#server = server
    this.#stopped = new AbortController()
  }

  #credentials(): ServerCredentials {
    const tls = this.#options.tls
    if (!tls) return ServerCredentials.createInsecure()
    return ServerCredentials.createSsl(
      tls.clientCaPem === undefined ? null : Buffer.from(tls.clientCaPem),
      [{ private_key: Buffer.from(tls.privateKeyPem), cert_chain: Buffer.from(tls.certificatePem) }],
      tls.clientCaPem !== undefined,
    )
  }

  async stop(): Promise<void> {
    this.#stopped.abort(new RpcError(status.UNAVAILABLE, 'gateway test server stopped'))
    this.#server?.forceShutdown()
    this.#server = undefined
    this.#orderer.flush()
    await this.#runner?.close()
    this.#runner = undefined
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start(this.#port)
  }

  reset(): void {
    this.#stopped.abort(resetError())
    this.#stopped = new AbortController()
    this.#orderer.discard()
    this.#ledger = new Ledger()
    this.#generation++
    this.#staleEndorsements = this.#endorsed
    this.#endorsed = new Set()
  }

  #implementation(): UntypedServiceImplementation {
    return {
      evaluate: this.#unary((request: gateway.EvaluateRequest) => this.#evaluate(request)),
      endorse: this.#unary((request: gateway.EndorseRequest) => this.#endorse(request)),
      submit: this.#unary((request: gateway.SubmitRequest) => this.#submit(request)),
      commitStatus: this.#unary((request: gateway.SignedCommitStatusRequest, call) =>
        this.#commitStatus(request, call),
      ),
      chaincodeEvents: (
        call: ServerWritableStream<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse>,
      ) => this.#chaincodeEvents(call),
    }
  }

  async #evaluate(request: gateway.EvaluateRequest): Promise<gateway.EvaluateResponse> {
    const proposal = this.#unpack(request.getProposedTransaction(), 'failed to unpack transaction proposal: ')
    const system = proposal.chaincodeName === queryChaincode && proposal.channelId === this.#options.channel
    if (!system) this.#checkTarget(proposal, `no peers available to evaluate chaincode ${proposal.chaincodeName}`)
    try {
      this.#preProcess(proposal)
    } catch (error) {
      const message = (error as Error).message
      throw new RpcError(status.FAILED_PRECONDITION, `evaluate call to endorser returned error: ${message}`, [message])
    }
    if (system) return this.#querySystemChaincode(proposal)
    const { execution } = await this.#simulate(proposal)
    if (execution.peerError !== undefined) {
      const message = 'failed to evaluate transaction, see attached details for more info'
      throw new RpcError(status.ABORTED, message, [execution.peerError])
    }
    const failure = chaincodeFailure(execution.response)
    if (failure) throw new RpcError(status.UNKNOWN, `evaluate call to endorser returned error: ${failure}`, [failure])
    const response = new gateway.EvaluateResponse()
    response.setResult(execution.response)
    return response
  }

  // qscc, the query system chaincode, as far as clients use it to follow the chain: GetChainInfo.
  #querySystemChaincode(proposal: UnpackedProposal): gateway.EvaluateResponse {
    const [fn, channel] = proposal.args.map(arg => Buffer.from(arg).toString())
    const response = new peer.Response()
    if (fn !== 'GetChainInfo') {
      const message = `Requested function ${fn} not found.`
      throw new RpcError(status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [
        `chaincode response 500, ${message}`,
      ])
    }
    if (channel !== this.#options.channel) {
      const message = `Failed to get block info with error ledger not found: ${channel}`
      throw new RpcError(status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [
        `chaincode response 500, ${message}`,
      ])
    }
    const info = new common.BlockchainInfo()
    const height = this.#ledger.height
    info.setHeight(height)
    info.setCurrentblockhash(this.#ledger.blockHash(height - 1))
    if (height > 1) info.setPreviousblockhash(this.#ledger.blockHash(height - 2))
    response.setStatus(200)
    response.setPayload(info.serializeBinary())
    const evaluated = new gateway.EvaluateResponse()
    evaluated.setResult(response)
    return evaluated
  }

  async #endorse(request: gateway.EndorseRequest): Promise<gateway.EndorseResponse> {
    const generation = this.#generation
    const proposal = this.#unpack(request.getProposedTransaction(), '')
    this.#checkTarget(proposal, 'no combination of peers can be derived which satisfy the endorsement policy')
    if (this.#refusedEndorsements > 0) {
      this.#refusedEndorsements--
      throw new RpcError(
        status.FAILED_PRECONDITION,
        `no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed on sufficient peers`,
      )
    }
    const failed = (detail: string) =>
      new RpcError(status.ABORTED, 'failed to endorse transaction, see attached details for more info', [detail])
    try {
      this.#preProcess(proposal)
    } catch (error) {
      throw failed((error as Error).message)
    }
    const { execution, results } = await this.#simulate(proposal)
    if (execution.peerError !== undefined) throw failed(execution.peerError)
    const failure = chaincodeFailure(execution.response)
    if (failure) throw failed(failure)
    const outcome = { response: execution.response, results, ...(execution.event && { event: execution.event }) }
    const prepared = await prepareTransaction(proposal, outcome, this.#endorser, chaincodeVersion)
    // Simulated on a ledger that reset() has since replaced: its read set belongs to no ledger any more.
    if (generation !== this.#generation) throw resetError()
    this.#endorsed.add(proposal.txId)
    const response = new gateway.EndorseResponse()
    response.setPreparedTransaction(prepared)
    return response
  }

  async #submit(request: gateway.SubmitRequest): Promise<gateway.SubmitResponse> {
    const envelope = request.getPreparedTransaction()
    if (!envelope) throw new RpcError(status.INVALID_ARGUMENT, 'a prepared transaction is required')
    if (envelope.getSignature_asU8().length === 0) {
      throw new RpcError(status.INVALID_ARGUMENT, 'prepared transaction must be signed')
    }
    const rejected = (statusName: string, info: string) =>
      new RpcError(status.ABORTED, `received unsuccessful response from orderer: status=${statusName}, info=${info}`)
    const size = envelope.getPayload_asU8().length + envelope.getSignature_asU8().length
    const maxBytes = this.#options.absoluteMaxBytes
    if (maxBytes !== undefined && size > maxBytes)
      throw rejected('BAD_REQUEST', `message payload is ${size} bytes and exceeds maximum allowed ${maxBytes} bytes`)
    let transaction: UnpackedTransaction
    try {
      transaction = unpackTransaction(envelope)
    } catch (error) {
      throw rejected('BAD_REQUEST', (error as Error).message)
    }
    if (transaction.channelId !== this.#options.channel) {
      throw rejected('NOT_FOUND', `channel ${transaction.channelId} not found`)
    }
    if (this.#staleEndorsements.has(transaction.txId)) throw resetError()
    try {
      this.#membership.authenticate(
        transaction.creator,
        transaction.payload,
        transaction.signature,
        this.#options.channel,
      )
    } catch {
      const info =
        "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied"
      throw rejected('FORBIDDEN', info)
    }
    this.#orderer.enqueue(transaction)
    return new gateway.SubmitResponse()
  }

  async #commitStatus(
    signed: gateway.SignedCommitStatusRequest,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<gateway.CommitStatusResponse> {
    if (signed.getRequest_asU8().length === 0) {
      throw new RpcError(status.INVALID_ARGUMENT, 'a commit status request is required')
    }
    const request = gateway.CommitStatusRequest.deserializeBinary(signed.getRequest_asU8())
    this.#authorize(
      request.getIdentity_asU8(),
      signed.getRequest_asU8(),
      signed.getSignature_asU8(),
      request.getChannelId(),
    )
    const cancelled = new AbortController()
    call.once('cancelled', () => cancelled.abort(new RpcError(status.CANCELLED, 'call cancelled')))
    const signal = AbortSignal.any([cancelled.signal, this.#stopped.signal])
    const txStatus = await this.#ledger.waitForStatus(request.getTransactionId(), signal)
    const response = new gateway.CommitStatusResponse()
    response.setResult(txStatus.validationCode)
    response.setBlockNumber(txStatus.blockNumber)
    return response
  }

  #chaincodeEvents(
    call: ServerWritableStream<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse>,
  ): void {
    const fail = (error: unknown) => {
      call.emit('error', this.#serviceError(error))
    }
    let request: gateway.ChaincodeEventsRequest
    try {
      const signed = call.request
      if (signed.getRequest_asU8().length === 0) {
        throw new RpcError(status.INVALID_ARGUMENT, 'a chaincode events request is required')
      }
      request = gateway.ChaincodeEventsRequest.deserializeBinary(signed.getRequest_asU8())
      this.#authorize(
        request.getIdentity_asU8(),
        signed.getRequest_asU8(),
        signed.getSignature_asU8(),
        request.getChannelId(),
      )
    } catch (error) {
      fail(error)
      return
    }
    // As the gateway: start at the block of after_transaction_id if known, and skip events up to that transaction.
    const afterTxId = request.getAfterTransactionId()
    const afterStatus = afterTxId === '' ? undefined : this.#ledger.status(afterTxId)
    let next = afterStatus?.blockNumber ?? this.#startBlock(request.getStartPosition())
    let passedAfterTx = afterTxId === ''
    const pump = () => {
      for (; next < this.#ledger.height; next++) {
        const block = this.#ledger.block(next)
        const events: peer.ChaincodeEvent[] = []
        for (const tx of block?.transactions ?? []) {
          if (!tx.event) continue
          const event = peer.ChaincodeEvent.deserializeBinary(tx.event)
          if (!passedAfterTx) passedAfterTx = event.getTxId() === afterTxId
          else if (event.getChaincodeId() === request.getChaincodeId()) events.push(event)
        }
        if (events.length === 0) continue
        const response = new gateway.ChaincodeEventsResponse()
        response.setBlockNumber(next)
        response.setEventsList(events)
        call.write(response)
      }
    }
    const unsubscribe = this.#ledger.onBlock(pump)
    const end = () => {
      unsubscribe()
      this.#stopped.signal.removeEventListener('abort', onStop)
    }
    const onStop = () => {
      end()
      fail(this.#stopped.signal.reason)
    }
    this.#stopped.signal.addEventListener('abort', onStop)
    call.once('cancelled', end)
    pump()
  }

  #startBlock(position: orderer.SeekPosition | undefined): number {
    switch (position?.getTypeCase()) {
      case orderer.SeekPosition.TypeCase.SPECIFIED:
        return position?.getSpecified()?.getNumber() ?? 0
      case orderer.SeekPosition.TypeCase.OLDEST:
        return 0
      case orderer.SeekPosition.TypeCase.NEWEST:
        return this.#ledger.height - 1
      default:
        return this.#ledger.height
    }
  }

  // The signed requests of CommitStatus and ChaincodeEvents go through the channel's ACL check.
  #authorize(identity: Uint8Array, request: Uint8Array, signature: Uint8Array, channel: string): void {
    if (channel !== this.#options.channel) throw new RpcError(status.NOT_FOUND, `channel not found: ${channel}`)
    try {
      this.#membership.authenticate(identity, request, signature, channel)
    } catch (error) {
      throw new RpcError(status.PERMISSION_DENIED, (error as Error).message)
    }
  }

  #unpack(signedProposal: peer.SignedProposal | undefined, prefix: string): UnpackedProposal {
    try {
      return unpackProposal(signedProposal)
    } catch (error) {
      throw new RpcError(status.INVALID_ARGUMENT, `${prefix}${(error as Error).message}`)
    }
  }

  #checkTarget(proposal: UnpackedProposal, unknownChaincode: string): void {
    if (proposal.channelId !== this.#options.channel) {
      throw new RpcError(status.UNAVAILABLE, `channel '${proposal.channelId}' not found`)
    }
    if (proposal.chaincodeName !== this.#options.chaincodeName) {
      throw new RpcError(status.FAILED_PRECONDITION, `${unknownChaincode} in channel ${proposal.channelId}`)
    }
  }

  // The endorser's checks before simulation: proposal validity, signature, and transaction id uniqueness.
  #preProcess(proposal: UnpackedProposal): void {
    validateProposal(proposal, this.#membership, this.#options.channel)
    if (this.#ledger.status(proposal.txId) || this.#orderer.isQueued(proposal.txId)) {
      const creator = Buffer.from(proposal.signatureHeader.getCreator_asU8()).toString('hex')
      throw new Error(`duplicate transaction found [${proposal.txId}]. Creator [${creator}]`)
    }
  }

  async #simulate(proposal: UnpackedProposal) {
    const runner = this.#runner
    if (!runner) throw new RpcError(status.UNAVAILABLE, 'gateway test server stopped')
    const simulation = new Simulation(this.#ledger.state, this.#options.chaincodeName)
    const execution = await runner.execute(proposal, simulation)
    return { execution, results: simulation.results() }
  }

  // The committer's endorsement check: signed by this server's peer over the response payload it endorsed.
  #isEndorsed(tx: UnpackedTransaction): boolean {
    return tx.endorsements.some(endorsement => {
      const endorser = endorsement.getEndorser_asU8()
      return (
        Buffer.from(endorser).equals(this.#endorser.creator) &&
        verifySignature(this.#peerCertificate, concat(tx.responsePayload, endorser), endorsement.getSignature_asU8())
      )
    })
  }

  #unary<Req, Res>(
    handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      handler(call.request, call).then(
        response => callback(null, response),
        (error: unknown) => callback(this.#serviceError(error)),
      )
    }
  }

  // Packs ErrorDetail messages into grpc-status-details-bin, as google.rpc.Status details, like the Go gateway.
  #serviceError(error: unknown): ServerErrorResponse {
    if (!(error instanceof RpcError)) {
      return { name: 'Error', message: String(error), code: status.INTERNAL, details: String(error) }
    }
    const metadata = new Metadata()
    if (error.details.length > 0) {
      const rpcStatus = new google.rpc.Status()
      rpcStatus.setCode(error.code)
      rpcStatus.setMessage(error.message)
      for (const message of error.details) {
        const detail = new gateway.ErrorDetail()
        detail.setAddress(this.address)
        detail.setMspId(this.peerMspId)
        detail.setMessage(message)
        const any = rpcStatus.addDetails()
        any.setTypeUrl(errorDetailType)
        any.setValue(detail.serializeBinary())
      }
      metadata.set('grpc-status-details-bin', Buffer.from(rpcStatus.serializeBinary()))
    }
    return { name: 'RpcError', message: error.message, code: error.code, details: error.message, metadata }
  }
}

const resetError = () => new RpcError(status.UNAVAILABLE, 'gateway test server ledger reset')

function chaincodeFailure(response: peer.Response): string | undefined {
  const code = response.getStatus()
  return code < 200 || code >= 400 ? `chaincode response ${code}, ${response.getMessage()}` : undefined
}
