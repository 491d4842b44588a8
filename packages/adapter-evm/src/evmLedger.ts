import type {
  Dataset,
  DatasetMetadata,
  Digest,
  EventPage,
  Grant,
  LedgerAdapter,
  LedgerEvent,
  LedgerEventRecord,
  MemberId,
  SubmitResult,
  SubscribeOptions,
  UsageRecord,
  Version,
} from '@datapact/core'
import { checkReadEventsOptions, DatapactError, LedgerError, subscribeSafely } from '@datapact/core'
import {
  isQuery,
  isWriteRule,
  type QueryArgs,
  type QueryName,
  type QueryResults,
  queryRules,
  type WriteArgs,
  type WriteRuleName,
  writeRules,
} from '@datapact/core/rules'
import {
  AbiCoder,
  BaseWallet,
  getBytes,
  hexlify,
  type JsonRpcProvider,
  type Signer,
  toBeHex,
  Wallet,
  zeroPadValue,
} from 'ethers'
import { decodeEvent, decodeTopics, type EventName, type ViewName, type ViewResult } from './abi.js'
import { Chain, type ChainOptions, openProvider, type RpcLog } from './chain.js'
import {
  currencyToBytes8,
  type DatasetState,
  type DecodedLog,
  datasetFromState,
  datasetStateFromView,
  decodeMetadata,
  decodeSettings,
  encodeCall,
  encodeUsage,
  fromWord,
  grantFromView,
  isMemberAddress,
  lower,
  memberFromView,
  memberIdOfAddress,
  metadataHash,
  type StatementKey,
  settlementFromView,
  toAddress,
  toLedgerEvents,
  totalsFromView,
  toWord,
  type VersionState,
  versionFromEvent,
  versionInfoHash,
  versionStateFromView,
} from './codec.js'
import { datapactBytecode, datapactViewsBytecode } from './generated/datapact.js'
import { checkEvmOptions, isPrivateKey } from './options.js'
import { decodePayloadLog, encodeRecordUsage, encodeStorePayload } from './payloadCodec.js'

/** Where the node is: a JSON-RPC URL, or an ethers provider you manage (it is not destroyed on close). */
export type EvmNode = { rpcUrl: string; provider?: never } | { provider: JsonRpcProvider; rpcUrl?: never }

/** Who signs: a private key (signed locally), or any ethers Signer connected to the same node. */
export type EvmIdentity = { privateKey: string; signer?: never } | { signer: Signer; privateKey?: never }

/** Options of {@link EvmLedger.deploy}. */
export type EvmLedgerDeployOptions = EvmNode &
  EvmIdentity &
  ChainOptions & {
    /**
     * The member that bootstraps the consortium and becomes its first admin, fixed in the contract at deployment so
     * that no later transaction can take the bootstrap (a lowercase 0x address). Default: the deployer.
     */
    admin?: string
  }

/** Options of {@link EvmLedger.attach}. */
export type EvmLedgerAttachOptions = EvmLedgerDeployOptions & {
  /** Address of a deployed Datapact contract. */
  address: string
}

const PAGE = 200
const CURSOR = /^(\d{16}):(\d{6}):(\d{4})$/
const pad = (n: number, width: number) => n.toString().padStart(width, '0')
const cursorOf = (block: number, log: number, sub: number) => `${pad(block, 16)}:${pad(log, 6)}:${pad(sub, 4)}`
const endOfBlock = (block: number) => cursorOf(block, 999_999, 9999)
const hex = (n: number) => toBeHex(n)

/**
 * A connection to the Datapact contract on an EVM chain as one member: core's {@link LedgerAdapter} over ethers v6.
 * The member id is the signer's lowercase address. Writes are transactions the contract checks against the same
 * rules core's ledger program runs; reads are view calls and event logs of this member's own node.
 *
 * @example
 * ```ts
 * const ledger = await EvmLedger.deploy({ rpcUrl: 'http://127.0.0.1:8545', privateKey: adminKey })
 * const alice = await Datapact.open({ ledger: ledger.as(alicePrivateKey), keys: generateMemberKeys() })
 * ```
 */
