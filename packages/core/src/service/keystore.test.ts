import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateMemberKeys, MIN_SCRYPT_N } from '../crypto/index.js'
import { bytesToHex } from '../internal/bytes.js'
import { openKeystore, PASSPHRASE_ENV, saveKeystore } from './keystore.js'

const dir = mkdtempSync(join(tmpdir(), 'datapact-service-keystore-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const N = MIN_SCRYPT_N
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: { code?: string }) => e.code,
  )

describe('keystore files', () => {
  it('saves keys owner-only and reopens them with the passphrase from the environment', async () => {
    const keys = generateMemberKeys()
    const file = join(dir, 'a.keystore.json')
    process.env[PASSPHRASE_ENV] = 'pass one'
    await saveKeystore(file, keys, { N })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).not.toContain(bytesToHex(keys.envelope.secretKey))
    const back = await openKeystore(file)
    expect(bytesToHex(back.envelope.secretKey)).toBe(bytesToHex(keys.envelope.secretKey))
    delete process.env[PASSPHRASE_ENV]
    process.env.DATAPACT_TEST_PASS = 'pass one'
    const named = await openKeystore(file, { passphraseEnv: 'DATAPACT_TEST_PASS' })
    expect(bytesToHex(named.envelope.publicKey)).toBe(bytesToHex(keys.envelope.publicKey))
    expect(bytesToHex((await openKeystore(file, { passphrase: 'pass one' })).envelope.publicKey)).toBe(
      bytesToHex(keys.envelope.publicKey),
    )
  })

  it('never overwrites a keystore and leaves no temporary file behind', async () => {
    const file = join(dir, 'b.keystore.json')
    await saveKeystore(file, generateMemberKeys(), { passphrase: 'p', N })
    const before = readFileSync(file, 'utf8')
    expect(await code(saveKeystore(file, generateMemberKeys(), { passphrase: 'p', N }))).toBe('CONFLICT')
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect((await import('node:fs')).readdirSync(dir).filter(f => f.endsWith('.tmp'))).toEqual([])
  })

  it('says what is wrong: unset variable, missing file, wrong passphrase, not a keystore', async () => {
    const file = join(dir, 'c.keystore.json')
    await saveKeystore(file, generateMemberKeys(), { passphrase: 'right', N })
    delete process.env[PASSPHRASE_ENV]
    const unset = await openKeystore(file).catch(e => e)
    expect(unset).toMatchObject({ code: 'INVALID_INPUT' })
    expect(unset.message).toContain(PASSPHRASE_ENV)
    expect(await code(openKeystore(join(dir, 'none.json'), { passphrase: 'x' }))).toBe('NOT_FOUND')
    expect(await code(openKeystore(file, { passphrase: 'wrong' }))).toBe('ACCESS_DENIED')
    const junk = join(dir, 'junk.json')
    writeFileSync(junk, '{"not":"a keystore"}')
    expect(await code(openKeystore(junk, { passphrase: 'x' }))).toBe('INVALID_INPUT')
    const wrong = await openKeystore(file, { passphrase: 'zebra-17-secret' }).catch(e => e)
    expect(`${wrong.message} ${JSON.stringify(wrong.details)}`).not.toContain('zebra-17')
  })
})
