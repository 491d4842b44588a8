import { createHash } from 'node:crypto'
import { peer } from '@hyperledger/fabric-protos'
import type { UnpackedTransaction } from './proposal.js'
import { type StateEntry, type ValidationCode, WorldState } from './worldState.js'

// The ledger (blocks, per-transaction validation codes, world state) and a solo orderer that cuts blocks. TEST utility.

/** A committed transaction as the ledger keeps it. */
export interface TransactionRecord {
  readonly txId: string
  readonly validationCode: ValidationCode
  /** TxReadWriteSet bytes; kept for valid transactions only (their writes are in the world state). */
  readonly results?: Uint8Array
  /** Serialised `peer.ChaincodeEvent`; kept for valid transactions only, as the gateway delivers only those. */
  readonly event?: Uint8Array
}

/** A committed block. Block 0 is the (empty) genesis block. */
export interface BlockRecord {
  readonly number: number
  readonly transactions: readonly TransactionRecord[]
}

/** Committed blocks; the world state is rebuilt from them. Plain data, safe for `structuredClone`. */
export type LedgerSnapshot = readonly BlockRecord[]

/** The commit status of a transaction. */
export interface TransactionStatus {
  readonly validationCode: ValidationCode
  readonly blockNumber: number
}

/** Blocks, transaction statuses and the world state of one channel. */
export class Ledger {
  readonly state = new WorldState()
  readonly #blocks: BlockRecord[] = []
  readonly #hashes: Uint8Array[] = []
  readonly #statuses = new Map<string, TransactionStatus>()
  readonly #listeners = new Set<(block: BlockRecord) => void>()

  constructor(snapshot: LedgerSnapshot = [{ number: 0, transactions: [] }]) {
    for (const block of structuredClone(snapshot)) this.#append(block)
  }

  get height(): number {
    return this.#blocks.length
  }

  block(number: number): BlockRecord | undefined {
    return this.#blocks[number]
  }

  /**
   * A stand-in for the block header hash (this ledger keeps no headers): SHA-256 over the previous block's hash,
   * the block number and its transaction ids and validation codes. Chained and deterministic, like the real one.
   */
  blockHash(number: number): Uint8Array {
    return this.#hashes[number] ?? new Uint8Array()
  }

  status(txId: string): TransactionStatus | undefined {
    return this.#statuses.get(txId)
  }

  snapshot(): LedgerSnapshot {
    return structuredClone(this.#blocks)
  }

  /** The committed entries of one namespace, in key order. */
  entries(namespace: string): StateEntry[] {
    return this.state.range(namespace, '', '')
  }

  /** Calls `listener` for every block committed from now on; returns the unsubscribe function. */
  onBlock(listener: (block: BlockRecord) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves with the status once the transaction is committed; `signal` abandons the wait. */
  waitForStatus(txId: string, signal: AbortSignal): Promise<TransactionStatus> {
    const known = this.status(txId)
    if (known) return Promise.resolve(known)
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const unsubscribe = this.onBlock(() => {
        const status = this.status(txId)
        if (status) done(() => resolve(status))
      })
      const abort = () => done(() => reject(signal.reason))
      const done = (settle: () => void) => {
        unsubscribe()
        signal.removeEventListener('abort', abort)
        settle()
      }
      signal.addEventListener('abort', abort)
    })
  }

  /**
   * Validates and commits transactions as the next block, in order, as a peer's committer does: duplicates,
   * endorsement check, then MVCC against the state including earlier valid transactions of the same block.
   */
  commit(transactions: readonly UnpackedTransaction[], endorsed: (tx: UnpackedTransaction) => boolean): BlockRecord {
    const number = this.height
    const seen = new Set<string>()
    const records = transactions.map((tx, txNum): TransactionRecord => {
      const results = tx.action.getResults_asU8()
      let validationCode: ValidationCode
      if (this.#statuses.has(tx.txId) || seen.has(tx.txId)) validationCode = peer.TxValidationCode.DUPLICATE_TXID
      else if (!endorsed(tx)) validationCode = peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE
      else validationCode = this.state.validate(results)
      seen.add(tx.txId)
      if (validationCode !== peer.TxValidationCode.VALID) return { txId: tx.txId, validationCode }
      this.state.applyWrites(results, { blockNum: number, txNum })
      const event = tx.action.getEvents_asU8()
      return { txId: tx.txId, validationCode, results, ...(event.length > 0 && { event }) }
    })
    const block = { number, transactions: records }
    this.#append(block, false)
    for (const listener of [...this.#listeners]) listener(block)
    return block
  }

  #append(block: BlockRecord, replay = true): void {
    this.#blocks.push(block)
    const hash = createHash('sha256')
      .update(this.#hashes.at(-1) ?? new Uint8Array())
      .update(String(block.number))
    for (const tx of block.transactions) hash.update(`:${tx.txId}/${tx.validationCode}`)
    this.#hashes.push(hash.digest())
    block.transactions.forEach((tx, txNum) => {
      // A duplicate keeps the status of the first transaction with its id.
      if (!this.#statuses.has(tx.txId)) {
        this.#statuses.set(tx.txId, { validationCode: tx.validationCode, blockNumber: block.number })
      }
      if (replay && tx.results) this.state.applyWrites(tx.results, { blockNum: block.number, txNum })
    })
  }
}

/** Options of the solo orderer. */
export interface OrdererOptions {
  /** Transactions per block before a block is cut at once. */
  readonly blockCutSize: number
  /** Time from the first pending transaction to cutting a block. */
  readonly blockTimeoutMs: number
  /** Commits a cut block. */
  readonly deliver: (transactions: readonly UnpackedTransaction[]) => void
}

/** A solo orderer: queues transactions and cuts blocks by size or timeout. */
export class Orderer {
  readonly #options: OrdererOptions
  #queue: UnpackedTransaction[] = []
  #timer: NodeJS.Timeout | undefined
  #holds = 0
  // Bumped by discard(), so that a hold taken before a reset cannot be released into the new ledger's count.
  #generation = 0

  constructor(options: OrdererOptions) {
    this.#options = options
  }

  /** Number of transactions waiting to be cut into a block. */
  get queued(): number {
    return this.#queue.length
  }

  /** True while a transaction with this id waits to be cut into a block. */
  isQueued(txId: string): boolean {
    return this.#queue.some(tx => tx.txId === txId)
  }

  enqueue(transaction: UnpackedTransaction): void {
    this.#queue.push(transaction)
    this.#schedule()
  }

  /** Stops cutting blocks until the returned function is called (tests use it to put transactions in one block). */
  hold(): () => void {
    this.#holds++
    const generation = this.#generation
    let released = false
    return () => {
      if (released || generation !== this.#generation) return
      released = true
      this.#holds--
      this.#schedule()
    }
  }

  /** Drops every queued transaction without ordering it, and every hold (a ledger reset). */
  discard(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue = []
    this.#holds = 0
    this.#generation++
  }

  /** Cuts everything queued now, ignoring holds. */
  flush(): void {
    while (this.#queue.length > 0) this.#cut()
  }

  #schedule(): void {
    if (this.#holds > 0) return
    while (this.#queue.length >= this.#options.blockCutSize) this.#cut()
    if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        if (this.#holds === 0) this.#cut()
        this.#schedule()
      }, this.#options.blockTimeoutMs)
    }
  }

  #cut(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#queue.slice(0, this.#options.blockCutSize)
    this.#queue = this.#queue.slice(batch.length)
    if (batch.length > 0) this.#options.deliver(batch)
  }
}
