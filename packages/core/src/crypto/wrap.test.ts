import { describe, expect, it } from 'vitest'
import { generateDataKey } from './stream.js'
import { BACKENDS, hex, thrownCode } from './testHelpers.js'
import { unwrapKey, WRAPPED_KEY_LENGTH, wrapKey, wrapKeys } from './wrap.js'
import { envelopePublicKey, generateEnvelopeKeyPair } from './x25519.js'

const datasetId = new Uint8Array(32).fill(0xd1)

describe.each(BACKENDS)('key wrapping (%s)', backend => {
  const bob = generateEnvelopeKeyPair({ backend })
  const binding = { datasetId, version: 3, recipientId: 'bob@org1' }

  it('wraps into the documented 91-byte envelope and unwraps on both backends', async () => {
    const dataKey = generateDataKey()
    const wrapped = await wrapKey({ dataKey, recipientPublicKey: bob.publicKey, ...binding, backend })
    expect(wrapped.length).toBe(WRAPPED_KEY_LENGTH)
    expect(hex(wrapped.subarray(0, 11))).toBe('44504b5701002000010003') // 'DPKW', v1, kem 0x20, kdf 1, aead 3
    for (const b of BACKENDS) {
      const back = await unwrapKey({ wrapped, recipientSecretKey: bob.secretKey, ...binding, backend: b })
      expect(hex(back)).toBe(hex(dataKey))
    }
    const again = await wrapKey({ dataKey, recipientPublicKey: bob.publicKey, ...binding, backend })
    expect(hex(again)).not.toBe(hex(wrapped)) // fresh ephemeral key every time
  })

  it('refuses any other binding, key or byte with INTEGRITY', async () => {
    const dataKey = generateDataKey()
    const wrapped = await wrapKey({ dataKey, recipientPublicKey: bob.publicKey, ...binding, backend })
    const unwrap = (change: Record<string, unknown>) =>
      thrownCode(() => unwrapKey({ wrapped, recipientSecretKey: bob.secretKey, ...binding, backend, ...change }))
    expect(await unwrap({})).toBe('no error')
    expect(await unwrap({ datasetId: new Uint8Array(32).fill(0xd2) })).toBe('INTEGRITY')
    expect(await unwrap({ version: 4 })).toBe('INTEGRITY')
    expect(await unwrap({ recipientId: 'bob@org2' })).toBe('INTEGRITY')
    expect(await unwrap({ recipientId: 'bob@org1 ' })).toBe('INTEGRITY')
    expect(await unwrap({ recipientSecretKey: generateEnvelopeKeyPair().secretKey })).toBe('INTEGRITY')
    for (let i = 0; i < wrapped.length; i++) {
      const bad = wrapped.slice()
      bad[i]! ^= 0x01
      expect(await unwrap({ wrapped: bad })).toBe('INTEGRITY')
    }
    expect(await unwrap({ wrapped: wrapped.subarray(0, 90) })).toBe('INTEGRITY')
    expect(await unwrap({ wrapped: Uint8Array.of(...wrapped, 0) })).toBe('INTEGRITY')
    expect(await unwrap({ wrapped: new Uint8Array(0) })).toBe('INTEGRITY')
  })

  it('binds the recipient id byte-exactly (no Unicode normalization, no confusion of length-prefixed fields)', async () => {
    const dataKey = generateDataKey()
    const nfc = 'caf\u00e9'
    const nfd = 'cafe\u0301'
    const wrapped = await wrapKey({ dataKey, recipientPublicKey: bob.publicKey, ...binding, recipientId: nfc, backend })
    const unwrap = (recipientId: string) =>
      thrownCode(() => unwrapKey({ wrapped, recipientSecretKey: bob.secretKey, ...binding, recipientId, backend }))
    expect(await unwrap(nfc)).toBe('no error')
    expect(await unwrap(nfd)).toBe('INTEGRITY')
    expect(await unwrap('bad\ud800')).toBe('INVALID_INPUT')
  })

  it('wrapKeys wraps for many recipients, in order', async () => {
    const dataKey = generateDataKey()
    const members = Array.from({ length: 40 }, (_, i) => ({ recipientId: `m${i}`, keys: generateEnvelopeKeyPair() }))
    const wrapped = await wrapKeys({
      dataKey,
      datasetId,
      version: 1,
      recipients: members.map(m => ({ recipientId: m.recipientId, publicKey: m.keys.publicKey })),
      backend,
      concurrency: 7,
    })
    expect(wrapped.length).toBe(40)
    for (const [i, m] of members.entries()) {
      const key = await unwrapKey({
        wrapped: wrapped[i]!,
        recipientSecretKey: m.keys.secretKey,
        datasetId,
        version: 1,
        recipientId: m.recipientId,
        backend,
      })
      expect(hex(key)).toBe(hex(dataKey))
    }
    expect(await wrapKeys({ dataKey, datasetId, version: 1, recipients: [], backend })).toEqual([])
  })

  it('refuses a low-order public key with INVALID_INPUT naming the argument', async () => {
    const dataKey = generateDataKey()
    const zero = new Uint8Array(32)
    await expect(wrapKey({ dataKey, recipientPublicKey: zero, ...binding, backend })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { argument: 'recipientPublicKey' },
    })
    const recipients = [
      { recipientId: 'a', publicKey: bob.publicKey },
      { recipientId: 'b', publicKey: zero },
    ]
    await expect(wrapKeys({ dataKey, datasetId, version: 1, recipients, backend })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { argument: 'recipients[1].publicKey' },
    })
  })

  it('derives the public key from the bytes it is given, even when the caller refills the same array', () => {
    const a = generateEnvelopeKeyPair()
    const b = generateEnvelopeKeyPair()
    const buf = a.secretKey.slice()
    expect(hex(envelopePublicKey(buf, { backend }))).toBe(hex(a.publicKey))
    buf.set(b.secretKey)
    expect(hex(envelopePublicKey(buf, { backend }))).toBe(hex(b.publicKey))
  })

  it('envelope key pairs are raw X25519: the public key derives from the secret', () => {
    const kp = generateEnvelopeKeyPair({ backend })
    expect(kp.publicKey.length).toBe(32)
    expect(kp.secretKey.length).toBe(32)
    for (const b of BACKENDS) expect(hex(envelopePublicKey(kp.secretKey, { backend: b }))).toBe(hex(kp.publicKey))
    expect(hex(generateEnvelopeKeyPair({ backend }).secretKey)).not.toBe(hex(kp.secretKey))
  })
})
