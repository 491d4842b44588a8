import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIN, cli, jsonError, member, PASSPHRASE, theWholeStory } from './helpers.js'

describe('datapact CLI on a memory ledger file (each command its own process)', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'datapact-cli-'))
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  const config = (memberId: string) => ({ ledger: { kind: 'memory', file: '../ledger.bin', member: memberId } })

  it('runs the whole story between a provider and a consumer', async () => {
    await theWholeStory(member(root, 'provider', config('mem:alice')), member(root, 'consumer', config('mem:bob')))
  })

  it('config check names each problem, and exits 3', async () => {
    writeFileSync(
      join(root, 'datapact.json'),
      JSON.stringify({ ledger: { kind: 'evm', rpcUrl: 'ftp://x', contract: '0x12', colour: 'blue' } }),
    )
    const r = await cli(['config', 'check', '--json'], { cwd: root })
    expect(r.code).toBe(3)
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ field: string }> }
    expect(report.ok).toBe(false)
    expect(report.problems.map(p => p.field).sort()).toEqual(
      ['keystore', 'ledger.colour', 'ledger.contract', 'ledger.privateKeyFile', 'ledger.rpcUrl'].sort(),
    )
    const human = await cli(['config', 'check'], { cwd: root })
    expect(human.code).toBe(3)
    expect(human.stdout).toMatch(/ledger\.rpcUrl: must be an http\(s\) or ws\(s\) URL/)
  })

  it('env variables and flags override the config file', async () => {
    const m = member(root, 'm', config('mem:alice'))
    await m.json(['keys', 'init', '--scrypt-n', '1024'])
    expect((await m.json<{ memberId: string }>(['whoami'])).memberId).toBe('mem:alice')
    const byEnv = await m.run(['whoami', '--json'], { DATAPACT_MEMBER: 'mem:carol' })
    expect(JSON.parse(byEnv.stdout).memberId).toBe('mem:carol')
    const byFlag = await m.run(['whoami', '--json', '--member', 'mem:dave'], { DATAPACT_MEMBER: 'mem:carol' })
    expect(JSON.parse(byFlag.stdout).memberId).toBe('mem:dave')
  })

  it('refuses bad input with typed errors and exit codes, leaving the ledger file untouched', async () => {
    const m = member(root, 'm', config('mem:alice'))
    await m.json(['keys', 'init', '--scrypt-n', '1024'])
    await m.json(['join', '--name', 'Alice', '--role', 'provider'])
    const ledger = readFileSync(join(root, 'ledger.bin'))
    const cases: Array<[string[], number, string]> = [
      [['register', 'missing.bin', '--currency', 'CNY'], 2, 'USAGE'],
      [['register', 'datapact.json', '--currency', 'CNY', '--price-per-access', '-1'], 2, 'USAGE'],
      [['register', 'datapact.json'], 2, 'USAGE'],
      [['publish', 'f'.repeat(64), 'datapact.json'], 4, 'NOT_FOUND'],
      [['grant', 'not-a-dataset', 'mem:bob'], 2, 'INVALID_INPUT'],
      [['fetch', 'f'.repeat(64), '-o', 'out.bin'], 4, 'NOT_FOUND'],
      [['statement'], 2, 'USAGE'],
      [['join', '--name', 'X', '--role', 'emperor'], 2, 'USAGE'],
      [['no-such-command'], 2, 'USAGE'],
    ]
    for (const [args, code, name] of cases) {
      const r = await m.run([...args, '--json'])
      expect({ args, code: r.code, error: jsonError(r).code }).toEqual({ args, code, error: name })
    }
    expect(readFileSync(join(root, 'ledger.bin')).equals(ledger)).toBe(true)
  })

  it('without a passphrase and without a terminal, says to set DATAPACT_PASSPHRASE', async () => {
    const m = member(root, 'm', config('mem:alice'))
    const r = await m.run(['keys', 'init'], { DATAPACT_PASSPHRASE: '' })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('DATAPACT_PASSPHRASE')
  })

  it('events --follow prints what another process commits, and stops on SIGTERM', async () => {
    const alice = member(root, 'alice', config('mem:alice'))
    const bob = member(root, 'bob', config('mem:bob'))
    for (const m of [alice, bob]) await m.json(['keys', 'init', '--scrypt-n', '1024'])
    await alice.json(['join', '--name', 'Alice', '--role', 'provider'])
    const follower = spawn(
      process.execPath,
      [BIN, '--config', alice.config, 'events', '--follow', '--json', '--interval', '100'],
      { cwd: alice.dir, env: { PATH: process.env.PATH ?? '', DATAPACT_PASSPHRASE: PASSPHRASE } },
    )
    let out = ''
    follower.stdout.on('data', d => {
      out += String(d)
    })
    const exited = new Promise<number | null>(resolve => follower.on('exit', code => resolve(code)))
    const until = async (what: () => boolean, label: string) => {
      const deadline = Date.now() + 120_000
      while (!what()) {
        if (Date.now() > deadline) throw new Error(`${label} never happened; output so far:\n${out}`)
        await new Promise(r => setTimeout(r, 100))
      }
    }
    try {
      await until(() => out.includes('"mem:alice"'), 'the replay of alice joining')
      await bob.json(['join', '--name', 'Bob', '--role', 'consumer'])
      await until(() => out.includes('"member":"mem:bob"'), 'bob joining, seen by the follower')
      const lines = out
        .trim()
        .split('\n')
        .map(l => JSON.parse(l) as { cursor: string; event: { type: string } })
      expect(lines.map(l => l.cursor)).toEqual(lines.map((_, i) => String(i + 1)))
    } finally {
      follower.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('a fetch that cannot write its output exits 16 (OUTPUT) and leaves nothing behind', async () => {
    const alice = member(root, 'alice', config('mem:alice'))
    const bob = member(root, 'bob', config('mem:bob'))
    for (const m of [alice, bob]) await m.json(['keys', 'init', '--scrypt-n', '1024'])
    await alice.json(['join', '--name', 'Alice', '--role', 'provider'])
    await bob.json(['join', '--name', 'Bob', '--role', 'consumer'])
    writeFileSync(join(alice.dir, 'd.bin'), 'x'.repeat(5000))
    const { id } = await alice.json<{ id: string }>(['register', 'd.bin', '--currency', 'CNY'])
    await alice.json(['grant', id, 'mem:bob'])
    // The output's directory is a file: the temporary file cannot be created there.
    writeFileSync(join(bob.dir, 'not-a-dir'), '')
    const r = await bob.run(['fetch', id, '-o', 'not-a-dir/out.bin', '--json'])
    expect(r.code).toBe(16)
    expect(jsonError(r).code).toBe('OUTPUT')
    // It failed before the fetch: nothing metered, nothing written.
    expect((await bob.json<{ records: unknown[] }>(['usage'])).records).toEqual([])
    expect(readdirSync(bob.dir).filter(f => f.endsWith('.part'))).toEqual([])
  })
})
