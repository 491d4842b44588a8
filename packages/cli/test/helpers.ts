import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
/** The built bin (`pnpm build` first): the tests run the CLI exactly as an operator does, as a subprocess. */
export const BIN = join(here, '..', 'dist', 'bin.js')

/** What one CLI run gave. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** A member's CLI: its own config file in its own directory. */
export interface Member {
  dir: string
  config: string
  run(args: string[], env?: Record<string, string>): Promise<CliRun>
  /** Runs with --json, expects exit 0, parses stdout. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>
}

/** Spawns `node dist/bin.js ...args` and waits for it (asynchronously: test servers in this process keep serving). */
export function cli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`)
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** The passphrase of every test keystore (given through DATAPACT_PASSPHRASE, as a script would). */
export const PASSPHRASE = 'correct horse battery staple'

/** Creates a member directory with a config file; runs the CLI there with DATAPACT_PASSPHRASE set. */
export function member(
  root: string,
  name: string,
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Member {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'datapact.json')
  writeFileSync(file, JSON.stringify({ keystore: `${name}.keystore.json`, ...config }, null, 2))
  const run = (args: string[], more: Record<string, string> = {}) =>
    cli(['--config', file, ...args], { cwd: dir, env: { DATAPACT_PASSPHRASE: PASSPHRASE, ...env, ...more } })
  return {
    dir,
    config: file,
    run,
    async json<T>(args: string[]) {
      const r = await run([...args, '--json'])
      if (r.code !== 0) throw new Error(`datapact ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
      return JSON.parse(r.stdout) as T
    },
  }
}

/** The error line a failed `--json` run prints on stderr. */
export function jsonError(r: CliRun): { code: string; exitCode: number; message: string; hint?: string } {
  const line = r.stderr.trim().split('\n').at(-1) ?? ''
  return (JSON.parse(line) as { error: { code: string; exitCode: number; message: string } }).error
}

/**
 * The whole story between a provider and a consumer, each with its own CLI config, every step a real `datapact`
 * process: keys init, join, register a file, grant, fetch to a file (verified against the original bytes), usage,
 * statement from both sides (same digest), settle by both sides, audit, bad input refused with state untouched,
 * revoke, then a refused fetch with the GRANT_REVOKED exit code and no output left behind.
 */