export class EvmLedger implements LedgerAdapter {
  readonly kind = 'evm'
  /** Ciphertext per storePayload transaction: the transaction size limit less room for the call's encoding. */
  readonly maxPayloadBatchBytes: number
  /** This connection's member id: the signer's lowercase 0x address. */
  readonly memberId: MemberId
  /** The contract's lowercase address. */
  readonly address: string
  /** Block the contract was deployed in (event scans start there). */
  readonly deploymentBlock: number
  readonly #chain: Chain
  readonly #sender: ReturnType<Chain['sender']>
  readonly #subscriptions = new Set<() => void>()
  readonly #topics: Map<string, EventName>
  /**
   * Blocks one `eth_getLogs` of {@link EvmLedger.readEvents} spans: about a page of events, learnt from the last
   * page (reading a dense history page by page over the whole `logRange` fetched and decoded the rest of the history
   * again for every page).
   */
  #logSpan: number
  #closed = false

  private constructor(chain: Chain, signer: Signer, memberId: MemberId, address: string, deploymentBlock: number) {
    this.#chain = chain
    this.memberId = memberId
    this.maxPayloadBatchBytes = chain.maxTransactionBytes - 4096
    this.address = address
    this.deploymentBlock = deploymentBlock
    this.#sender = chain.sender(signer, memberId)
    this.#topics = topicMap(chain)
    this.#logSpan = chain.logRange
    chain.retain()
  }

  /**
   * Deploys a new Datapact contract and connects to it as the deployer.
   *
   * @param given - The node (`rpcUrl` or `provider`), the deployer (`privateKey` or `signer`), and chain options.
   * @returns A connection acting as the deployer (who is not yet a member: it joins like anyone else).
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the node cannot be reached; INTERNAL when the deploy fails.
   */
  static async deploy(given: EvmLedgerDeployOptions): Promise<EvmLedger> {
    const options = checkEvmOptions(given, false) as unknown as EvmLedgerDeployOptions
    const chain = await openChain(options)
    try {
      const { signer, address } = await identity(options)
      const admin = options.admin === undefined ? address : toAddress(options.admin, 'admin')
      const sender = chain.sender(signer, address)
      const views = await sender.send(null, datapactViewsBytecode, 'deploy')
      const constructorArgs = AbiCoder.defaultAbiCoder().encode(['address', 'address'], [admin, views.contractAddress])
      const receipt = await sender.send(null, datapactBytecode + constructorArgs.slice(2), 'deploy')
      return new EvmLedger(chain, signer, address, lower(receipt.contractAddress!), Number(receipt.blockNumber))
    } catch (e) {
      chain.release()
      throw e
    }
  }

  /**
   * Connects to a deployed Datapact contract.
   *
   * @param given - The contract `address`, the node, the member's key or signer, and chain options.
   * @returns A connection acting as that member.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} NOT_FOUND when no contract is at the address; LEDGER_UNAVAILABLE when the node
   * cannot be reached.
   */
  static async attach(given: EvmLedgerAttachOptions): Promise<EvmLedger> {
    const options = checkEvmOptions(given, true) as unknown as EvmLedgerAttachOptions
    const chain = await openChain(options)
    try {
      const address = lower(options.address)
      const code = await chain.rpc<string>('eth_getCode', [address, 'latest'], 'attach')
      if (code === '0x')
        throw new LedgerError('NOT_FOUND', `no contract at ${address}`, { ledger: 'evm', details: { address } })
      const deployed = await chain.view(address, 'deploymentBlock', [])
      const { signer, address: memberId } = await identity(options)
      return new EvmLedger(chain, signer, memberId, address, Number(deployed))
    } catch (e) {
      chain.release()
      throw e
    }
  }

