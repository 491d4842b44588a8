/**
 * The JSON-RPC side of the EVM ledger: one provider per node connection, one nonce-managed sender per signer,
 * receipts polled directly (no ethers event machinery), failures mapped onto core's codes.
 */
import { Buffer } from 'node:buffer'
import { LedgerError } from '@datapact/core'
import {
  BaseWallet,
  FetchRequest,
  Interface,
  type JsonRpcPayload,
  JsonRpcProvider,
  type JsonRpcResult,
  Network,
  type Signer,
  toBeHex,
} from 'ethers'
import { decodeView, type ViewName, type ViewResult } from './abi.js'
import { isUnavailable, toLedgerError } from './errors.js'
import { datapactAbi } from './generated/datapact.js'
import { signTransaction, type TransactionFees, type TransactionFields } from './transaction.js'

/** A log as JSON-RPC returns it. */
export interface RpcLog {
  address: string
  topics: string[]
  data: string
  blockNumber: string
  transactionHash: string
  logIndex: string
  /** Hash of the block the log is in (a reorganised block has another). */
  blockHash?: string
  /** Block timestamp; Anvil and recent Geth include it, other nodes may not. */
  blockTimestamp?: string
}

/** A receipt as JSON-RPC returns it (the fields used). */
export interface RpcReceipt {
  transactionHash: string
  blockNumber: string
  status: string
  gasUsed: string
  contractAddress: string | null
  logs: RpcLog[]
}

/** Options shared by every connection to one node. */
export interface ChainOptions {
  /** Blocks a transaction must be buried under before `submit` resolves (1 = mined). Default 1. */
  confirmations?: number
  /** How often receipts and new events are polled, in ms. Default 250 (use ~20 on a local Anvil). */
  pollingInterval?: number
  /** Time limit of one JSON-RPC request and of waiting for a receipt, in ms. Default 30000 / 120000. */
  timeoutMs?: number
  /** Time limit of waiting for a transaction to be mined, in ms. Default 120000. */
  receiptTimeoutMs?: number
  /** Most blocks one `eth_getLogs` spans when reading events. Default 10000. */
  logRange?: number
  /**
   * Largest calldata one transaction may carry, in bytes; bigger calls are refused with INVALID_INPUT before
   * anything is sent. Default 512 KiB (a 30M-gas block holds about 700 KiB of calldata; Geth-family transaction
   * pools accept at most 128 KB, so lower it for such networks).
   */
  maxTransactionBytes?: number
}

/** The contract's interface (ABI), shared. */
export const datapactInterface = /* @__PURE__ */ new Interface(datapactAbi)

const hex = (n: number | bigint): string => toBeHex(n)
/** Most decoded events {@link Chain.decodedLog} keeps. */
const MAX_CACHED_EVENTS = 50_000
const REPLACED = Symbol('replaced')
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))
const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/**
 * A JSON-RPC provider whose request and response bodies go through the runtime's native UTF-8 coding: ethers' own
 * converts a body character by character in JS, tens of ms for a usage batch or a page of logs (hundreds of KiB of
 * hex). Everything else (batching, errors, timeouts) is ethers'.
 */
class NodeJsonRpcProvider extends JsonRpcProvider {
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection()
    request.body = Buffer.from(JSON.stringify(payload), 'utf8')
    request.setHeader('content-type', 'application/json')
    const response = await request.send()
    let body: unknown
    try {
      body = JSON.parse(utf8.decode(response.body ?? new Uint8Array(0)))
    } catch {
      body = undefined
    }
    // Some gateways carry a JSON-RPC error (such as "method not found") with an HTTP 4xx status: that is the node's
    // answer, and reading it as one lets the caller fall back (eth_estimateGas where eth_simulateV1 is missing).
    // Any other failed status (a 429 after ethers' own retries, a 5xx, a 4xx page) stays ethers' error.
    const status = response.statusCode
    if (!(status >= 400 && status < 500 && status !== 429 && isRpcAnswer(body))) response.assertOk()
    if (body === undefined) body = response.bodyJson // not UTF-8 JSON: ethers' own error
    return (Array.isArray(body) ? body : [body]) as JsonRpcResult[]
  }
}

