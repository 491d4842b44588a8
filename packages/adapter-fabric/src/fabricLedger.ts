import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import {
  type CheckedSubscription,
  checkReadEventsOptions,
  DatapactError,
  type EventPage,
  type LedgerAdapter,
  LedgerError,
  type LedgerEventRecord,
  type MemberId,
  type SubmitResult,
  subscribeSafely,
} from '@datapact/core'
import {
  decodeResult,
  encodeArgs,
  isQuery,
  isWriteRule,
  type QueryArgs,
  type QueryName,
  type QueryResults,
  type WriteArgs,
  type WriteRuleName,
} from '@datapact/core/rules'
import * as grpc from '@grpc/grpc-js'
import {
  type ChaincodeEventsRequest,
  CommitError,
  type Contract,
  connect,
  type Gateway,
  type Network,
  type Signer,
  StatusCode,
  signers,
} from '@hyperledger/fabric-gateway'
import { common, gateway as gatewayProtos } from '@hyperledger/fabric-protos'
import { isNoEndorsersError, toLedgerError } from './errors.js'
import {
  decodeEventPayload,
  decodeEvents,
  eventName,
  fromBase64,
  MemberIdError,
  memberIdOf,
  toBase64,
} from './shared.js'

/**
 * A LEDGER_UNAVAILABLE once the endorsed transaction went to the orderer: it may or may not commit. The error names
 * the transaction and says so (`details.outcome: 'unknown'`); retry with the same identifiers (usage nonces).
 */
function unknownOutcome(e: DatapactError, transactionId: string): DatapactError {
  if (e.code !== 'LEDGER_UNAVAILABLE') return e
  return new LedgerError(
    'LEDGER_UNAVAILABLE',
    `${e.message} (transaction ${transactionId} was sent: it may or may not be committed; retry with the same ` +
      'identifiers, such as usage nonces, to record it once)',
    { ledger: 'fabric', transactionId, details: { ...e.details, outcome: 'unknown' }, cause: e },
  )
}

/** Options of {@link FabricLedger}. */
export interface FabricLedgerOptions {
  /** `host:port` of the gateway peer. Give this or `client`. */
  readonly peerEndpoint?: string
  /** PEM of the CA that signed the peer's TLS certificate. Without it the connection is plaintext (test networks). */
  readonly tlsRootCert?: string | Uint8Array
  /**
   * Mutual TLS: the client's TLS certificate (PEM), for peers that require client certificates
   * (`peer.tls.clientAuthRequired`). Give it with `tlsClientKey` and `tlsRootCert`. It is a TLS credential only:
   * the member is still the signing identity (`certificatePem`).
   */
  readonly tlsClientCertificate?: string | Uint8Array
  /** Mutual TLS: the private key (PEM) of `tlsClientCertificate`. */
  readonly tlsClientKey?: string | Uint8Array
  /** TLS server name to expect when it differs from the endpoint's host (`grpc.ssl_target_name_override`). */
  readonly hostAlias?: string
  /** Extra gRPC channel options for the connection made from `peerEndpoint`. */
  readonly grpcOptions?: grpc.ChannelOptions
  /**
   * An existing gRPC client to the gateway peer, shared with other connections; `close()` leaves it open. Create it
   * with {@link grpcMessageLimits}: payload reads return several MiB.
   */
  readonly client?: grpc.Client
  /** MSP id of the member's organisation, e.g. `Org1MSP`. */
  readonly mspId: string
  /** The member's X.509 certificate (PEM), issued by its organisation's CA. */
  readonly certificatePem: string
  /**
   * The member's private key (PEM, PKCS #8 or SEC1), matching the certificate. Give this or `signer`.
   */
  readonly privateKeyPem?: string
  /**
   * A fabric-gateway `Signer` for the member's key, instead of `privateKeyPem`: for keys that never leave an HSM
   * (`signers.newHSMSignerFactory(...)`) or another signing service. It gets the SHA-256 digest of each proposal,
   * transaction and signed request and must return the DER ECDSA signature with a low S value, made with the key
   * of `certificatePem`. A signature by another key is refused by the peer (ACCESS_DENIED); the connection
   * cannot check the key up front. The connection does not close the signer.
   */
  readonly signer?: Signer
  /** Channel name. */
  readonly channel: string
  /** Name the Datapact chaincode is deployed under. */
  readonly chaincode: string
  /** Per-call deadlines in milliseconds (defaults: evaluate 30 s, endorse 30 s, submit 30 s, commit status 60 s). */
  readonly timeouts?: Readonly<{ evaluate?: number; endorse?: number; submit?: number; commitStatus?: number }>
  /** How often a write invalidated by an MVCC or phantom read conflict is submitted again (default 2). */
  readonly conflictRetries?: number
  /**
   * How long `submit` keeps trying while the gateway finds no set of peers that satisfies the endorsement policy
   * (`no combination of peers can be derived`), in milliseconds (default 10,000; 0: no retry). Right after a
   * chaincode definition is committed, or a peer joins, discovery needs a few seconds to learn it.
   */
  readonly endorsersWaitMs?: number
  /**
   * The most chunk bytes one `storePayload` transaction may carry (default: core's 2 MiB). A batch of B bytes
   * makes an envelope of about 2.4 x B (base64 arguments plus the write set): keep it under the channel's
   * `BatchSize.AbsoluteMaxBytes`, e.g. `Math.floor(absoluteMaxBytes / 2.5)`.
   */
  readonly maxPayloadBatchBytes?: number
  /**
   * How long `readEvents` waits for the next block of events before it concludes that the blocks up to the chain
   * head hold none (default 250 ms). Only reached when the last blocks carry no Datapact event.
   */
  readonly eventIdleTimeoutMs?: number
}

