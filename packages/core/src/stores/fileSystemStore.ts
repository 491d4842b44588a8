import { randomBytes } from '@noble/hashes/utils.js'
import { storeName } from '../codec/records.js'
import { DatapactError } from '../errors.js'
import { assertString } from '../internal/assert.js'
import { bytesToHex } from '../internal/bytes.js'
import type { PayloadStore } from '../ledger/index.js'
import { checkGetArguments, storedChunks } from './checks.js'

/** Node's fs, loaded on first use so that core stays importable where there is no file system. */
const fs = () => import('node:fs/promises')
const path = () => import('node:path')

/**
 * A payload store in a directory (a mounted, replicated file system makes it a shared store). One file per
 * payload: the chunks concatenated, each preceded by its 4-byte big-endian length. Written to a temporary file
 * and renamed, so a crash never leaves a half-written payload under a valid address.
 */
export class FileSystemPayloadStore implements PayloadStore {
  readonly name: string
  readonly #dir: string

  /**
   * Creates a store over a directory.
   *
   * @param dir - The directory (created when missing).
   * @param name - The store's name (default `fs`).
   * @throws {@link DatapactError} INVALID_INPUT when `dir` is not a non-empty string or `name` is not a store name
   *   (lowercase letters, digits, `.`, `_`, `-`).
   */
  constructor(dir: string, name = 'fs') {
    assertString(dir, 'dir', 4096, 1)
    storeName.check(name, 'name')
    this.#dir = dir
    this.name = name
  }

  async put(chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const { mkdir, open, rename, rm } = await fs()
    const { join } = await path()
    await mkdir(this.#dir, { recursive: true })
    const address = bytesToHex(randomBytes(16))
    const tmp = join(this.#dir, `${address}.partial`)
    const file = await open(tmp, 'wx')
    try {
      const len = new Uint8Array(4)
      for await (const c of storedChunks(chunks)) {
        new DataView(len.buffer).setUint32(0, c.length, false)
        await file.write(len)
        await file.write(c)
      }
      await file.sync()
    } catch (e) {
      await file.close()
      await rm(tmp, { force: true })
      throw e
    }
    await file.close()
    await rename(tmp, join(this.#dir, address))
    return address
  }

  async *get(address: string, chunkCount: number): AsyncIterable<Uint8Array> {
    checkGetArguments(address, chunkCount)
    if (!/^[0-9a-f]{32}$/.test(address))
      throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${address}`, { details: { address } })
    const { open } = await fs()
    const { join } = await path()
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(join(this.#dir, address), 'r')
    } catch (cause) {
      throw new DatapactError('NOT_FOUND', `store ${this.name} has no payload at ${address}`, {
        details: { address },
        cause,
      })
    }
    try {
      const len = new Uint8Array(4)
      for (let i = 0; i < chunkCount; i++) {
        const { bytesRead } = await file.read(len, 0, 4)
        if (bytesRead < 4) return
        const n = new DataView(len.buffer).getUint32(0, false)
        const chunk = new Uint8Array(n)
        const got = (await file.read(chunk, 0, n)).bytesRead
        if (got < n) return
        yield chunk
      }
    } finally {
      await file.close()
    }
  }
}