/** Whether a response body is JSON-RPC answers: one, or a non-empty array, each with an id and a result or an error. */
function isRpcAnswer(body: unknown): boolean {
  const one = (a: unknown) =>
    typeof a === 'object' && a !== null && 'id' in a && ('result' in a || ('error' in a && typeof a.error === 'object'))
  return Array.isArray(body) ? body.length > 0 && body.every(one) : one(body)
}

/**
 * Opens a provider on `rpcUrl` bound to the chain it reports (so a node that is down later fails fast instead of
 * being re-detected forever).
 */
export async function openProvider(rpcUrl: string, options: ChainOptions): Promise<JsonRpcProvider> {
  const request = new FetchRequest(rpcUrl)
  request.timeout = options.timeoutMs ?? 30_000
  let chainId: bigint
  try {
    const probe = request.clone()
    probe.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
    probe.setHeader('content-type', 'application/json')
    const response = await probe.send()
    response.assertOk()
    chainId = BigInt((response.bodyJson as { result: string }).result)
  } catch (cause) {
    throw new LedgerError('LEDGER_UNAVAILABLE', `the EVM node at ${redact(rpcUrl)} cannot be reached`, {
      ledger: 'evm',
      cause,
    })
  }
  return new NodeJsonRpcProvider(request, undefined, {
    staticNetwork: Network.from(chainId),
    batchStallTime: 1,
    pollingInterval: options.pollingInterval ?? 250,
  })
}

/** The URL without credentials, for messages. */
export const redact = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@')

/** How long our nonce must stay mined without our receipt before the transaction counts as replaced. */
const REPLACEMENT_GRACE_MS = 3000

/**
 * A LEDGER_UNAVAILABLE after a transaction was (maybe) sent: the outcome is unknown, so the error names the
 * transaction and says so (`details.outcome: 'unknown'`); a retry must use the same identifiers (usage nonces) so
 * that it records once. Other errors pass through.
 */
function unknownOutcome(e: unknown, hash: string, operation: string): unknown {
  if (!(e instanceof LedgerError) || e.code !== 'LEDGER_UNAVAILABLE' || e.transactionId !== undefined) return e
  return new LedgerError(
    'LEDGER_UNAVAILABLE',
    `the node stopped answering after transaction ${hash} was sent (${operation}): it may or may not be committed; ` +
      'retry with the same identifiers (usage nonces) to record it once',
    { ledger: 'evm', transactionId: hash, details: { ...e.details, operation, outcome: 'unknown' }, cause: e },
  )
}

/** A node connection shared by every member connection made from one deploy/attach: caches, senders, settings. */
export class Chain {
  readonly provider: JsonRpcProvider
  readonly ownsProvider: boolean
  readonly confirmations: number
  readonly pollingInterval: number
  readonly receiptTimeoutMs: number
  readonly logRange: number
  readonly maxTransactionBytes: number
  readonly iface = datapactInterface
  /** Highest block this process has seen committed (subscriptions start after it). */
  head = 0
  /** Fee fields of the last few transactions, refreshed every second. */
  fees: Fees | undefined
  /** Whether the node runs `eth_simulateV1` (unknown until the first send; false once it refused it). */
  simulates: boolean | undefined
  #chainId: bigint | undefined
  readonly #senders = new Map<string, Sender>()
  readonly #timestamps = new Map<number, number>()
  readonly #decoded = new Map<string, { events: readonly unknown[] }>()
  #decodedEvents = 0
  #refs = 0

  constructor(provider: JsonRpcProvider, ownsProvider: boolean, options: ChainOptions) {
    this.provider = provider
    this.ownsProvider = ownsProvider
    this.confirmations = Math.max(1, options.confirmations ?? 1)
    this.pollingInterval = options.pollingInterval ?? 250
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 120_000
    this.logRange = options.logRange ?? 10_000
    this.maxTransactionBytes = options.maxTransactionBytes ?? 512 * 1024
  }