/** Options of {@link FabricLedger.subscribe}. */
export interface SubscribeOptions {
  /**
   * Deliver the events after this cursor (from `readEvents`), then live ones: a gap-free continuation. `null` means
   * from the first event. Absent: from the chain height when the subscription starts.
   */
  readonly after?: string | null
  /** Called when the event stream fails; the subscription reconnects by itself until unsubscribed. */
  readonly onError?: (error: DatapactError) => void
}

const MiB = 1024 * 1024

/**
 * gRPC channel options for a client of a Fabric peer: a peer accepts and sends up to 100 MiB, grpc-js stops at
 * 4 MiB by default, and Datapact's payload reads return several MiB. `FabricLedger` uses them for the connection it
 * makes from `peerEndpoint`; add them to a `grpc.Client` you pass as `client`.
 */
export const grpcMessageLimits = {
  'grpc.max_receive_message_length': 100 * MiB,
  'grpc.max_send_message_length': 100 * MiB,
} as const
const chaincodeEventsMethod = '/gateway.Gateway/ChaincodeEvents'
const queryChaincode = 'qscc'
const reconnectDelayMs = 250
const cursorPattern = /^(\d{16}):(\d{9})$/

/** A position in the event history: the block and the index of the event among the block's Datapact events. */
interface Position {
  readonly block: number
  readonly index: number
}

const formatCursor = ({ block, index }: Position) =>
  `${String(block).padStart(16, '0')}:${String(index).padStart(9, '0')}`

function parseCursor(cursor: string | null | undefined): Position | undefined {
  if (cursor === null || cursor === undefined) return undefined
  const match = typeof cursor === 'string' ? cursorPattern.exec(cursor) : null
  if (!match)
    throw new DatapactError('INVALID_INPUT', '"after" must be a cursor returned by readEvents', {
      details: { argument: 'after' },
    })
  return { block: Number(match[1]), index: Number(match[2]) }
}

const OPTION_KEYS = [
  'peerEndpoint',
  'tlsRootCert',
  'hostAlias',
  'grpcOptions',
  'client',
  'mspId',
  'certificatePem',
  'privateKeyPem',
  'channel',
  'chaincode',
  'timeouts',
  'conflictRetries',
  'eventIdleTimeoutMs',
  'signer',
  'tlsClientCertificate',
  'tlsClientKey',
  'maxPayloadBatchBytes',
  'endorsersWaitMs',
]
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * The constructor's options, read once into a plain copy: a plain object whose own known keys are read once (a getter
 * or Proxy trap that throws is INVALID_INPUT), strings well-formed, `timeouts` a plain object of positive integers.
 */