  /**
   * Another member's connection to the same contract and node (shares the provider, caches and nonce tracking).
   *
   * @param key - The member's private key (hex), or an ethers wallet.
   * @returns A connection acting as that member.
   * @throws ethers' `TypeError` (`INVALID_ARGUMENT`) when `key` is not a valid private key.
   */
  as(key: string | BaseWallet): EvmLedger {
    let isWallet = false
    try {
      isWallet = key instanceof BaseWallet
    } catch {
      isWallet = false
    }
    if (!isWallet && !isPrivateKey(key))
      throw new DatapactError('INVALID_INPUT', '"key" must be a 32-byte hex private key or an ethers wallet', {
        details: { argument: 'key', expected: 'private key or BaseWallet', got: typeof key },
      })
    const wallet = typeof key === 'string' ? new Wallet(key) : key
    return new EvmLedger(this.#chain, wallet, memberIdOfAddress(wallet.address), this.address, this.deploymentBlock)
  }

  /**
   * Like {@link EvmLedger.as}, for any ethers Signer (a JSON-RPC signer, a hardware wallet, ...).
   *
   * @param signer - A signer connected to the same node.
   * @returns A connection acting as the signer's address.
   * @throws The signer's own error when it cannot report its address.
   */
  async connect(signer: Signer): Promise<EvmLedger> {
    let ok = false
    try {
      ok = typeof signer === 'object' && signer !== null && typeof signer.getAddress === 'function'
    } catch {
      ok = false
    }
    if (!ok)
      throw new DatapactError('INVALID_INPUT', '"signer" must be an ethers Signer', { details: { argument: 'signer' } })
    return new EvmLedger(
      this.#chain,
      signer,
      memberIdOfAddress(await signer.getAddress()),
      this.address,
      this.deploymentBlock,
    )
  }

  /**
   * Submits a write rule as a transaction and resolves once it is mined (and confirmed).
   *
   * @param rule - The rule name (core's `writeRules`).
   * @param args - Its arguments; checked against core's schema first.
   * @returns The transaction hash and the core events it emitted, in order.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for bad arguments (including member ids that are not lowercase
   * addresses); the rule's code when the contract refuses; LEDGER_UNAVAILABLE when the node cannot be reached;
   * CLOSED after {@link EvmLedger.close}.
   */
  async submit<N extends WriteRuleName>(rule: N, args: WriteArgs[N]): Promise<SubmitResult> {
    this.#open()
    if (!isWriteRule(rule))
      throw new DatapactError('INVALID_INPUT', 'unknown write rule', {
        details: { argument: 'rule', expected: 'the name of a write rule', got: typeof rule },
      })
    const checked = writeRules[rule].args.check(args, 'args') as WriteArgs[N]
    let data: string
    try {
      if (rule === 'storePayload') {
        const p = checked as WriteArgs['storePayload']
        const selector = this.#chain.iface.getFunction('storePayload')!.selector
        data = encodeStorePayload(selector, p.upload, p.first, p.chunks, p.last)
      } else if (rule === 'recordUsage') {
        const selector = this.#chain.iface.getFunction('recordUsage')!.selector
        data = encodeRecordUsage(selector, ...encodeUsage(checked as WriteArgs['recordUsage']))
      } else {
        const { fn, values } = encodeCall(rule, checked)
        data = this.#chain.iface.encodeFunctionData(fn, values)
      }
    } catch (cause) {
      if (cause instanceof DatapactError) throw cause
      throw new DatapactError('INVALID_INPUT', `the arguments of ${rule} do not fit the contract's types`, {
        details: { argument: 'args' },
        cause,
      })
    }
    const receipt = await this.#sender.send(this.address, data, rule)
    const events: LedgerEvent[] = []
    for (const log of receipt.logs)
      if (lower(log.address) === this.address) for (const e of this.#decode(log).events) events.push(copyEvent(e))
    return { txId: receipt.transactionHash, events }
  }

  /**
   * Evaluates a query on this member's node: view calls, plus event logs for data kept there (metadata, headers,
   * wrapped keys, payload chunks).
   *
   * @param name - The query name (core's `queryRules`).
   * @param args - Its arguments; checked against core's schema first.
   * @returns What the memory ledger returns for the same state: null when absent, zero totals, lists in key order.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT, NOT_FOUND (payload chunks), INTEGRITY (a log does not match the
   * hash in storage), LEDGER_UNAVAILABLE, CLOSED.
   */
  async query<N extends QueryName>(name: N, args: QueryArgs[N]): Promise<QueryResults[N]> {
    this.#open()
    if (!isQuery(name))
      throw new DatapactError('INVALID_INPUT', 'unknown query', {
        details: { argument: 'name', expected: 'the name of a query', got: typeof name },
      })
    const a = queryRules[name].args.check(args, 'args') as QueryArgs[N]
    return this.#query(name, a)
  }

  /**
   * Reads committed Datapact events in ledger order (block, log index, and record within a usage batch).
   *
   * @param options - `after`: a cursor from an earlier page (start when absent); `limit`: most events (10000).
   * @returns The events and the cursor to continue from.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT for a malformed cursor; LEDGER_UNAVAILABLE; CLOSED.
   */
  async readEvents(options?: { after?: string | null; limit?: number }): Promise<EventPage> {
    this.#open()
    const { after, limit } = checkReadEventsOptions(options)
    const start = after === null ? null : CURSOR.exec(after)
    if (after !== null && !start)
      throw new DatapactError('INVALID_INPUT', '"after" must be a cursor returned by readEvents', {
        details: { argument: 'after' },
      })
    const head = Number(await this.#chain.rpc<string>('eth_blockNumber', [], 'read events'))
    this.#chain.seen(head)
    type Pending = Omit<LedgerEventRecord, 'at'> & { block: number }
    const found: Pending[] = []
    const callers = new Map<string, MemberId>()
    for (let from = start ? Number(start[1]) : this.deploymentBlock; from <= head && found.length < limit; ) {
      const to = Math.min(head, from + this.#logSpan - 1)
      let lastBlock = from
      for (const log of await this.#logs(from, to, [])) {
        // Logs come in ledger order: the page is full, the rest is the next page's.
        if (found.length >= limit) break
        lastBlock = Number(log.blockNumber)
        const { events, caller } = this.#decode(log)
        if (caller) callers.set(log.transactionHash, caller)
        const block = Number(log.blockNumber)
        const index = Number(log.logIndex)
        if (log.blockTimestamp) this.#chain.learnTimestamp(block, Number(log.blockTimestamp))
        events.forEach((event, sub) => {
          const cursor = cursorOf(block, index, sub)
          if (after !== null && cursor <= after) return
          found.push({
            cursor,
            txId: log.transactionHash,
            // A log whose transaction has no caller yet keeps the empty id it always had.
            caller: callers.get(log.transactionHash) ?? ('' as MemberId),
            event: copyEvent(event),
            block,
          })
        })
      }
      // The next window spans about one page: the blocks this page needed when it filled, else twice as many.
      this.#logSpan = found.length >= limit ? lastBlock - from + 1 : Math.min(this.#chain.logRange, this.#logSpan * 2)
      from = to + 1
    }
    const page = found.slice(0, limit)
    const times = await this.#chain.timestamps(page.map(p => p.block))
    const events = page.map(({ block, ...p }): LedgerEventRecord => ({ ...p, at: times.get(block)! }))
    return { events, cursor: events.at(-1)?.cursor ?? after }
  }

  /**
   * Calls `listener` for every event committed from now on (polling the node every `pollingInterval` ms).
   *
   * @param listener - Called once per event, in ledger order; exceptions it throws are ignored.
   * @returns A function that stops the subscription.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} CLOSED after close.
   */
  subscribe(listener: (event: LedgerEventRecord) => void, options?: SubscribeOptions): () => void {
    return subscribeSafely(listener, options, ({ listener: deliver, after, onError }) => {
      this.#open()
      if (after !== undefined && after !== null && !CURSOR.test(after))
        throw new DatapactError('INVALID_INPUT', '"after" must be a cursor returned by readEvents', {
          details: { argument: 'options.after', expected: 'a cursor returned by readEvents', got: 'another string' },
        })
      // `after: null` starts before the first event; the head is looked up on the first tick when unknown.
      let cursor: string | null | undefined =
        after !== undefined ? after : this.#chain.head > 0 ? endOfBlock(this.#chain.head) : undefined
      let stopped = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const tick = async () => {
        try {
          if (cursor === undefined)
            cursor = endOfBlock(Number(await this.#chain.rpc<string>('eth_blockNumber', [], 'subscribe')))
          for (;;) {
            const page = await this.readEvents({ after: cursor, limit: 1000 })
            for (const e of page.events) {
              if (stopped) return
              deliver(e)
            }
            cursor = page.cursor
            if (page.events.length < 1000) break
          }
        } catch (e) {
          // The node is unreachable (or this connection closed): say so, and try again on the next tick.
          if (!stopped && e instanceof DatapactError) onError(e)
        }
        if (!stopped) timer = unref(setTimeout(tick, this.#chain.pollingInterval))
      }
      timer = unref(setTimeout(tick, 0))
      const off = () => {
        stopped = true
        clearTimeout(timer)
        this.#subscriptions.delete(off)
      }
      this.#subscriptions.add(off)
      return off
    })
  }

  /** Stops this connection's subscriptions; later calls reject with CLOSED. The last connection closes the node. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const off of [...this.#subscriptions]) off()
    this.#chain.release()
  }

  #open(): void {
    if (this.#closed)
      throw new LedgerError('CLOSED', `the EVM ledger connection of ${this.memberId} is closed`, { ledger: 'evm' })
  }

  /** A Datapact log's core events, decoded once per log (shared: callers get copies, see {@link copyEvent}). */
  #decode(log: RpcLog): DecodedLog {
    return this.#chain.decodedLog(log, l => this.#decodeNow(l))
  }

  #decodeNow(log: RpcLog): DecodedLog {
    const name = this.#topics.get(log.topics[0] ?? '')
    if (!name) return { events: [], caller: undefined }
    if (name === 'PayloadStored') {
      // The chunks are the bulk of the log and the event needs only their count: skip decoding them.
      const p = decodePayloadLog(log.data)
      const { upload, owner } = decodeTopics(name, log.topics)
      const event = { type: name, upload: fromWord(upload), first: p.first, count: p.count, complete: p.complete }
      return { events: [event], caller: owner }
    }
    return toLedgerEvents(name, decodeEvent(name, log.topics, log.data))
  }

  /** The arguments of a log of one of `names` (the caller filtered the logs by those topics). */
  #args<N extends EventName>(log: RpcLog, ...names: N[]) {
    const name = this.#topics.get(log.topics[0] ?? '')
    if (!name || !(names as string[]).includes(name))
      throw integrity(
        `a log of the wrong event (${name ?? log.topics[0]}) answered a filter on ${names.join(', ')}`,
        {},
      )
    return decodeEvent(name as N, log.topics, log.data)
  }

  #logs(from: number, to: number, topics: Array<string | string[] | null>): Promise<RpcLog[]> {
    const filter = { address: this.address, fromBlock: hex(from), toBlock: hex(to), topics }
    return this.#chain.rpc<RpcLog[]>('eth_getLogs', [filter], 'read logs')
  }

  #topic(name: string): string {
    return this.#chain.iface.getEvent(name)!.topicHash
  }

  #view<N extends ViewName>(fn: N, values: unknown[], blockTag?: string): Promise<ViewResult<N>> {
    return this.#chain.view(this.address, fn, values, blockTag)
  }

  async #pinnedBlock(): Promise<string> {
    const head = Number(await this.#chain.rpc<string>('eth_blockNumber', [], 'read'))
    this.#chain.seen(head)
    return hex(head)
  }

  #query<N extends QueryName>(name: N, args: QueryArgs[N]): Promise<QueryResults[N]> {
    return (QUERIES[name] as Query<N>)(this.#reader, args)
  }

  /** What the query functions ({@link QUERIES}) read through. */
  readonly #reader: Reader = {
    view: (fn, values, blockTag) => this.#view(fn, values, blockTag),
    rpc: (method, params, operation) => this.#chain.rpc(method, params, operation),
    pages: (fn, map) => this.#pages(fn, map),
    datasets: states => this.#datasets(states),
    versions: (datasetId, states) => this.#versions(datasetId, states),
    listVersions: datasetId => this.#listVersions(datasetId),
    listGrants: args => this.#listGrants(args),
    keyWrap: args => this.#keyWrap(args),
    payload: args => this.#payload(args),
    usage: args => this.#usage(args),
  }

  /**
   * The usage record a consumer filed under a nonce: the contract keeps used nonces as bits, so the record is found in
   * the consumer's own UsageRecorded logs (the consumer is an indexed topic). Used by a retry only.
   */
  async #usage({ consumer, nonce }: QueryArgs['getUsage']): Promise<UsageRecord | null> {
    if (!isMemberAddress(consumer)) return null
    const head = Number(await this.#chain.rpc<string>('eth_blockNumber', [], 'read usage'))
    const topics = [this.#topic('UsageRecorded'), zeroPadValue(consumer, 32)]
    for (let from = this.deploymentBlock; from <= head; from += this.#chain.logRange) {
      const to = Math.min(head, from + this.#chain.logRange - 1)
      for (const log of await this.#logs(from, to, topics))
        for (const e of this.#decode(log).events)
          if (e.type === 'UsageRecorded' && e.record.nonce === nonce) return e.record
    }
    return null
  }

  /** Every item of a paged list view (`fn(offset, limit) -> (total, page)`), read at one block. */
  async #pages<F extends PagedView, T>(fn: F, map: (v: Paged[F]['page'][number]) => T): Promise<T[]> {
    const block = await this.#pinnedBlock()
    const out: T[] = []
    for (let offset = 0; ; offset += PAGE) {
      // `F` is one of the two paged views; TypeScript cannot narrow the generic result.
      const { total, page } = (await this.#view(fn, [offset, PAGE], block)) as unknown as Paged[F]
      for (const v of page) out.push(map(v))
      if (offset + PAGE >= Number(total)) return out
    }
  }

  /** Completes datasets with their metadata and licence from the logs their state points at. */
  async #datasets(states: DatasetState[]): Promise<Dataset[]> {
    const blocks = [...new Set(states.map(s => s.infoBlock))]
    const topics = [[this.#topic('DatasetRegistered'), this.#topic('DatasetUpdated')]]
    const logs = await Promise.all(blocks.map(b => this.#logs(b, b, topics)))
    const info = new Map<string, { metadata: DatasetMetadata; licence: string }>()
    blocks.forEach((b, i) => {
      for (const log of logs[i]!) {
        const a = this.#args(log, 'DatasetRegistered', 'DatasetUpdated')
        info.set(`${b}/${fromWord(a.datasetId)}`, { metadata: decodeMetadata(a.metadata), licence: a.terms.licence })
      }
    })
    return states.map(s => {
      const found = info.get(`${s.infoBlock}/${s.id}`)
      if (!found || metadataHash(found.metadata, found.licence) !== s.infoHash)
        throw integrity(`the metadata of dataset ${s.id} in block ${s.infoBlock} does not match the ledger`, {
          datasetId: s.id,
        })
      return datasetFromState(s, found.metadata, found.licence)
    })
  }

  /** Completes versions with header, location and publisher from their VersionPublished logs. */
  async #versions(datasetId: string, states: VersionState[]): Promise<Version[]> {
    const blocks = [...new Set(states.map(s => s.publishedBlock))]
    const topics = [this.#topic('VersionPublished'), toWord(datasetId)]
    const logs = await Promise.all(blocks.map(b => this.#logs(b, b, topics)))
    const found = new Map<number, Version>()
    for (const log of logs.flat()) {
      const version = versionFromEvent(this.#args(log, 'VersionPublished'))
      found.set(version.number, version)
    }
    return states.map(s => {
      const v = found.get(s.number)
      if (
        !v ||
        versionInfoHash(v.header, v.location.store, v.location.address) !== s.infoHash ||
        hexlify(v.keyCommitment) !== hexlify(s.keyCommitment)
      )
        throw integrity(`the log of version ${s.number} of dataset ${datasetId} does not match the ledger`, {
          datasetId,
          version: s.number,
        })
      return v
    })
  }

  async #listVersions(datasetId: string): Promise<Version[]> {
    const block = await this.#pinnedBlock()
    const states: VersionState[] = []
    for (let from = 1; ; from += PAGE) {
      const page = await this.#view('listVersions', [toWord(datasetId), from, PAGE], block)
      for (const v of page) states.push(versionStateFromView(v)!)
      if (page.length < PAGE) break
    }
    return states.length === 0 ? [] : this.#versions(datasetId, states)
  }

  async #listGrants({ datasetId, grantee }: QueryArgs['listGrants']): Promise<Grant[]> {
    if (grantee !== null && !isMemberAddress(grantee)) return []
    const block = await this.#pinnedBlock()
    const ids =
      datasetId !== null
        ? [datasetId]
        : (await this.#pages('listDatasets', v => datasetStateFromView(v)?.id)).filter(id => id !== undefined)
    const lists = await Promise.all(ids.map(id => this.#view('listGrants', [toWord(id)], block)))
    const grants: Grant[] = []
    ids.forEach((id, i) => {
      for (const v of lists[i]!) {
        const g = grantFromView(id, v)
        if (g && (grantee === null || g.grantee === grantee)) grants.push(g)
      }
    })
    return grants.sort((x, y) => compare(`${x.datasetId}/${x.grantee}`, `${y.datasetId}/${y.grantee}`))
  }

  async #keyWrap({ datasetId, number, member }: QueryArgs['getKeyWrap']): Promise<Uint8Array | null> {
    if (!isMemberAddress(member)) return null
    const { wrapBlock, versionBlock } = await this.#view('getKeyWrapBlocks', [toWord(datasetId), number, member])
    const word = toWord(datasetId)
    if (Number(wrapBlock) !== 0) {
      const b = Number(wrapBlock)
      const topics = [[this.#topic('AccessGranted'), this.#topic('KeysWrapped')], word, zeroPadValue(member, 32)]
      const logs = await this.#logs(b, b, topics)
      for (const log of logs.reverse()) {
        // AccessGranted and KeysWrapped both name their wrap list `wraps`.
        for (const w of this.#args(log, 'AccessGranted', 'KeysWrapped').wraps)
          if (w.version === number) return getBytes(w.wrapped)
      }
      throw integrity(`the key wrap of version ${number} for ${member} is missing from block ${b}`, {
        datasetId,
        version: number,
      })
    }
    if (Number(versionBlock) === 0) return null
    const b = Number(versionBlock)
    const logs = await this.#logs(b, b, [this.#topic('VersionPublished'), word, zeroPadValue(toBeHex(number), 32)])
    for (const log of logs.reverse()) {
      for (const w of this.#args(log, 'VersionPublished').wraps) if (w.member === member) return getBytes(w.wrapped)
      return null
    }
    throw integrity(`the log of version ${number} of dataset ${datasetId} is missing from block ${b}`, {
      datasetId,
      version: number,
    })
  }

  async #payload({ upload, first, count }: QueryArgs['getPayload']): Promise<Uint8Array[]> {
    const u = await this.#view('getUpload', [toWord(upload)])
    const stored = u.stored
    if (first + count > stored)
      throw new DatapactError(
        'NOT_FOUND',
        `chunk ${Math.max(first, stored)} of upload ${upload} is not on the ledger`,
        {
          details: { upload, index: Math.max(first, stored), stored },
        },
      )
    const batches = u.batches.map(b => ({ block: Number(b >> 32n), first: Number(b & 0xffff_ffffn) }))
    const needed = batches.filter((b, i) => b.first < first + count && (batches[i + 1]?.first ?? stored) > first)
    const topics = [this.#topic('PayloadStored'), toWord(upload)]
    const blocks = [...new Set(needed.map(b => b.block))]
    const logs = (await Promise.all(blocks.map(b => this.#logs(b, b, topics)))).flat()
    const chunks = new Map<number, Uint8Array>()
    for (const log of logs) {
      const p = decodePayloadLog(log.data)
      if (!needed.some(b => b.first === p.first)) continue
      p.chunks().forEach((c, i) => {
        if (p.first + i >= first && p.first + i < first + count) chunks.set(p.first + i, c)
      })
    }
    const out: Uint8Array[] = []
    for (let i = first; i < first + count; i++) {
      const c = chunks.get(i)
      if (!c) throw integrity(`chunk ${i} of upload ${upload} is missing from its log`, { upload, index: i })
      out.push(c)
    }
    return out
  }
}

/** Plain string order, as the memory ledger's key order. */
const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)

const integrity = (message: string, details: Record<string, string | number>) =>
  new LedgerError('INTEGRITY', message, { ledger: 'evm', details })

const unref = <T>(timer: T): T => {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

function topicMap(chain: Chain): Map<string, EventName> {
  const map = new Map<string, EventName>()
  chain.iface.forEachEvent(e => {
    map.set(e.topicHash, e.name as EventName)
  })
  return map
}

/**
 * A caller's own copy of a decoded event (decoded events are cached and shared, and events hold byte arrays). Usage
 * records, the bulk of the history, are copied by hand; the rest are small.
 */
function copyEvent(e: LedgerEvent): LedgerEvent {
  if (e.type === 'UsageRecorded')
    return { type: e.type, record: { ...e.record, wrapHash: e.record.wrapHash.slice() as Digest } }
  return structuredClone(e)
}

/** The list views read page by page: `fn(offset, limit) -> (total, page)`. */
interface Paged {
  listMembers: ViewResult<'listMembers'>
  listDatasets: ViewResult<'listDatasets'>
}
type PagedView = keyof Paged

/** What a query function reads through: the connection's views, node calls and log readers. */
interface Reader {
  view<F extends ViewName>(fn: F, values: unknown[], blockTag?: string): Promise<ViewResult<F>>
  rpc<T>(method: string, params: unknown[], operation: string): Promise<T>
  pages<F extends PagedView, T>(fn: F, map: (v: Paged[F]['page'][number]) => T): Promise<T[]>
  datasets(states: DatasetState[]): Promise<Dataset[]>
  versions(datasetId: string, states: VersionState[]): Promise<Version[]>
  listVersions(datasetId: string): Promise<Version[]>
  listGrants(args: QueryArgs['listGrants']): Promise<Grant[]>
  keyWrap(args: QueryArgs['getKeyWrap']): Promise<Uint8Array | null>
  payload(args: QueryArgs['getPayload']): Promise<Uint8Array[]>
  usage(args: QueryArgs['getUsage']): Promise<UsageRecord | null>
}

type Query<N extends QueryName> = (r: Reader, args: QueryArgs[N]) => Promise<QueryResults[N]>

/** The statement key's views: none for ids that cannot be members (nothing was recorded under them). */
const statementView = <F extends 'getTotals' | 'getSettlement'>(r: Reader, fn: F, key: StatementKey) =>
  isMemberAddress(key.provider) && isMemberAddress(key.consumer)
    ? r.view(fn, [key.provider, key.consumer, key.period, currencyToBytes8(key.currency)])
    : Promise.resolve(null)

/** One function per query, over the connection's {@link Reader}. */
const QUERIES: { [N in QueryName]: Query<N> } = {
  getSettings: async r => {
    const { bootstrapped, settings } = await r.view('getSettings', [])
    return bootstrapped ? decodeSettings(settings) : null
  },
  getLedgerTime: async r => {
    const block = await r.rpc<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false], 'getLedgerTime')
    return Number(block.timestamp)
  },
  getMember: async (r, { member }) =>
    isMemberAddress(member) ? memberFromView(await r.view('getMember', [member])) : null,
  listMembers: async r => {
    const members = await r.pages('listMembers', memberFromView)
    return members.filter(m => m !== null).sort((x, y) => compare(x.id, y.id))
  },
  getDataset: async (r, { datasetId }) => {
    const state = datasetStateFromView(await r.view('getDataset', [toWord(datasetId)]))
    return state ? ((await r.datasets([state]))[0] ?? null) : null
  },
  listDatasets: async (r, { owner, tag, listedOnly }) => {
    const states = (await r.pages('listDatasets', datasetStateFromView)).filter(
      (s): s is DatasetState => s !== null && (owner === null || s.owner === owner) && (!listedOnly || s.listed),
    )
    const datasets = await r.datasets(states)
    return datasets.filter(d => tag === null || d.metadata.tags.includes(tag)).sort((x, y) => compare(x.id, y.id))
  },
  getVersion: async (r, { datasetId, number }) => {
    const state = versionStateFromView(await r.view('getVersion', [toWord(datasetId), number]))
    return state ? ((await r.versions(datasetId, [state]))[0] ?? null) : null
  },
  listVersions: (r, { datasetId }) => r.listVersions(datasetId),
  getGrant: async (r, { datasetId, grantee }) =>
    isMemberAddress(grantee) ? grantFromView(datasetId, await r.view('getGrant', [toWord(datasetId), grantee])) : null,
  listGrants: (r, args) => r.listGrants(args),
  getKeyWrap: (r, args) => r.keyWrap(args),
  getTotals: async (r, key) => totalsFromView(key, await statementView(r, 'getTotals', key)),
  getSettlement: async (r, key) => settlementFromView(key, await statementView(r, 'getSettlement', key)),
  getPayload: (r, args) => r.payload(args),
  getUsage: (r, args) => r.usage(args),
}

async function openChain(options: EvmLedgerDeployOptions): Promise<Chain> {
  if (options.provider) {
    const chain = new Chain(options.provider, false, options)
    return chain
  }
  if (typeof options.rpcUrl !== 'string')
    throw new DatapactError('INVALID_INPUT', 'give the node as "rpcUrl" or "provider"', {
      details: { argument: 'rpcUrl' },
    })
  return new Chain(await openProvider(options.rpcUrl, options), true, options)
}

async function identity(options: EvmIdentity): Promise<{ signer: Signer; address: MemberId }> {
  if (options.signer) return { signer: options.signer, address: memberIdOfAddress(await options.signer.getAddress()) }
  try {
    const wallet = new Wallet(options.privateKey!)
    return { signer: wallet, address: memberIdOfAddress(wallet.address) }
  } catch (cause) {
    throw new DatapactError('INVALID_INPUT', '"privateKey" must be a 32-byte hex private key', {
      details: { argument: 'privateKey' },
      cause,
    })
  }
}