  /** One JSON-RPC request, failures mapped onto core's codes. */
  async rpc<T>(method: string, params: unknown[], operation = method): Promise<T> {
    try {
      return (await this.provider.send(method, params)) as T
    } catch (e) {
      throw toLedgerError(e, this.iface, operation)
    }
  }

  /** The sender for a signer (one per address, so concurrent submits share one nonce sequence). */
  sender(signer: Signer, address: string): Sender {
    let s = this.#senders.get(address)
    if (!s) {
      s = new Sender(this, signer, address)
      this.#senders.set(address, s)
    }
    return s
  }

  /** Block timestamps (seconds), fetched once per block. */
  async timestamps(blocks: number[]): Promise<Map<number, number>> {
    const missing = [...new Set(blocks)].filter(b => !this.#timestamps.has(b))
    const headers = await Promise.all(
      missing.map(b => this.rpc<{ timestamp: string }>('eth_getBlockByNumber', [hex(b), false], 'read block')),
    )
    missing.forEach((b, i) => {
      this.#timestamps.set(b, Number(headers[i]!.timestamp))
    })
    if (this.#timestamps.size > 100_000) this.#timestamps.clear()
    return new Map(blocks.map(b => [b, this.#timestamps.get(b) ?? 0]))
  }

  /** Calls a view function at `blockTag`; its result decoded into named fields. */
  async view<N extends ViewName>(
    address: string,
    fn: N,
    values: unknown[],
    blockTag: string = 'latest',
  ): Promise<ViewResult<N>> {
    const data = this.iface.encodeFunctionData(fn, values)
    const result = await this.rpc<string>('eth_call', [{ to: address, data }, blockTag], `read ${fn}`)
    try {
      return decodeView(fn, result)
    } catch (cause) {
      throw new LedgerError('INTERNAL', `the node returned a malformed result for ${fn}`, { ledger: 'evm', cause })
    }
  }

  /**
   * A log's decoded value, decoded once per (block hash, log index) for every connection to this node: `submit`
   * decodes its receipt's logs and a later `readEvents` over the same logs finds them here. Bounded: the oldest
   * entries go first once more than `MAX_CACHED_EVENTS` events are held.
   */
  decodedLog<T extends { events: readonly unknown[] }>(log: RpcLog, decode: (log: RpcLog) => T): T {
    if (!log.blockHash) return decode(log)
    const key = `${log.blockHash}:${log.logIndex}`
    const hit = this.#decoded.get(key) as T | undefined
    if (hit) return hit
    const value = decode(log)
    this.#decoded.set(key, value)
    this.#decodedEvents += value.events.length
    for (const [k, v] of this.#decoded) {
      if (this.#decodedEvents <= MAX_CACHED_EVENTS) break
      this.#decoded.delete(k)
      this.#decodedEvents -= v.events.length
    }
    return value
  }

  /** Chain id, asked once. */
  async chainId(): Promise<bigint> {
    this.#chainId ??= BigInt(await this.rpc<string>('eth_chainId', [], 'read chain id'))
    return this.#chainId
  }

  /** Remembers a block timestamp learnt from a log. */
  learnTimestamp(block: number, timestamp: number): void {
    this.#timestamps.set(block, timestamp)
  }

  seen(block: number): void {
    if (block > this.head) this.head = block
  }

  retain(): void {
    this.#refs++
  }

  release(): void {
    if (--this.#refs <= 0 && this.ownsProvider) this.provider.destroy()
  }
}

interface Fees {
  at: number
  blockGasLimit: bigint
  fields: TransactionFees
}

/**
 * Sends one signer's transactions: runs the call first (a revert is reported before anything is sent), assigns
 * nonces in order under a lock, signs locally when the signer is a wallet, then waits for the receipt outside the
 * lock so concurrent submits pipeline.
 */
export class Sender {
  readonly #chain: Chain
  readonly #signer: Signer
  readonly address: string
  #nonce: number | null = null
  #lock: Promise<unknown> = Promise.resolve()

  constructor(chain: Chain, signer: Signer, address: string) {
    this.#chain = chain
    this.#signer = signer
    this.address = address
  }

  /**
   * Sends a transaction and waits until it is mined (and buried under the configured confirmations).
   *
   * @param to - Contract address, or null to deploy `data`.
   * @param data - Calldata (or creation code).
   * @param operation - Rule name, for messages.
   * @returns The receipt of the successful transaction.
   * @throws {@link LedgerError} with the code of the contract's revert, LEDGER_UNAVAILABLE, or INTERNAL.
   */
  async send(to: string | null, data: string, operation: string): Promise<RpcReceipt> {
    const size = (data.length - 2) / 2
    if (size > this.#chain.maxTransactionBytes)
      throw new LedgerError(
        'INVALID_INPUT',
        `${operation} needs ${size} bytes of calldata; one transaction on this ledger carries at most ` +
          `${this.#chain.maxTransactionBytes} (send smaller batches, or keep the payload in an external store)`,
        { ledger: 'evm', details: { argument: 'args', bytes: size, max: this.#chain.maxTransactionBytes } },
      )
    for (let resend = 0; ; resend++) {
      const sent = await this.#serialised(() => this.#sendOne(to, data, operation))
      let receipt: RpcReceipt | typeof REPLACED
      try {
        receipt = await this.#receipt(sent.hash, sent.nonce, operation)
      } catch (e) {
        // The transaction may be lost (a restarted node forgets its pool): count nonces from the node again.
        this.#nonce = null
        throw unknownOutcome(e, sent.hash, operation)
      }
      if (receipt === REPLACED) {
        // Another client of the same key used this nonce: ours can never be mined, so sending again is safe.
        this.#nonce = null
        if (resend < 3) continue
        throw new LedgerError('CONFLICT', `transaction ${sent.hash} was replaced by another of the same sender`, {
          ledger: 'evm',
          transactionId: sent.hash,
          details: { operation },
        })
      }
      if (Number(receipt.status) !== 1)
        await this.#explainRevert(receipt, { to, data, gasLimit: sent.gasLimit }, operation)
      return receipt
    }
  }

  /**
   * Runs the call (a revert is reported here, before anything is sent), then signs and broadcasts with the next
   * nonce.
   */
  async #sendOne(to: string | null, data: string, operation: string) {
    const call = { from: this.address, ...(to === null ? {} : { to }), data }
    // One round trip: the gas (whose run reports a refusal), the fees and, when unknown, the nonce together.
    const [wanted, firstFees, firstNonce]: [bigint, Fees, number] = await Promise.all([
      this.#gasLimit(call, operation),
      this.#fees(operation),
      this.#nonce ?? this.#pendingNonce(operation),
    ])
    for (let attempt = 0; ; attempt++) {
      const nonce = attempt === 0 ? firstNonce : (this.#nonce ?? (await this.#pendingNonce(operation)))
      try {
        const fees = attempt === 0 ? firstFees : await this.#fees(operation)
        const gasLimit = wanted < fees.blockGasLimit ? wanted : fees.blockGasLimit
        const hash = await this.#broadcast({ to, data, nonce, gasLimit, ...fees.fields })
        this.#nonce = nonce + 1
        return { hash, gasLimit, nonce }
      } catch (e) {
        this.#nonce = null
        if (isNonceRace(e)) {
          // Another client of the same key took this nonce: count again after a short, jittered pause.
          if (attempt < 10) {
            await sleep(5 + Math.random() * 20 * (attempt + 1))
            continue
          }
          throw new LedgerError('CONFLICT', `another client of ${this.address} keeps taking the same nonces`, {
            ledger: 'evm',
            details: { operation },
            cause: e,
          })
        }
        if (attempt < 3 && isFeeTooLow(e)) {
          this.#chain.fees = undefined
          continue
        }
        throw toLedgerError(e, this.#chain.iface, operation)
      }
    }
  }

  /**
   * The gas limit to send a call with. Where the node has `eth_simulateV1` (Anvil, Geth, Besu, ...) the call runs
   * once, and the limit is the gas it used plus a half (a refund returns up to a fifth of the gas a call needs, so
   * the gas used falls short of it by up to a quarter) plus 20,000: `eth_estimateGas` runs the call over and over in
   * a binary search, on Anvil 70 ms of a 1000-record usage batch that otherwise takes about 30. Elsewhere, and when
   * the simulation reverts (the estimate reports the refusal as the error the mapping reads), the estimate plus a
   * quarter plus 20,000.
   */
  async #gasLimit(call: { from: string; to?: string; data: string }, operation: string): Promise<bigint> {
    const chain = this.#chain
    // Deployments (rare) always estimate: Anvil's eth_simulateV1 refuses a call without `to`.
    if (chain.simulates !== false && call.to !== undefined) {
      let result: Array<{ calls?: Array<{ status?: string; gasUsed?: string }> }> | undefined
      try {
        result = await chain.provider.send('eth_simulateV1', [{ blockStateCalls: [{ calls: [call] }] }, 'latest'])
      } catch (e) {
        if (isUnavailable(e)) throw toLedgerError(e, chain.iface, operation)
      }
      const run = result?.[0]?.calls?.[0]
      if (run?.status === '0x1' && typeof run.gasUsed === 'string') {
        chain.simulates = true
        const used = BigInt(run.gasUsed)
        return used + used / 2n + 20_000n
      }
      // A node without the method (or an answer in another form) estimates from now on; a revert asks the estimate.
      if (run?.status !== '0x0') chain.simulates = false
    }
    const estimate = BigInt(await chain.rpc<string>('eth_estimateGas', [call], operation))
    return estimate + estimate / 4n + 20_000n
  }

  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task)
    this.#lock = run.catch(() => undefined)
    return run
  }

  async #pendingNonce(operation: string): Promise<number> {
    return Number(await this.#chain.rpc<string>('eth_getTransactionCount', [this.address, 'pending'], operation))
  }

  async #fees(operation: string): Promise<Fees> {
    const cached = this.#chain.fees
    if (cached && Date.now() - cached.at < 1000) return cached
    const [block, tip] = await Promise.all([
      this.#chain.rpc<{ baseFeePerGas?: string; gasLimit: string }>(
        'eth_getBlockByNumber',
        ['latest', false],
        operation,
      ),
      this.#chain.rpc<string>('eth_maxPriorityFeePerGas', [], operation).catch(() => '0x0'),
    ])
    let fields: Fees['fields']
    if (block.baseFeePerGas !== undefined) {
      const priority = BigInt(tip)
      fields = { type: 2, maxFeePerGas: BigInt(block.baseFeePerGas) * 2n + priority, maxPriorityFeePerGas: priority }
    } else {
      fields = { type: 0, gasPrice: BigInt(await this.#chain.rpc<string>('eth_gasPrice', [], operation)) }
    }
    this.#chain.fees = { at: Date.now(), blockGasLimit: BigInt(block.gasLimit), fields }
    return this.#chain.fees
  }

  async #broadcast(tx: TransactionFields): Promise<string> {
    const signer = this.#signer
    if (signer instanceof BaseWallet) {
      // Signed here, so its hash is known without the node: a send whose answer is lost is an unknown outcome that
      // names the transaction, never an anonymous failure.
      const signed = signTransaction(signer.signingKey, { ...tx, chainId: await this.#chain.chainId() })
      try {
        return await this.#chain.provider.send('eth_sendRawTransaction', [signed.raw])
      } catch (e) {
        if (isUnavailable(e)) throw unknownOutcome(toLedgerError(e, this.#chain.iface, 'send'), signed.hash, 'send')
        throw e
      }
    }
    return (await signer.sendTransaction(tx)).hash
  }

  async #receipt(hash: string, nonce: number, operation: string): Promise<RpcReceipt | typeof REPLACED> {
    const chain = this.#chain
    const deadline = Date.now() + chain.receiptTimeoutMs
    // When our nonce was first seen mined without our receipt; a loaded node can index a block's receipts after
    // its nonces, so only a lasting gap means another transaction took the nonce (resending a mined one would
    // apply it twice).
    let nonceMinedAt: number | undefined
    for (let poll = 1; ; poll++) {
      const receipt = await chain.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash], operation)
      if (receipt?.blockNumber) {
        const mined = Number(receipt.blockNumber)
        while (chain.confirmations > 1) {
          const head = Number(await chain.rpc<string>('eth_blockNumber', [], operation))
          if (head >= mined + chain.confirmations - 1) break
          if (Date.now() > deadline) throw this.#timeout(hash, operation)
          await sleep(chain.pollingInterval)
        }
        chain.seen(mined)
        return receipt
      }
      if (poll % 4 === 0) {
        // Mined nonces past ours and still no receipt, for longer than any node lags: another transaction with the
        // same nonce replaced it.
        const count = Number(await chain.rpc<string>('eth_getTransactionCount', [this.address, 'latest'], operation))
        if (count <= nonce) nonceMinedAt = undefined
        else if (!(await chain.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash], operation))) {
          nonceMinedAt ??= Date.now()
          if (Date.now() - nonceMinedAt >= REPLACEMENT_GRACE_MS) return REPLACED
        }
      }
      if (Date.now() > deadline) throw this.#timeout(hash, operation)
      await sleep(chain.pollingInterval)
    }
  }

  #timeout(hash: string, operation: string): LedgerError {
    return new LedgerError('LEDGER_UNAVAILABLE', `transaction ${hash} was not mined in time (${operation})`, {
      ledger: 'evm',
      transactionId: hash,
      details: { operation },
    })
  }

  /**
   * A mined transaction that reverted carries no reason: replay it on the state of its block to find one (the
   * usual case is a race with a transaction mined just before it).
   */
  async #explainRevert(
    receipt: RpcReceipt,
    tx: { to: string | null; data: string; gasLimit: bigint },
    operation: string,
  ): Promise<never> {
    const hash = receipt.transactionHash
    if (BigInt(receipt.gasUsed) >= tx.gasLimit)
      throw new LedgerError('INTERNAL', `transaction ${hash} ran out of gas (${operation})`, {
        ledger: 'evm',
        transactionId: hash,
        details: { operation, gasUsed: Number(receipt.gasUsed) },
      })
    const call = { from: this.address, ...(tx.to === null ? {} : { to: tx.to }), data: tx.data, gas: hex(tx.gasLimit) }
    try {
      await this.#chain.provider.send('eth_call', [call, receipt.blockNumber])
    } catch (e) {
      const mapped = toLedgerError(e, this.#chain.iface, operation, hash)
      if (!(mapped instanceof LedgerError) || mapped.code !== 'INTERNAL' || isUnavailable(e)) throw mapped
    }
    throw new LedgerError('CONFLICT', `transaction ${hash} reverted: a concurrent transaction changed the state`, {
      ledger: 'evm',
      transactionId: hash,
      details: { operation },
    })
  }
}

function isNonceRace(e: unknown): boolean {
  const o = e as { code?: string; message?: string }
  return (
    o?.code === 'NONCE_EXPIRED' ||
    o?.code === 'REPLACEMENT_UNDERPRICED' ||
    /nonce too low|already known|nonce has already been used/i.test(o?.message ?? '')
  )
}

function isFeeTooLow(e: unknown): boolean {
  return /max fee per gas less than block base fee|fee too low|underpriced/i.test((e as Error)?.message ?? '')
}
