import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))

/** Runs an example's start script in its own folder; resolves with its output. */
const start = async (example: string, env: Record<string, string> = {}) => {
  const { stdout } = await run('pnpm', ['--silent', 'start'], {
    cwd: join(here, example),
    env: { ...process.env, ...env },
    timeout: 170_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  return stdout
}

describe('examples', () => {
  it('quickstart: the whole story on the memory ledger ends with a clean audit', async () => {
    const out = await start('quickstart')
    expect(out).toContain('provider offline')
    expect(out).toContain('identical — nothing to reconcile')
    expect(out).toMatch(/violations: 0 → CLEAN/)
    expect(out).toMatch(/reloaded \d+ events .* audit CLEAN/)
    // Refusals are part of the story: tampering (nothing billed), an exhausted quota, a revoked grant.
    expect(out).toMatch(/tampered payload: refused: INTEGRITY/)
    expect(out).toContain('nothing was billed: grant usage 0 of 1')
    expect(out).toMatch(/quota exhausted: refused: QUOTA_EXCEEDED/)
    expect(out).toMatch(/after revocation: refused: GRANT_REVOKED/)
    // Members come back from their keystore files, not from freshly generated keys.
    expect(out).toMatch(/keystores: alice-data-ltd\.keystore\.json, bob-analytics\.keystore\.json/)
    expect(out).toContain('reopened from her keystore file')
    expect(out).toContain('the regulator from its keystore')
  })
  it('evm: the story on Anvil settles on chain', async () => {
    const out = await start('evm')
    expect(out).toContain('same digest: true')
    expect(out).toMatch(/audit: .* CLEAN/)
  })
  it('fabric: the story through the gateway test server audits clean', async () => {
    const out = await start('fabric')
    expect(out).toMatch(/CLEAN/)
  })
  it('service: the HTTP backend streams a metered fetch and maps errors to statuses', async () => {
    const out = await start('service', { SELF_TEST: '1', PORT: '0' })
    expect(out).toMatch(/GET \/datasets\/[0-9a-f]{64} -> 200 hour,mw/)
    expect(out).toContain('GET /datasets/nope -> 400')
    expect(out).toContain('keys from the keystore')
  })
})
