import { inspect } from 'node:util'
import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { DatapactError } from '../errors.js'
import { createMemberKeys, generateMemberKeys, type MemberKeys, REDACTED } from './memberKeys.js'
import { hex } from './testHelpers.js'
import { envelopePublicKey } from './x25519.js'

/** Every way a secret could be spelled in text: hex, base64, the decimal list inspect prints for a Uint8Array. */
function spellings(secret: Uint8Array): string[] {
  return [
    hex(secret),
    hex(secret).toUpperCase(),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    Array.from(secret.subarray(0, 8)).join(', '),
    Array.from(secret.subarray(0, 8)).join(','),
  ]
}

function expectNoSecret(text: string, keys: MemberKeys, where: string) {
  const secrets = [keys.envelope.secretKey, ...(keys.signing ? [keys.signing.secretKey] : [])]
  for (const s of secrets) for (const spelled of spellings(s)) expect(text, where).not.toContain(spelled)
}

describe('member keys', () => {
  it('generates an X25519 envelope pair and an ed25519 signing pair by default', () => {
    const keys = generateMemberKeys()
    expect(hex(keys.envelope.publicKey)).toBe(hex(envelopePublicKey(keys.envelope.secretKey)))
    expect(keys.signing?.kind).toBe('ed25519')
    expect(hex(keys.signing!.publicKey)).toBe(hex(ed25519.getPublicKey(keys.signing!.secretKey)))
    expect(generateMemberKeys({ signing: false }).signing).toBeUndefined()
  })

  it.each([
    ['secp256k1', (sk: Uint8Array) => secp256k1.getPublicKey(sk, true)],
    ['p256', (sk: Uint8Array) => p256.getPublicKey(sk, true)],
  ] as const)('supports %s signing keys (compressed public key)', (kind, pub) => {
    const keys = generateMemberKeys({ signing: kind })
    expect(keys.signing?.kind).toBe(kind)
    expect(keys.signing!.publicKey.length).toBe(33)
    expect(hex(keys.signing!.publicKey)).toBe(hex(pub(keys.signing!.secretKey)))
  })

  it('createMemberKeys rebuilds the same keys from secrets, copying them', () => {
    const keys = generateMemberKeys({ signing: 'secp256k1' })
    const envelopeSecretKey = keys.envelope.secretKey
    const again = createMemberKeys({
      envelopeSecretKey,
      signing: { kind: 'secp256k1', secretKey: keys.signing!.secretKey },
    })
    expect(hex(again.envelope.publicKey)).toBe(hex(keys.envelope.publicKey))
    expect(hex(again.signing!.publicKey)).toBe(hex(keys.signing!.publicKey))
    envelopeSecretKey.fill(0)
    expect(hex(again.envelope.secretKey)).toBe(hex(keys.envelope.secretKey))
    // Getters hand out copies: zeroing one does not damage the key set.
    again.envelope.secretKey.fill(0)
    again.envelope.publicKey.fill(0)
    expect(hex(again.envelope.secretKey)).toBe(hex(keys.envelope.secretKey))
    expect(hex(again.envelope.publicKey)).toBe(hex(keys.envelope.publicKey))
  })

  it('refuses an invalid secp256k1 / p256 scalar without echoing it', () => {
    const bad = new Uint8Array(32).fill(0xff)
    for (const kind of ['secp256k1', 'p256'] as const) {
      try {
        createMemberKeys({ envelopeSecretKey: new Uint8Array(32), signing: { kind, secretKey: bad } })
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(DatapactError)
        expect((e as DatapactError).code).toBe('INVALID_INPUT')
        expect((e as DatapactError).cause).toBeUndefined()
        expect(JSON.stringify({ m: (e as Error).message, d: (e as DatapactError).details })).not.toContain('ffffffff')
      }
    }
  })

  describe.each(['ed25519', 'secp256k1', false] as const)('secrets never leak (signing: %s)', signing => {
    const keys = generateMemberKeys({ signing })

    it('JSON.stringify shows public keys and [redacted]', () => {
      const json = JSON.stringify(keys)
      expectNoSecret(json, keys, 'JSON')
      expect(json).toContain(REDACTED)
      expect(json).toContain(hex(keys.envelope.publicKey))
      expectNoSecret(JSON.stringify({ nested: { deeper: [keys, keys.envelope, keys.signing] } }), keys, 'nested JSON')
    })

    it('String(), template literals and toString()', () => {
      for (const text of [String(keys), `${keys}`, keys.toString(), `${keys.envelope}`, String(keys.signing)])
        expectNoSecret(text, keys, 'string')
      expect(String(keys)).toContain(REDACTED)
    })

    it('util.inspect at any depth, with hidden properties, with and without custom inspection', () => {
      const holder = { a: { b: { c: { d: { keys, envelope: keys.envelope, signing: keys.signing } } } } }
      for (const options of [
        {},
        { depth: Number.POSITIVE_INFINITY },
        { depth: Number.POSITIVE_INFINITY, showHidden: true },
        { depth: Number.POSITIVE_INFINITY, showHidden: true, customInspect: false },
        { depth: Number.POSITIVE_INFINITY, getters: true, showHidden: true, customInspect: false },
      ]) {
        expectNoSecret(inspect(keys, options), keys, `inspect ${JSON.stringify(options)}`)
        expectNoSecret(inspect(holder, options), keys, `inspect nested ${JSON.stringify(options)}`)
      }
      expect(inspect(keys)).toContain(REDACTED)
    })

    it('Object.keys / entries / own property names / for..in see no secret', () => {
      for (const target of [keys, keys.envelope, keys.signing].filter(x => x !== undefined)) {
        const seen = [
          ...Object.keys(target),
          ...Object.getOwnPropertyNames(target),
          ...Object.entries(target).map(([k, v]) => `${k}=${inspect(v)}`),
        ]
        for (const k in target) seen.push(k)
        expectNoSecret(seen.join('\n'), keys, 'reflection')
        expect(seen.join(' ')).not.toMatch(/secret/i)
      }
    })

    it('structuredClone copies no secret', () => {
      const clone = structuredClone(keys) as unknown
      expectNoSecret(inspect(clone, { depth: Number.POSITIVE_INFINITY, showHidden: true }), keys, 'clone')
      expectNoSecret(JSON.stringify(clone), keys, 'clone JSON')
      const envelopeClone = structuredClone(keys.envelope) as unknown
      expectNoSecret(inspect(envelopeClone, { depth: Number.POSITIVE_INFINITY, showHidden: true }), keys, 'clone')
    })

    it('an error about the keys carries no secret', () => {
      const e = new DatapactError('INVALID_INPUT', `bad keys ${keys}`, { details: { keys: String(keys) }, cause: keys })
      expectNoSecret(inspect(e, { depth: Number.POSITIVE_INFINITY }), keys, 'error')
      expectNoSecret(`${e.stack}`, keys, 'stack')
    })
  })
})
