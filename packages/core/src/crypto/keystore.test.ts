import { describe, expect, it } from 'vitest'
import { DEFAULT_SCRYPT_N, type KeystoreFile, lockKeystore, MIN_SCRYPT_N, unlockKeystore } from './keystore.js'
import { generateMemberKeys } from './memberKeys.js'
import { hex } from './testHelpers.js'

// biome-ignore lint/suspicious/noExplicitAny: the malformed-file table rewrites arbitrary fields of parsed JSON
type Loose = Record<string, any>

const N = MIN_SCRYPT_N // tests use the floor; production files use DEFAULT_SCRYPT_N
const pass = 'correct horse battery staple'

async function failure(json: string, passphrase = pass) {
  try {
    await unlockKeystore(json, passphrase)
    return { code: 'no error', message: '', argument: undefined }
  } catch (e) {
    const err = e as { code: string; message: string; details: { argument?: string } }
    return { code: err.code, message: err.message, argument: err.details.argument }
  }
}

describe('keystore', () => {
  it.each(['ed25519', 'secp256k1', 'p256', false] as const)('round-trips keys (signing: %s)', async signing => {
    const keys = generateMemberKeys({ signing })
    const json = await lockKeystore(keys, pass, { N })
    const file = JSON.parse(json) as KeystoreFile
    expect(file).toMatchObject({
      format: 'datapact-keystore',
      version: 1,
      kdf: { name: 'scrypt', N, r: 8, p: 1 },
      aead: { name: 'xchacha20poly1305' },
      public: { envelope: hex(keys.envelope.publicKey) },
    })
    expect(file.kdf.salt).toMatch(/^[0-9a-f]{64}$/)
    expect(file.aead.nonce).toMatch(/^[0-9a-f]{48}$/)
    if (signing) expect(file.public.signing).toEqual({ kind: signing, publicKey: hex(keys.signing!.publicKey) })
    else expect(file.public.signing).toBeUndefined()
    expect(json).not.toContain(hex(keys.envelope.secretKey))
    const back = await unlockKeystore(json, pass)
    expect(hex(back.envelope.secretKey)).toBe(hex(keys.envelope.secretKey))
    expect(hex(back.envelope.publicKey)).toBe(hex(keys.envelope.publicKey))
    expect(back.signing?.kind).toBe(keys.signing?.kind)
    if (signing) expect(hex(back.signing!.secretKey)).toBe(hex(keys.signing!.secretKey))
  })

  it('uses fresh salt and nonce for every lock', async () => {
    const keys = generateMemberKeys()
    const a = JSON.parse(await lockKeystore(keys, pass, { N })) as KeystoreFile
    const b = JSON.parse(await lockKeystore(keys, pass, { N })) as KeystoreFile
    expect(a.kdf.salt).not.toBe(b.kdf.salt)
    expect(a.aead.nonce).not.toBe(b.aead.nonce)
    expect(a.ciphertext).not.toBe(b.ciphertext)
  })

  it('defaults to scrypt N = 2^17, r = 8, p = 1', async () => {
    const file = JSON.parse(await lockKeystore(generateMemberKeys(), pass)) as KeystoreFile
    expect(file.kdf).toMatchObject({ N: DEFAULT_SCRYPT_N, r: 8, p: 1 })
    expect(DEFAULT_SCRYPT_N).toBe(2 ** 17)
  })

  it('normalizes the passphrase (NFKC) before deriving the key', async () => {
    const json = await lockKeystore(generateMemberKeys(), 'ca\u0301fe\ufb01', { N })
    expect((await failure(json, 'c\u00e1fefi')).code).toBe('no error')
  })

  it('a wrong passphrase is ACCESS_DENIED, saying so', async () => {
    const json = await lockKeystore(generateMemberKeys(), pass, { N })
    const f = await failure(json, 'correct horse battery stapler')
    expect(f.code).toBe('ACCESS_DENIED')
    expect(f.message).toMatch(/passphrase is wrong or the file is damaged/)
  })

  it('a damaged file is ACCESS_DENIED: every field is authenticated', async () => {
    const keys = generateMemberKeys({ signing: 'secp256k1' })
    const json = await lockKeystore(keys, pass, { N })
    const edit = (change: (f: KeystoreFile) => void) => {
      const f = JSON.parse(json) as KeystoreFile
      change(f)
      return JSON.stringify(f)
    }
    const flipHex = (s: string, at: number) => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1)
    const other = generateMemberKeys({ signing: 'secp256k1' })
    for (const damaged of [
      edit(f => {
        f.ciphertext = flipHex(f.ciphertext, 10)
      }),
      edit(f => {
        f.ciphertext = flipHex(f.ciphertext, f.ciphertext.length - 1)
      }),
      edit(f => {
        f.kdf.salt = flipHex(f.kdf.salt, 0)
      }),
      edit(f => {
        f.aead.nonce = flipHex(f.aead.nonce, 5)
      }),
      edit(f => {
        f.kdf.N = 2 * N
      }),
      edit(f => {
        f.public.envelope = hex(other.envelope.publicKey)
      }),
      edit(f => {
        f.public.signing = { kind: 'p256', publicKey: hex(other.signing!.publicKey) }
      }),
      edit(f => {
        delete f.public.signing
      }),
    ])
      expect((await failure(damaged)).code).toBe('ACCESS_DENIED')
  })

  it('a malformed file is INVALID_INPUT naming the field', async () => {
    const json = await lockKeystore(generateMemberKeys(), pass, { N })
    const edit = (change: (f: Loose) => void) => {
      const f = JSON.parse(json) as Loose
      change(f)
      return JSON.stringify(f)
    }
    const cases: [string, string | undefined][] = [
      ['{', 'keystore'],
      ['[]', 'keystore'],
      ['null', 'keystore'],
      [edit(f => (f.format = 'other')), 'keystore.format'],
      [edit(f => (f.version = 2)), 'keystore.version'],
      [edit(f => (f.extra = 1)), 'keystore.extra'],
      [edit(f => delete f.kdf), 'keystore.kdf'],
      [edit(f => (f.kdf.name = 'pbkdf2')), 'keystore.kdf.name'],
      [edit(f => (f.kdf.N = 3000)), 'keystore.kdf.N'],
      [edit(f => (f.kdf.N = 2 ** 9)), 'keystore.kdf.N'],
      [edit(f => (f.kdf.N = 2 ** 21)), 'keystore.kdf.N'],
      [edit(f => (f.kdf.r = 0)), 'keystore.kdf.r'],
      [edit(f => (f.kdf.p = '1')), 'keystore.kdf.p'],
      [edit(f => (f.kdf.salt = f.kdf.salt.toUpperCase())), 'keystore.kdf.salt'],
      [edit(f => (f.kdf.salt = f.kdf.salt.slice(2))), 'keystore.kdf.salt'],
      [edit(f => (f.aead.name = 'aes-gcm')), 'keystore.aead.name'],
      [edit(f => (f.aead.nonce = 'zz')), 'keystore.aead.nonce'],
      [edit(f => (f.ciphertext = f.ciphertext.slice(2))), 'keystore.ciphertext'],
      [edit(f => (f.public.envelope = 42)), 'keystore.public.envelope'],
      [edit(f => (f.public.signing.kind = 'rsa')), 'keystore.public.signing.kind'],
      [edit(f => (f.public.signing.extra = true)), 'keystore.public.signing.extra'],
    ]
    for (const [text, argument] of cases) {
      const f = await failure(text)
      expect(f.code, text).toBe('INVALID_INPUT')
      expect(f.argument, text).toBe(argument)
    }
  })
})