function readOptions(given: unknown): FabricLedgerOptions {
  const out: Record<string, unknown> = {}
  try {
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      throw invalid('options', 'FabricLedgerOptions')
    const proto = Object.getPrototypeOf(given)
    if (proto !== Object.prototype && proto !== null) throw invalid('options', 'a plain FabricLedgerOptions object')
    // Other keys are ignored (options are often spread from a larger identity object), and never read.
    for (const k of OPTION_KEYS) {
      if (!Object.hasOwn(given, k)) continue
      const v = (given as Record<string, unknown>)[k]
      if (typeof v === 'string' && LONE_SURROGATE.test(v)) throw invalid(`options.${k}`, 'well-formed text')
      if (v !== undefined) out[k] = v
    }
    if (out.timeouts !== undefined) {
      const t = out.timeouts
      if (typeof t !== 'object' || t === null || Object.getPrototypeOf(t) !== Object.prototype)
        throw invalid('options.timeouts', 'an object of milliseconds')
      const copy: Record<string, number> = {}
      for (const k of Reflect.ownKeys(t)) {
        const ms = (t as Record<string | symbol, unknown>)[k]
        if (typeof k !== 'string' || !['evaluate', 'endorse', 'submit', 'commitStatus'].includes(k))
          throw invalid('options.timeouts', 'only evaluate, endorse, submit, commitStatus')
        if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 1)
          throw invalid(`options.timeouts.${k}`, 'an integer >= 1 (milliseconds)')
        copy[k] = ms
      }
      out.timeouts = copy
    }
    if (out.client !== undefined && !(out.client instanceof grpc.Client))
      throw invalid('options.client', 'a grpc.Client')
    if (out.grpcOptions !== undefined && (typeof out.grpcOptions !== 'object' || out.grpcOptions === null))
      throw invalid('options.grpcOptions', 'gRPC channel options')
    if (
      out.tlsRootCert !== undefined &&
      typeof out.tlsRootCert !== 'string' &&
      !(out.tlsRootCert instanceof Uint8Array)
    )
      throw invalid('options.tlsRootCert', 'a PEM string or bytes')
    if (out.hostAlias !== undefined && typeof out.hostAlias !== 'string') throw invalid('options.hostAlias', 'a string')
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalid('options', 'FabricLedgerOptions that can be read')
  }
  return out as unknown as FabricLedgerOptions
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')
const delay = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