export async function theWholeStory(provider: Member, consumer: Member, size = 200_000): Promise<void> {
  for (const m of [provider, consumer]) {
    const r = await m.json<{ keystore: string; envelopeKey: string }>(['keys', 'init', '--scrypt-n', '1024'])
    expect(r.envelopeKey).toMatch(/^[0-9a-f]{64}$/)
    expect(readFileSync(r.keystore, 'utf8')).not.toContain(PASSPHRASE)
  }
  // A second init would lose the keys: refused (CONFLICT, exit 10) without touching the file.
  const before = readFileSync(join(provider.dir, 'provider.keystore.json'), 'utf8')
  const again = await provider.run(['keys', 'init', '--json'])
  expect(again.code).toBe(10)
  expect(jsonError(again).code).toBe('CONFLICT')
  expect(readFileSync(join(provider.dir, 'provider.keystore.json'), 'utf8')).toBe(before)

  const joined = await provider.json<{ joined: boolean; member: { id: string } }>([
    'join',
    '--name',
    'Alice Data Ltd',
    '--role',
    'provider',
  ])
  expect(joined.joined).toBe(true)
  await consumer.json(['join', '--name', 'Bob Analytics', '--role', 'consumer'])
  const rejoin = await consumer.json<{ joined: boolean }>(['join', '--name', 'Bob Analytics', '--role', 'consumer'])
  expect(rejoin.joined).toBe(false)
  const providerId = joined.member.id
  const { memberId: consumerId } = await consumer.json<{ memberId: string }>(['whoami'])

  const data = randomBytes(size)
  writeFileSync(join(provider.dir, 'prices.bin'), data)
  const reg = await provider.json<{ id: string; version: { number: number; size: number } }>([
    'register',
    'prices.bin',
    '--title',
    'Daily closing prices',
    '--tag',
    'finance',
    '--currency',
    'CNY',
    '--price-per-access',
    '100',
  ])
  expect(reg.id).toMatch(/^[0-9a-f]{64}$/)
  expect(reg.version).toMatchObject({ number: 1, size })
  const catalog = await consumer.json<{ datasets: Array<{ id: string; metadata: { title: string } }> }>(['catalog'])
  expect(catalog.datasets.map(d => d.id)).toContain(reg.id)

  // Bad input at the CLI: a typed error with its exit code, and the ledger unchanged.
  const eventsBefore = (await provider.run(['events', '--json'])).stdout
  const bad = await provider.run(['grant', reg.id, consumerId, '--max-accesses', 'ten', '--json'])
  expect(bad.code).toBe(2)
  expect(jsonError(bad).code).toBe('USAGE')
  const badScope = await provider.run(['grant', reg.id, consumerId, '--scope', 'some', '--json'])
  expect(badScope.code).toBe(2)
  expect((await provider.run(['events', '--json'])).stdout).toBe(eventsBefore)

  const granted = await provider.json<{ grants: Array<{ grantee: string; maxAccesses: number }> }>([
    'grant',
    reg.id,
    consumerId,
    '--max-accesses',
    '5',
  ])
  expect(granted.grants[0]).toMatchObject({ grantee: consumerId, maxAccesses: 5 })

  const fetched = await consumer.json<{ output: string; receipt: { record: { amount: string } } }>([
    'fetch',
    reg.id,
    '-o',
    'prices.bin',
  ])
  expect(readFileSync(fetched.output).equals(data)).toBe(true)
  expect(fetched.receipt.record.amount).toBe('100')
  // An existing output is not overwritten without --force.
  const exists = await consumer.run(['fetch', reg.id, '-o', 'prices.bin', '--json'])
  expect(exists.code).toBe(2)

  const usage = await consumer.json<{ records: Array<{ consumer: string; amount: string }> }>(['usage'])
  expect(usage.records).toHaveLength(1)
  expect(usage.records[0]).toMatchObject({ consumer: consumerId, amount: '100' })

  const fromConsumer = await consumer.json<{ statement: { digest: string; amount: string; count: number } }>([
    'statement',
    '--provider',
    providerId,
  ])
  const fromProvider = await provider.json<{ statement: { digest: string } }>(['statement', '--consumer', consumerId])
  expect(fromConsumer.statement).toMatchObject({ amount: '100', count: 1 })
  expect(fromProvider.statement.digest).toBe(fromConsumer.statement.digest)
  const human = await consumer.run(['statement', '--provider', providerId])
  expect(human.code).toBe(0)
  expect(human.stdout).toMatch(/amount:\s+100 CNY/)

  const first = await consumer.json<{ settled: boolean }>(['settle', '--provider', providerId])
  expect(first.settled).toBe(false)
  const second = await provider.json<{ settled: boolean; settlement: { settledAmount: string } }>([
    'settle',
    '--consumer',
    consumerId,
  ])
  expect(second).toMatchObject({ settled: true, settlement: { settledAmount: '100' } })

  const audit = await provider.json<{ report: { ok: boolean; usageRecords: number; violations: unknown[] } }>([
    'audit',
    '--payloads',
  ])
  expect(audit.report).toMatchObject({ ok: true, usageRecords: 1, violations: [] })

  await provider.json(['revoke', reg.id, consumerId])
  const refused = await consumer.run(['fetch', reg.id, '-o', 'again.bin', '--json'])
  expect(refused.code).toBe(6)
  expect(jsonError(refused).code).toBe('GRANT_REVOKED')
  expect(jsonError(refused).hint).toMatch(/ask/)
  // Nothing half-written: neither the output nor a temporary file.
  expect(readdirSync(consumer.dir).filter(f => f.includes('again'))).toEqual([])
  // A wrong passphrase is refused without echoing it.
  const wrong = await consumer.run(['catalog', '--json'], { DATAPACT_PASSPHRASE: 'not-the-passphrase' })
  expect(wrong.code).toBe(5)
  expect(wrong.stdout + wrong.stderr).not.toContain('not-the-passphrase')

  const events = (await provider.run(['events', '--json'])).stdout
    .trim()
    .split('\n')
    .map(l => JSON.parse(l))
  expect(events.map(e => e.event.type)).toEqual(
    expect.arrayContaining(['MemberJoined', 'DatasetRegistered', 'AccessGranted', 'UsageRecorded', 'AccessRevoked']),
  )
}
