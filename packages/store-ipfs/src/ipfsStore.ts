import { randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { pipeline, Readable } from 'node:stream'
import { DatapactError, type PayloadStore } from '@datapact/core'
import { CID, create, type KuboRPCClient } from 'kubo-rpc-client'
import { frameChunks, unframeChunks } from './framing.js'

/** Options of {@link IpfsPayloadStore}. */
export interface IpfsPayloadStoreOptions {
  /** Kubo RPC API of this member's OWN node, e.g. `http://127.0.0.1:5001`. Never a shared or public node. */
  readonly url: string | URL
  /** The store name versions refer to (default `ipfs`); every member must use the same name for the same swarm. */
  readonly name?: string
  /** Pin what this node stores with `put` (default true): the publisher's node keeps its own payloads. */
  readonly pin?: boolean
  /** UnixFS block size in bytes (default 1 MiB; at most 2 MiB, the largest block bitswap moves). */
  readonly blockSize?: number
  /**
   * How long a read may wait for the next byte from the node, in ms (default 120 000). The node searches the
   * swarm for blocks it lacks; when none arrives in time the read fails (NOT_FOUND before the first byte,
   * LEDGER_UNAVAILABLE after). Time the caller spends between chunks does not count.
   */
  readonly stallTimeoutMs?: number
  /** Extra HTTP headers for the RPC API (for example an `Authorization` header of a protected endpoint). */
  readonly headers?: Readonly<Record<string, string>>
}

const NAME = /^[a-z0-9._-]{1,32}$/
const MAX_BLOCK = 2 * 1024 * 1024

/**
 * A {@link PayloadStore} on IPFS through the Kubo RPC API of the member's own node. A payload is one UnixFS file
 * (CIDv1, raw leaves, SHA-256) of the ciphertext chunks, each framed by its 4-byte big-endian length; its address
 * is the file's CID. Both directions stream: memory holds one chunk and one HTTP piece, whatever the size.
 *
 * The store is trusted for availability only. The client checks every chunk against the Merkle root on the
 * ledger before it records usage or releases plaintext, so a node serving other bytes is refused with INTEGRITY.
 * Reads come from the member's own node, which fetches missing blocks from the other members' nodes in the
 * private swarm (see `privateSwarmConfig`); pin what the member is entitled to (see `startReplication`) so
 * the payload stays available when its publisher is offline.
 *
 * Errors: INVALID_INPUT for bad options or chunks; LEDGER_UNAVAILABLE when the node cannot be reached or fails
 * (the backend is unavailable, as for a ledger); NOT_FOUND for an address that is not a CID or a payload no
 * node in reach serves within `stallTimeoutMs`; INTEGRITY when the stored bytes are not a framed payload.
 *
 * @example
 * ```ts
 * const ipfs = new IpfsPayloadStore({ url: 'http://127.0.0.1:5001' })
 * const alice = await Datapact.open({ ledger, keys, stores: [ipfs] })
 * await alice.datasets.register({ title: 'Ticks', terms, data: fileStream, store: 'ipfs' })
 * ```
 */
export class IpfsPayloadStore implements PayloadStore {
  readonly name: string
  readonly #client: KuboRPCClient
  readonly #api: URL
  readonly #headers: Record<string, string>
  readonly #url: string
  readonly #pin: boolean
  readonly #blockSize: number
  readonly #stallMs: number

  /**
   * @param options - The node's RPC URL and the store's settings.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when an option is malformed.
   */
  constructor(options: IpfsPayloadStoreOptions) {
    if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', typeof options)
    let url: URL
    try {
      url = new URL(String(options.url))
    } catch {
      throw invalid('options.url', 'an http(s) URL', typeof options.url)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid('options.url', 'an http(s) URL', url.protocol)
    const name = options.name ?? 'ipfs'
    if (typeof name !== 'string' || !NAME.test(name))
      throw invalid('options.name', 'lowercase letters, digits, ".", "_", "-" (1..32)', typeof name)
    const blockSize = options.blockSize ?? 1024 * 1024
    if (!Number.isSafeInteger(blockSize) || blockSize < 1024 || blockSize > MAX_BLOCK)
      throw invalid('options.blockSize', `an integer in 1024..${MAX_BLOCK}`, String(blockSize))
    const stallMs = options.stallTimeoutMs ?? 120_000
    if (!Number.isSafeInteger(stallMs) || stallMs < 1)
      throw invalid('options.stallTimeoutMs', 'a positive integer', String(stallMs))
    if (options.pin !== undefined && typeof options.pin !== 'boolean')
      throw invalid('options.pin', 'a boolean', typeof options.pin)
    const headers: unknown = options.headers
    if (
      headers !== undefined &&
      (typeof headers !== 'object' || headers === null || Object.values(headers).some(v => typeof v !== 'string'))
    )
      throw invalid('options.headers', 'a record of strings', typeof headers)
    this.name = name
    this.#pin = options.pin ?? true
    this.#blockSize = blockSize
    this.#stallMs = stallMs
    // Credentials in the URL go to the client, never into messages.
    this.#url = `${url.protocol}//${url.host}`
    this.#api = new URL(url.href)
    this.#headers = { ...options.headers }
    if (url.username || url.password)
      this.#headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    // kubo-rpc-client sets the pathname of the URL object it is given: give it its own.
    this.#client = create({ url: new URL(url.href), headers: { ...this.#headers } })
  }

  /**
   * Adds the chunks to this member's node as one UnixFS file (pinned unless `pin: false`).
   *
   * @param chunks - The ciphertext chunks, in order.
   * @returns The file's CID (CIDv1, base32).
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when a chunk is not a Uint8Array of at most the largest chunk
   *   size; LEDGER_UNAVAILABLE when the node cannot be reached or refuses the upload. An error of the source
   *   itself propagates unchanged. Blocks of an interrupted upload stay unpinned, for the node's GC.
   */
  async put(chunks: AsyncIterable<Uint8Array>): Promise<string> {
    if (typeof (chunks as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] !== 'function')
      throw invalid('chunks', 'an AsyncIterable<Uint8Array>', typeof chunks)
    let sourceError: { error: unknown } | undefined
    async function* guarded() {
      try {
        yield* frameChunks(chunks)
      } catch (error) {
        sourceError = { error }
        throw error
      }
    }
    try {
      return CID.parse(await this.#add(guarded())).toString()
    } catch (e) {
      if (sourceError) throw sourceError.error
      throw this.#unavailable('put', e)
    }
  }

  /**
   * `/api/v0/add` of one file streamed from `content`, with the socket's backpressure: kubo-rpc-client's `add`
   * (7.1.0 on Node 20) held the whole upload in memory (measured: +263 MiB for 256 MiB), so this one call goes
   * over node:http; everything else uses kubo-rpc-client.
   */
  #add(content: AsyncIterable<Uint8Array>): Promise<string> {
    const boundary = `datapact-${randomBytes(12).toString('hex')}`
    const params = new URLSearchParams({
      'cid-version': '1',
      'raw-leaves': 'true',
      hash: 'sha2-256',
      chunker: `size-${this.#blockSize}`,
      pin: String(this.#pin),
      quieter: 'true',
      progress: 'false',
    })
    const base = this.#api.pathname.replace(/\/+$/, '')
    const url = new URL(`${base}/api/v0/add?${params}`, `${this.#api.protocol}//${this.#api.host}`)
    const text = new TextEncoder()
    async function* body() {
      yield text.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="payload"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      )
      yield* content
      yield text.encode(`\r\n--${boundary}--\r\n`)
    }
    return new Promise<string>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest
      const req = send(
        url,
        {
          method: 'POST',
          headers: { ...this.#headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        },
        (res: IncomingMessage) => {
          let out = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => {
            out = (out + d).slice(-65536)
          })
          res.on('error', reject)
          res.on('end', () => {
            const trailer = res.trailers['x-stream-error']
            const last = out.trim().split('\n').at(-1) ?? ''
            let parsed: { Hash?: unknown; Message?: unknown } = {}
            try {
              parsed = JSON.parse(last)
            } catch {
              // Not JSON: the message is the text itself.
            }
            if (res.statusCode !== 200 || trailer || typeof parsed.Hash !== 'string')
              return reject(new Error(String(trailer ?? parsed.Message ?? (last || `HTTP ${res.statusCode}`))))
            resolve(parsed.Hash)
          })
        },
      )
      req.on('error', reject)
      pipeline(Readable.from(body(), { objectMode: false }), req, error => {
        if (error) reject(error)
      })
    })
  }

  /**
   * Streams the chunks stored at `address` from this member's node (which fetches blocks it lacks from the
   * swarm).
   *
   * @param address - A CID returned by {@link IpfsPayloadStore.put} (on any member's node).
   * @param chunkCount - How many chunks to read.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} NOT_FOUND when `address` is not a CID, or no byte of it arrives within
   *   `stallTimeoutMs`; LEDGER_UNAVAILABLE when the node cannot be reached, fails, or stops sending mid-payload;
   *   INTEGRITY when the bytes are not a framed payload; INVALID_INPUT for a bad `chunkCount`.
   */
  async *get(address: string, chunkCount: number): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(chunkCount) || chunkCount < 0)
      throw invalid('chunkCount', 'a non-negative integer', String(chunkCount))
    const cid = this.#cid(address)
    const watchdog = new Watchdog(this.#stallMs)
    let received = 0
    const client = this.#client
    async function* bytes() {
      for await (const piece of client.cat(cid, { signal: watchdog.signal })) {
        received += piece.length
        watchdog.kick()
        yield piece
      }
    }
    try {
      for await (const chunk of unframeChunks(bytes(), chunkCount)) {
        // The caller's time between chunks is not the node's stall.
        watchdog.pause()
        yield chunk
        watchdog.resume()
      }
    } catch (e) {
      if (e instanceof DatapactError) throw e
      if (watchdog.fired && received === 0)
        throw new DatapactError(
          'NOT_FOUND',
          `store ${this.name}: no node in reach of ${this.#url} served ${address} within ${this.#stallMs} ms`,
          { details: { store: this.name, address, stallTimeoutMs: this.#stallMs }, cause: e },
        )
      if (!watchdog.fired && received === 0 && notFoundMessage(e))
        throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${address}`, {
          details: { store: this.name, address },
          cause: e,
        })
      throw this.#unavailable('get', e, { address, received })
    } finally {
      watchdog.stop()
    }
  }

  /**
   * Pins a payload on this member's node, fetching from the swarm whatever blocks the node lacks; resolves once
   * the whole payload is local. Idempotent.
   *
   * @param address - The payload's CID.
   * @param options - `signal` aborts the pin (the blocks already fetched stay, unpinned).
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} NOT_FOUND when `address` is not a CID; LEDGER_UNAVAILABLE when the node cannot
   *   be reached or fails, or the pin is aborted.
   */
  async pin(address: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const cid = this.#cid(address)
    try {
      await this.#client.pin.add(cid, { recursive: true, ...(options.signal ? { signal: options.signal } : {}) })
    } catch (e) {
      throw this.#unavailable('pin', e, { address })
    }
  }

  /**
   * Removes this node's pin of a payload (its blocks go at the node's next garbage collection unless pinned
   * again). Unpinning what is not pinned is a no-op.
   *
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} NOT_FOUND when `address` is not a CID; LEDGER_UNAVAILABLE when the node cannot
   *   be reached or fails.
   */
  async unpin(address: string): Promise<void> {
    const cid = this.#cid(address)
    try {
      await this.#client.pin.rm(cid, { recursive: true })
    } catch (e) {
      if (/not pinned/i.test(message(e))) return
      throw this.#unavailable('unpin', e, { address })
    }
  }

  /**
   * Whether this node pins the payload (recursively), so that it keeps serving it with every other node offline.
   *
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} NOT_FOUND when `address` is not a CID; LEDGER_UNAVAILABLE when the node cannot
   *   be reached or fails.
   */
  async isPinned(address: string): Promise<boolean> {
    const cid = this.#cid(address)
    try {
      for await (const p of this.#client.pin.ls({ paths: [cid], type: 'recursive' })) if (p.cid.equals(cid)) return true
      return false
    } catch (e) {
      if (/not pinned/i.test(message(e))) return false
      throw this.#unavailable('isPinned', e, { address })
    }
  }

  /** The peer id of this member's node (to check which node a store talks to). */
  async peerId(): Promise<string> {
    try {
      return (await this.#client.id()).id.toString()
    } catch (e) {
      throw this.#unavailable('id', e)
    }
  }

  #cid(address: string): CID {
    try {
      if (typeof address !== 'string' || address.length > 128) throw new Error('not a CID string')
      return CID.parse(address)
    } catch (cause) {
      throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${String(address).slice(0, 128)}`, {
        details: { store: this.name, address: String(address).slice(0, 128) },
        cause,
      })
    }
  }

  #unavailable(operation: string, cause: unknown, details: Record<string, string | number> = {}): DatapactError {
    if (cause instanceof DatapactError) return cause
    return new DatapactError(
      'LEDGER_UNAVAILABLE',
      `store ${this.name}: ${operation} failed on the IPFS node at ${this.#url}: ${message(cause).slice(0, 200)}`,
      { details: { store: this.name, operation, node: this.#url, ...details }, cause },
    )
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))
const notFoundMessage = (e: unknown) => /not found|no link named|invalid path/i.test(message(e))

const invalid = (argument: string, expected: string, got: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}, got ${got}`, {
    details: { argument, expected, got },
  })

/** Aborts a request when no progress was reported for `ms`, not counting the paused stretches. */
class Watchdog {
  readonly #controller = new AbortController()
  readonly #ms: number
  #timer: ReturnType<typeof setTimeout> | undefined
  fired = false

  constructor(ms: number) {
    this.#ms = ms
    this.resume()
  }
  get signal(): AbortSignal {
    return this.#controller.signal
  }
  kick() {
    this.pause()
    this.resume()
  }
  pause() {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
  resume() {
    if (this.#controller.signal.aborted) return
    this.#timer = setTimeout(() => {
      this.fired = true
      this.#controller.abort(new Error(`no data for ${this.#ms} ms`))
    }, this.#ms)
  }
  /** Ends the request too, so a reader that stops early releases the connection. */
  stop() {
    this.pause()
    if (!this.#controller.signal.aborted) this.#controller.abort(new Error('read finished'))
  }
}