const invalid = (argument: string, expected: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}`, { details: { argument, expected } })

/**
 * A Datapact ledger on Hyperledger Fabric: a connection, as one member, to a channel where the Datapact chaincode
 * runs, through the Fabric Gateway (`@hyperledger/fabric-gateway`).
 *
 * - `submit` endorses, orders and waits for the commit; the events come back in the chaincode's result. A write
 *   invalidated by an MVCC or phantom read conflict had no effect, so it is submitted again (up to
 *   `conflictRetries` times): the rules then run on the newer state and refuse what no longer holds.
 * - `query` evaluates on the gateway peer.
 * - `readEvents` reads the `datapact` chaincode events with cursors `<block>:<index>`; `subscribe` follows them live.
 * - The member id is `<mspId>/<CN>` of the certificate, computed as the chaincode does (see {@link memberIdOf}).
 *
 * @example
 * ```ts
 * const ledger = new FabricLedger({
 *   peerEndpoint: 'localhost:7051', tlsRootCert: readFileSync('tlsca.pem'), hostAlias: 'peer0.org1.example.com',
 *   mspId: 'Org1MSP', certificatePem, privateKeyPem, channel: 'mychannel', chaincode: 'datapact',
 * })
 * const alice = await Datapact.open({ ledger, keys })
 * ```
 */
export class FabricLedger implements LedgerAdapter {
  readonly kind = 'fabric'
  /** `<mspId>/<CN>` of this connection's certificate. */
  readonly memberId: MemberId
  /** The most chunk bytes per `storePayload` transaction, when set in the options (core's default otherwise). */
  readonly maxPayloadBatchBytes?: number
  readonly #client: grpc.Client
  readonly #ownsClient: boolean
  readonly #gateway: Gateway
  readonly #network: Network
  readonly #contract: Contract
  readonly #qscc: Contract
  readonly #signer: Signer
  readonly #channel: string
  readonly #mspId: string
  readonly #chaincode: string
  readonly #conflictRetries: number
  readonly #endorsersWaitMs: number
  readonly #idleMs: number
  readonly #streams = new Set<grpc.ClientReadableStream<unknown>>()
  readonly #subscriptions = new Set<() => void>()
  #closed = false

  /**
   * Connects as the member whose certificate and key are given. No network call is made until the first use.
   *
   * @param given - endpoint or gRPC client, identity, channel and chaincode
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for a missing option, a certificate without a usable CN, a key
   *   that does not match the certificate, both or neither of `privateKeyPem` and `signer`, or half a mutual TLS
   *   pair
   */
  constructor(given: FabricLedgerOptions) {
    const options = readOptions(given)
    for (const name of ['mspId', 'certificatePem', 'channel', 'chaincode'] as const)
      if (typeof options[name] !== 'string' || options[name].length === 0)
        throw invalid(`options.${name}`, 'a non-empty string')
    if ((options.privateKeyPem === undefined) === (options.signer === undefined))
      throw invalid('options.privateKeyPem', 'a PEM private key, or else options.signer (exactly one of the two)')
    if (options.signer !== undefined && typeof options.signer !== 'function')
      throw invalid('options.signer', 'a fabric-gateway Signer (digest => Promise<signature>)')
    if (options.privateKeyPem !== undefined && (typeof options.privateKeyPem !== 'string' || !options.privateKeyPem))
      throw invalid('options.privateKeyPem', 'a non-empty string')
    if (!options.client && typeof options.peerEndpoint !== 'string')
      throw invalid('options.peerEndpoint', 'host:port (or give options.client)')
    if ((options.tlsClientCertificate === undefined) !== (options.tlsClientKey === undefined))
      throw invalid('options.tlsClientCertificate', 'given together with options.tlsClientKey (mutual TLS)')
    if (options.tlsClientCertificate !== undefined && options.tlsRootCert === undefined)
      throw invalid('options.tlsRootCert', "the peer's TLS CA certificate (mutual TLS needs TLS)")
    try {
      this.memberId = memberIdOf(options.mspId, options.certificatePem)
    } catch (error) {
      if (!(error instanceof MemberIdError)) throw error
      throw new DatapactError('INVALID_INPUT', `"options.certificatePem" gives no member id: ${error.message}`, {
        details: { argument: 'options.certificatePem' },
        cause: error,
      })
    }
    this.#signer =
      options.signer ?? signers.newPrivateKeySigner(checkedKey(options.privateKeyPem!, options.certificatePem))
    this.#channel = options.channel
    this.#mspId = options.mspId
    this.#chaincode = options.chaincode
    this.#conflictRetries = options.conflictRetries ?? 2
    this.#endorsersWaitMs = options.endorsersWaitMs ?? 10_000
    if (!Number.isSafeInteger(this.#endorsersWaitMs) || this.#endorsersWaitMs < 0)
      throw invalid('options.endorsersWaitMs', 'an integer >= 0 (milliseconds)')
    if (options.maxPayloadBatchBytes !== undefined) {
      if (!Number.isSafeInteger(options.maxPayloadBatchBytes) || options.maxPayloadBatchBytes < 2048)
        throw invalid('options.maxPayloadBatchBytes', 'an integer >= 2048 (bytes)')
      this.maxPayloadBatchBytes = options.maxPayloadBatchBytes
    }
    this.#idleMs = options.eventIdleTimeoutMs ?? 250
    if (!Number.isSafeInteger(this.#conflictRetries) || this.#conflictRetries < 0)
      throw invalid('options.conflictRetries', 'an integer >= 0')
    if (!Number.isSafeInteger(this.#idleMs) || this.#idleMs < 1)
      throw invalid('options.eventIdleTimeoutMs', 'an integer >= 1 (milliseconds)')
    this.#ownsClient = !options.client
    this.#client = options.client ?? newClient(options)
    const timeouts = { evaluate: 30_000, endorse: 30_000, submit: 30_000, commitStatus: 60_000, ...options.timeouts }
    const deadline = (ms: number) => () => ({ deadline: Date.now() + ms })
    this.#gateway = connect({
      client: this.#client,
      identity: { mspId: options.mspId, credentials: new TextEncoder().encode(options.certificatePem) },
      signer: this.#signer,
      evaluateOptions: deadline(timeouts.evaluate),
      endorseOptions: deadline(timeouts.endorse),
      submitOptions: deadline(timeouts.submit),
      commitStatusOptions: deadline(timeouts.commitStatus),
    })
    this.#network = this.#gateway.getNetwork(options.channel)
    this.#contract = this.#network.getContract(options.chaincode)
    this.#qscc = this.#network.getContract(queryChaincode)
  }

  /**
   * Submits a write rule as a Fabric transaction and waits until it is committed.
   *
   * @param rule - the write rule, e.g. `grantAccess`
   * @param args - its arguments
   * @returns the transaction id and the events it emitted
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for bad arguments (checked before anything is sent); the rule's code
   *   when the chaincode refuses; CONFLICT when MVCC conflicts persist after the retries; LEDGER_UNAVAILABLE when
   *   the peer cannot be reached, the chaincode service cannot be reached, or no set of peers satisfies the
   *   endorsement policy within `endorsersWaitMs` (or the commit status could not be read: then the transaction
   *   may still commit, and the error carries its `transactionId`); ACCESS_DENIED when the channel refuses the
   *   identity; INVALID_INPUT when the orderer refuses the transaction's size; CLOSED after `close()`
   */
  async submit<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): Promise<SubmitResult> {
    this.#open()
    if (!isWriteRule(rule)) throw invalid('rule', 'the name of a write rule')
    const argument = toBase64(encodeArgs(rule, args))
    const waitForEndorsersUntil = Date.now() + this.#endorsersWaitMs
    let conflicts = 0
    let endorserWaits = 0
    for (;;) {
      const outcome = await this.#submitOnce(rule, argument)
      if (!(outcome instanceof Retry)) return outcome
      if (outcome.reason === 'conflict') {
        if (conflicts++ >= this.#conflictRetries) throw outcome.error
        // The conflicting transaction had no effect: run the rule again on the newer state, a little apart from
        // whoever it raced with.
        await delay(5 + Math.random() * 20 * conflicts)
      } else {
        // Nothing was endorsed or ordered: wait for discovery (250 ms, doubling, at most 2 s apart).
        const pause = Math.min(250 * 2 ** endorserWaits++, 2000)
        if (Date.now() + pause > waitForEndorsersUntil) throw outcome.error
        await delay(pause)
      }
      this.#open()
    }
  }

  // Resolves with the result, or with a refusal that another try may cure; throws everything else.
  async #submitOnce(rule: WriteRuleName, argument: string): Promise<SubmitResult | Retry> {
    const operation = `submit ${rule}`
    // The transaction id is fixed by the proposal, before anything is sent: every failure from here names it.
    const proposal = this.#contract.newProposal(rule, { arguments: [argument] })
    const transactionId = proposal.getTransactionId()
    let noEndorsers: DatapactError | undefined
    const transaction = await proposal.endorse().catch((error: unknown) => {
      const mapped = toLedgerError(error, { operation, transactionId })
      if (!isNoEndorsersError(error)) return Promise.reject(mapped)
      // Nothing was endorsed: another proposal (another transaction id) may find endorsers.
      noEndorsers = mapped
      return undefined
    })
    if (!transaction) return new Retry('endorsers', noEndorsers!)
    const commit = await transaction
      .submit()
      .catch((error: unknown) =>
        Promise.reject(unknownOutcome(toLedgerError(error, { operation, transactionId }), transactionId)),
      )
    const status = await commit
      .getStatus()
      .catch((error: unknown) =>
        Promise.reject(unknownOutcome(toLedgerError(error, { operation, transactionId }), transactionId)),
      )
    if (!status.successful) {
      const error = toLedgerError(new CommitError({ code: status.code, transactionId, message: operation }), {
        operation,
        transactionId,
      })
      // Only a read conflict is worth another try: the transaction had no effect and the state has moved on.
      if (status.code === StatusCode.MVCC_READ_CONFLICT || status.code === StatusCode.PHANTOM_READ_CONFLICT)
        return new Retry('conflict', error)
      throw error
    }
    const bytes = fromBase64(text(commit.getResult()))
    return { txId: transactionId, events: this.#decode(() => decodeEvents(bytes ?? new Uint8Array()), operation) }
  }

  /**
   * Hands this member over to its next certificate, as an explicit ledger step. The chaincode pins a member id
   * to the key and NodeOU roles of the certificate of its first write; a certificate with the same MSP id and CN
   * but another key or role is refused (ACCESS_DENIED) until the pinned certificate names it here. Afterwards
   * connect with the new certificate and its key; this connection's certificate no longer acts as the member.
   *
   * @param certificatePem - the next certificate (PEM), same MSP id and CN as this one
   * @returns the transaction id, once committed
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when the certificate names another member or does not parse;
   *   ACCESS_DENIED when this connection's certificate is not the pinned one; LEDGER_UNAVAILABLE; CLOSED
   * @example
   * ```ts
   * await ledger.rotateCertificate(renewedCertificatePem)
   * const renewed = new FabricLedger({ ...options, certificatePem: renewedCertificatePem, privateKeyPem: newKeyPem })
   * ```
   */
  async rotateCertificate(certificatePem: string): Promise<{ txId: string }> {
    this.#open()
    let next: string
    try {
      next = memberIdOf(this.#mspId, certificatePem)
    } catch (error) {
      if (!(error instanceof MemberIdError)) throw error
      throw new DatapactError('INVALID_INPUT', `"certificatePem" gives no member id: ${error.message}`, {
        details: { argument: 'certificatePem' },
        cause: error,
      })
    }
    if (next !== this.memberId)
      throw new DatapactError('INVALID_INPUT', `"certificatePem" names ${next}, not ${this.memberId}`, {
        details: { argument: 'certificatePem' },
      })
    const operation = 'submit rotateFabricCertificate'
    const proposal = this.#contract.newProposal('rotateFabricCertificate', {
      arguments: [toBase64(new TextEncoder().encode(certificatePem))],
    })
    const transactionId = proposal.getTransactionId()
    const transaction = await proposal
      .endorse()
      .catch((error: unknown) => Promise.reject(toLedgerError(error, { operation, transactionId })))
    const lost = (error: unknown) =>
      Promise.reject(unknownOutcome(toLedgerError(error, { operation, transactionId }), transactionId))
    const commit = await transaction.submit().catch(lost)
    const status = await commit.getStatus().catch(lost)
    if (!status.successful)
      throw toLedgerError(new CommitError({ code: status.code, transactionId, message: operation }), {
        operation,
        transactionId,
      })
    return { txId: transactionId }
  }

  /**
   * Evaluates a query on the gateway peer (nothing is ordered or committed).
   *
   * @param name - the query, e.g. `getDataset`
   * @param args - its arguments
   * @returns the query's result
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for bad arguments; the query's code; LEDGER_UNAVAILABLE; CLOSED
   */
  async query<N extends QueryName>(name: N, args: QueryArgs[N]): Promise<QueryResults[N]> {
    this.#open()
    if (!isQuery(name)) throw invalid('name', 'the name of a query')
    const argument = toBase64(encodeArgs(name, args))
    const operation = `query ${name}`
    const result = await this.#contract
      .evaluate(name, { arguments: [argument] })
      .catch((error: unknown) => Promise.reject(toLedgerError(error, { operation })))
    const bytes = fromBase64(text(result))
    return this.#decode(() => decodeResult(name, bytes ?? new Uint8Array()), operation) as QueryResults[N]
  }

  /**
   * The channel's block height (blocks committed, genesis included) from the query system chaincode
   * (`qscc GetChainInfo`) on the gateway peer.
   *
   * @returns the height
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE; ACCESS_DENIED when the identity may not read the channel; CLOSED
   */
  async blockHeight(): Promise<number> {
    this.#open()
    const result = await this.#qscc
      .evaluate('GetChainInfo', { arguments: [this.#channel] })
      .catch((error: unknown) => Promise.reject(toLedgerError(error, { operation: 'read the chain height' })))
    return this.#decode(() => common.BlockchainInfo.deserializeBinary(result).getHeight(), 'read the chain height')
  }

  /**
   * Reads committed events in ledger order: those after the cursor `after` (from the first when absent), at most
   * `limit` (default 10,000).
   *
   * How it finds the end: it reads the chain height H with `qscc GetChainInfo`, then streams the chaincode events
   * from the cursor's block and stops at the first of: `limit` events, the events of block H - 1 (the head), an
   * event from a block at or past H, or `eventIdleTimeoutMs` without a block (when the last blocks hold no
   * Datapact event, the stream has nothing to say about them).
   *
   * @param options - `after`: a cursor from an earlier page; `limit`: the most events to return
   * @returns the events and the cursor to pass as `after` next (unchanged when the page is empty)
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for a malformed cursor or limit; INTEGRITY for an event payload
   *   that does not decode; LEDGER_UNAVAILABLE; CLOSED
   */
  async readEvents(options?: { after?: string | null; limit?: number }): Promise<EventPage> {
    this.#open()
    const checked = checkReadEventsOptions(options)
    const after = parseCursor(checked.after)
    const limit = checked.limit
    const page: EventPage = { events: [], cursor: checked.after }
    const head = (await this.blockHeight()) - 1
    // Block 0 is the genesis (configuration) block: never a chaincode event in it.
    if (head < 1 || (after && after.block > head)) return page
    const stream = await this.#openEvents(after?.block ?? 0)
    return new Promise<EventPage>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined
      let done = false
      const finish = (error?: DatapactError) => {
        if (done) return
        done = true
        clearTimeout(idle)
        this.#cancel(stream)
        if (error) reject(error)
        else resolve(page)
      }
      const armIdle = () => {
        clearTimeout(idle)
        idle = setTimeout(() => finish(), this.#idleMs)
      }
      stream.on('data', (response: gatewayProtos.ChaincodeEventsResponse) => {
        if (done) return
        const block = Number(response.getBlockNumber())
        if (block > head) return finish()
        try {
          for (const record of this.#records(response, after)) {
            page.events.push(record)
            page.cursor = record.cursor
            if (page.events.length === limit) return finish()
          }
        } catch (error) {
          return finish(error as DatapactError)
        }
        if (block === head) return finish()
        armIdle()
      })
      stream.on('error', (error: unknown) => {
        if (this.#closed) return finish(this.#closedError())
        finish(toLedgerError(error, { operation: 'read events' }))
      })
      stream.on('end', () => finish())
      armIdle()
    })
  }

  /**
   * Calls `listener` for every Datapact event committed from now on (or after `options.after`), in ledger order.
   * The stream reconnects by itself after a failure and resumes where it stopped.
   *
   * Without `after`, the subscription starts at the chain height read when it opens, one round trip after this
   * call: an event committed within that round trip can be missed. For a gap-free feed, read with `readEvents`
   * and pass its cursor as `after`.
   *
   * @param listener - called once per event; its exceptions are ignored
   * @param options - where to start, and an error callback
   * @returns a function that ends the subscription
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for a malformed cursor; CLOSED
   */
  subscribe(listener: (event: LedgerEventRecord) => void, options?: SubscribeOptions): () => void {
    return subscribeSafely(listener, options, checked => this.#follow(checked))
  }

  #follow({ listener, after, onError }: CheckedSubscription): () => void {
    this.#open()
    let position = parseCursor(after)
    let startBlock = after === null ? 0 : position?.block
    let stream: grpc.ClientReadableStream<unknown> | undefined
    let active = true
    const stop = () => {
      active = false
      if (stream) this.#cancel(stream)
      this.#subscriptions.delete(stop)
    }
    this.#subscriptions.add(stop)
    const follow = async () => {
      while (active && !this.#closed) {
        try {
          startBlock ??= await this.blockHeight()
          if (!active) return
          stream = await this.#openEvents(position?.block ?? startBlock)
          if (!active) return this.#cancel(stream)
          await new Promise<void>((resolve, reject) => {
            stream!.on('data', (response: gatewayProtos.ChaincodeEventsResponse) => {
              if (!active) return
              try {
                for (const record of this.#records(response, position)) {
                  position = parseCursor(record.cursor)
                  listener(record)
                }
              } catch (error) {
                reject(error)
              }
            })
            stream!.on('error', reject)
            stream!.on('end', resolve)
          })
        } catch (error) {
          if (!active || this.#closed) return
          onError(toLedgerError(error, { operation: 'follow events' }))
        }
        if (stream) this.#cancel(stream)
        await delay(reconnectDelayMs)
      }
    }
    void follow()
    return stop
  }

  /**
   * Closes the connection: ends subscriptions and event reads, closes the gateway and the gRPC client this
   * connection created (not one it was given). Later calls reject with CLOSED. The ledger carries on.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const stop of [...this.#subscriptions]) stop()
    for (const stream of [...this.#streams]) this.#cancel(stream)
    this.#gateway.close()
    if (this.#ownsClient) this.#client.close()
  }

  #open(): void {
    if (this.#closed) throw this.#closedError()
  }

  #closedError(): LedgerError {
    return new LedgerError('CLOSED', `the Fabric connection of ${this.memberId} is closed`, { ledger: 'fabric' })
  }

  // The gateway's chaincode event stream, read raw (one message per block, with its block number) so that a reader
  // knows where each block ends; the request is built and signed by the gateway client as usual.
  async #openEvents(startBlock: number): Promise<grpc.ClientReadableStream<gatewayProtos.ChaincodeEventsResponse>> {
    const unsigned: ChaincodeEventsRequest = this.#network.newChaincodeEventsRequest(this.#chaincode, {
      startBlock: BigInt(startBlock),
    })
    const signature = await this.#signer(unsigned.getDigest())
    const signed = this.#gateway.newSignedChaincodeEventsRequest(unsigned.getBytes(), signature)
    this.#open()
    const stream = this.#client.makeServerStreamRequest(
      chaincodeEventsMethod,
      (request: gatewayProtos.SignedChaincodeEventsRequest) => Buffer.from(request.serializeBinary()),
      (bytes: Buffer) => gatewayProtos.ChaincodeEventsResponse.deserializeBinary(bytes),
      gatewayProtos.SignedChaincodeEventsRequest.deserializeBinary(signed.getBytes()),
    )
    // A cancelled stream reports CANCELLED; nobody listens then.
    stream.on('error', () => {})
    this.#streams.add(stream)
    stream.once('close', () => this.#streams.delete(stream))
    return stream
  }

  #cancel(stream: grpc.ClientReadableStream<unknown>): void {
    this.#streams.delete(stream)
    stream.cancel()
  }

  // The event records of one block, numbered across the block's Datapact events, skipping those up to `after`.
  *#records(
    response: gatewayProtos.ChaincodeEventsResponse,
    after: Position | undefined,
  ): Generator<LedgerEventRecord> {
    const block = Number(response.getBlockNumber())
    let index = 0
    for (const event of response.getEventsList()) {
      if (event.getChaincodeId() !== this.#chaincode || event.getEventName() !== eventName) continue
      const payload = this.#decode(() => decodeEventPayload(event.getPayload_asU8()), 'read events')
      for (const ledgerEvent of payload.events) {
        const position = { block, index: index++ }
        if (after && (block < after.block || (block === after.block && position.index <= after.index))) continue
        yield {
          cursor: formatCursor(position),
          txId: event.getTxId(),
          at: payload.at,
          caller: payload.caller,
          event: ledgerEvent,
        }
      }
    }
  }

  // What the peer returned must decode; if it does not, the ledger (or the chaincode version) is not what we expect.
  #decode<T>(run: () => T, operation: string): T {
    try {
      return run()
    } catch (cause) {
      throw new LedgerError('INTEGRITY', `${operation}: the Fabric peer returned bytes that do not decode`, {
        ledger: 'fabric',
        cause,
      })
    }
  }
}

/** A refusal of a submit that had no effect on the ledger, and that another try may cure. */
class Retry {
  constructor(
    readonly reason: 'conflict' | 'endorsers',
    readonly error: DatapactError,
  ) {}
}

function newClient(options: FabricLedgerOptions): grpc.Client {
  const pem = (value: string | Uint8Array | undefined) => (value === undefined ? null : Buffer.from(value))
  let credentials: grpc.ChannelCredentials
  try {
    credentials = options.tlsRootCert
      ? grpc.credentials.createSsl(
          pem(options.tlsRootCert),
          pem(options.tlsClientKey),
          pem(options.tlsClientCertificate),
        )
      : grpc.credentials.createInsecure()
  } catch (cause) {
    throw new DatapactError('INVALID_INPUT', '"options.tlsRootCert" and the client TLS pair must be PEM', {
      details: { argument: 'options.tlsRootCert' },
      cause,
    })
  }
  return new grpc.Client(options.peerEndpoint!, credentials, {
    ...grpcMessageLimits,
    ...(options.hostAlias && { 'grpc.ssl_target_name_override': options.hostAlias }),
    ...options.grpcOptions,
  })
}

function checkedKey(privateKeyPem: string, certificatePem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (cause) {
    throw new DatapactError('INVALID_INPUT', '"options.privateKeyPem" is not a PEM private key', {
      details: { argument: 'options.privateKeyPem' },
      cause,
    })
  }
  const fromKey = createPublicKey(key).export({ format: 'der', type: 'spki' })
  const fromCertificate = new X509Certificate(certificatePem).publicKey.export({ format: 'der', type: 'spki' })
  if (!fromKey.equals(fromCertificate))
    throw new DatapactError('INVALID_INPUT', '"options.privateKeyPem" does not match the certificate', {
      details: { argument: 'options.privateKeyPem' },
    })
  return key
}
