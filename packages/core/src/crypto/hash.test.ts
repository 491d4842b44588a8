import { describe, expect, it } from 'vitest'
import { createSha256, sha256 } from './hash.js'
import { BACKENDS, hex, pseudoRandom, thrownCode } from './testHelpers.js'

const utf8 = (s: string) => new TextEncoder().encode(s)

describe.each(BACKENDS)('sha256 (%s)', backend => {
  // FIPS 180-2 appendix B examples.
  it('matches the FIPS 180-2 examples', () => {
    expect(hex(sha256(utf8('abc'), { backend }))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), { backend }))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    )
    expect(hex(sha256(new Uint8Array(0), { backend }))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
  })

  it('returns a plain 32-byte Uint8Array', () => {
    const d = sha256(utf8('x'), { backend })
    expect(d.constructor).toBe(Uint8Array)
    expect(d.length).toBe(32)
  })

  it('hashes incrementally to the same digest, in any pieces', () => {
    const data = pseudoRandom(10_000, 7)
    const h = createSha256({ backend })
    h.update(data.subarray(0, 1)).update(data.subarray(1, 4097)).update(new Uint8Array(0)).update(data.subarray(4097))
    expect(hex(h.digest())).toBe(hex(sha256(data, { backend })))
  })

  it('refuses to be used after digest() with CONFLICT', async () => {
    const h = createSha256({ backend })
    h.digest()
    expect(await thrownCode(() => h.digest())).toBe('CONFLICT')
    expect(await thrownCode(() => h.update(new Uint8Array(1)))).toBe('CONFLICT')
  })
})
