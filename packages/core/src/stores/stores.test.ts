import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PayloadStore } from '../ledger/index.js'
import { chunksOfSizes as chunks, collect } from '../testing/chunks.js'
import { FileSystemPayloadStore } from './fileSystemStore.js'
import { MemoryPayloadStore } from './memoryStore.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'datapact-store-'))
  dirs.push(d)
  return d
}

describe.each([
  ['memory', () => new MemoryPayloadStore()],
  ['file system', () => new FileSystemPayloadStore(tempDir())],
] as Array<[string, () => PayloadStore]>)('%s payload store', (_, make) => {
  it('returns exactly the chunks it was given, in order', async () => {
    const store = make()
    const sizes = [1, 65536 + 16, 0x3000, 17]
    const address = await store.put(chunks(sizes))
    const got = await collect(store.get(address, sizes.length))
    expect(got.map(c => c.length)).toEqual(sizes)
    expect(got.map(c => c[0])).toEqual([1, 2, 3, 4])
  })
  it('rejects an unknown address with NOT_FOUND', async () => {
    const store = make()
    await expect(collect(store.get('00'.repeat(16), 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(collect(store.get('../../etc/passwd', 1))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('payload store construction', () => {
  it('refuses a bad name or directory with INVALID_INPUT', () => {
    for (const make of [
      () => new MemoryPayloadStore('Bad Name'),
      () => new FileSystemPayloadStore('', 'fs'),
      () => new FileSystemPayloadStore(42 as never),
      () => new FileSystemPayloadStore(tempDir(), '../x'),
    ])
      expect(make).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('FileSystemPayloadStore', () => {
  it('leaves no partial file when the source fails', async () => {
    const dir = tempDir()
    const store = new FileSystemPayloadStore(dir)
    async function* failing() {
      yield new Uint8Array(10)
      throw new Error('source broke')
    }
    await expect(store.put(failing())).rejects.toThrow('source broke')
    expect(readdirSync(dir)).toEqual([])
  })
})
