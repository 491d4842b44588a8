import { describe, expect, it } from 'vitest'
import { decodeHeader, encodeHeader, HEADER_LENGTH, type PayloadHeader } from './header.js'
import { hex, thrownCode } from './testHelpers.js'

const header: PayloadHeader = {
  formatVersion: 1,
  algorithm: 'chacha20poly1305',
  chunkSize: 65536,
  datasetId: new Uint8Array(32).fill(0xd5),
  version: 7,
  salt: new Uint8Array(32).fill(0x5a),
}

describe('payload header', () => {
  it('encodes the documented fixed layout', () => {
    const b = encodeHeader(header)
    expect(b.length).toBe(HEADER_LENGTH)
    expect(hex(b)).toBe(`44504159010100010000${'d5'.repeat(32)}00000007${'5a'.repeat(32)}`)
  })

  it('round-trips, and encode(decode(b)) == b', () => {
    const b = encodeHeader(header)
    const d = decodeHeader(b)
    expect(d).toEqual(header)
    expect(hex(encodeHeader(d))).toBe(hex(b))
    for (const chunkSize of [1024, 16 * 1024 * 1024]) {
      const e = encodeHeader({ ...header, chunkSize, version: 0xffffffff })
      expect(decodeHeader(e)).toMatchObject({ chunkSize, version: 0xffffffff })
    }
  })

  it('decodes copies: changing the input later does not change the result', () => {
    const b = encodeHeader(header)
    const d = decodeHeader(b)
    b.fill(0)
    expect(d.salt[0]).toBe(0x5a)
  })

  const encoded = encodeHeader(header)
  const patch = (at: number, bytes: number[]) => {
    const b = encoded.slice()
    b.set(bytes, at)
    return b
  }
  it.each([
    ['a trailing byte', Uint8Array.of(...encoded, 0)],
    ['a missing byte', encoded.subarray(0, HEADER_LENGTH - 1)],
    ['no bytes', new Uint8Array(0)],
    ['another magic', patch(0, [0x44, 0x50, 0x41, 0x5a])],
    ['an unknown format version', patch(4, [2])],
    ['format version 0', patch(4, [0])],
    ['an unknown algorithm', patch(5, [2])],
    ['a chunk size below 1 KiB', patch(6, [0, 0, 0x03, 0xff])],
    ['a chunk size above 16 MiB', patch(6, [0x01, 0, 0, 0x01])],
    ['version 0', patch(42, [0, 0, 0, 0])],
  ])('rejects %s with INVALID_INPUT', async (_, bytes) => {
    expect(await thrownCode(() => decodeHeader(bytes))).toBe('INVALID_INPUT')
  })

  it.each([
    ['formatVersion', { formatVersion: 2 }],
    ['algorithm', { algorithm: 'aes' }],
    ['chunkSize', { chunkSize: 1023 }],
    ['chunkSize', { chunkSize: 1024.5 }],
    ['datasetId', { datasetId: new Uint8Array(31) }],
    ['version', { version: 0 }],
    ['version', { version: 2 ** 32 }],
    ['salt', { salt: 'salt' }],
  ])('refuses to encode a bad %s', async (field, change) => {
    try {
      encodeHeader({ ...header, ...change } as PayloadHeader)
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_INPUT', details: { argument: `header.${field}` } })
    }
  })
})
