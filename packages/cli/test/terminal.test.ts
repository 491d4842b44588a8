import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, member, PASSPHRASE } from './helpers.js'

/** Runs a shell command line in a pseudo-terminal (util-linux `script`); resolves with what the terminal showed. */
function inTerminal(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; screen: string }> {
  return new Promise(resolve => {
    execFile(
      'script',
      ['--quiet', '--return', '--command', command, '/dev/null'],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm-256color', ...env },
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, screen: String(stdout) })
      },
    )
  })
}

const sh = (args: string[]) => args.map(a => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
/** tmux on its own server socket, so no other tmux on the machine is touched. */
const socket = `datapact-cli-test-${process.pid}`
const tmux = (args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile('tmux', ['-L', socket, ...args], { timeout: 30_000 }, (e, out) => (e ? reject(e) : resolve(String(out)))),
  )

describe('datapact CLI in a terminal', () => {
  let root: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'datapact-cli-tty-'))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('draws a progress bar for a large file, and --json output parses (no bar mixed in)', async () => {
    const config = (id: string) => ({ ledger: { kind: 'memory', file: '../ledger.bin', member: id } })
    const alice = member(root, 'alice', config('mem:alice'))
    const bob = member(root, 'bob', config('mem:bob'))
    for (const m of [alice, bob]) await m.json(['keys', 'init', '--scrypt-n', '1024'])
    await alice.json(['join', '--name', 'Alice', '--role', 'provider'])
    await bob.json(['join', '--name', 'Bob', '--role', 'consumer'])
    const big = randomBytes(16 * 1024 * 1024)
    writeFileSync(join(alice.dir, 'big.bin'), big)
    const env = { DATAPACT_PASSPHRASE: PASSPHRASE }
    const node = process.execPath

    const reg = await inTerminal(
      sh([node, BIN, '--config', alice.config, 'register', 'big.bin', '--currency', 'CNY']),
      alice.dir,
      env,
    )
    expect(reg.code).toBe(0)
    expect(reg.screen).toMatch(/encrypting \[[#-]+\] \d+% \| [\d.]+ (KiB|MiB|B)\/16\.0 MiB/)
    expect(reg.screen).toMatch(/encrypting \[#+\] 100% \| 16\.0 MiB\/16\.0 MiB/)
    const id = /dataset:\s+([0-9a-f]{64})/.exec(reg.screen)?.[1]
    expect(id).toBeDefined()
    await alice.json(['grant', id!, 'mem:bob'])

    const fetched = await inTerminal(
      sh([node, BIN, '--config', bob.config, 'fetch', id!, '-o', 'big.bin']),
      bob.dir,
      env,
    )
    expect(fetched.code).toBe(0)
    expect(fetched.screen).toMatch(/fetching {3}\[#+\] 100% \| 16\.0 MiB\/16\.0 MiB/)
    expect(readFileSync(join(bob.dir, 'big.bin')).equals(big)).toBe(true)

    // --json in a terminal: stdout is exactly one JSON document, no bar drawn.
    const json = await inTerminal(
      sh([node, BIN, '--config', bob.config, 'fetch', id!, '-o', 'again.bin', '--json']),
      bob.dir,
      env,
    )
    expect(json.code).toBe(0)
    expect(json.screen).not.toContain('fetching')
    const doc = JSON.parse(json.screen.replace(/\r/g, '').trim()) as { version: { size: number } }
    expect(doc.version.size).toBe(big.length)
    const table = await inTerminal(sh([node, BIN, '--config', bob.config, 'catalog']), bob.dir, env)
    expect(table.screen).toMatch(/│ dataset\s+│ title/)
  })

  it('prompts for the passphrase without echoing it (tmux)', async () => {
    const carol = member(root, 'carol', { ledger: { kind: 'memory', file: '../ledger2.bin', member: 'mem:carol' } })
    const session = `datapact-cli-${process.pid}`
    const secret = 'tmux-secret-passphrase'
    await tmux(['new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', carol.dir, 'bash', '--norc'])
    try {
      const screen = () => tmux(['capture-pane', '-p', '-t', session])
      const waitFor = async (text: string | RegExp) => {
        const deadline = Date.now() + 120_000
        for (;;) {
          const s = await screen()
          if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s
          if (Date.now() > deadline) throw new Error(`"${text}" never appeared; the screen:\n${s}`)
          await new Promise(r => setTimeout(r, 200))
        }
      }
      const command = `${sh([process.execPath, BIN, '--config', carol.config, 'keys', 'init', '--scrypt-n', '1024'])}; echo "exit=$?"`
      await tmux(['send-keys', '-t', session, `unset DATAPACT_PASSPHRASE; ${command}`, 'Enter'])
      await waitFor('New passphrase')
      await tmux(['send-keys', '-t', session, '-l', secret])
      await tmux(['send-keys', '-t', session, 'Enter'])
      await waitFor('Repeat the passphrase')
      await tmux(['send-keys', '-t', session, '-l', secret])
      await tmux(['send-keys', '-t', session, 'Enter'])
      // The status line alone (the typed command line itself contains `exit=$?`, so match a whole line).
      const done = await waitFor(/^exit=\d+$/m)
      expect(done).toMatch(/^exit=0$/m)
      expect(done).toMatch(/envelope key:\s+[0-9a-f]{64}/)
      expect(done).not.toContain(secret)
      // The keystore opens with the typed passphrase.
      const who = await carol.run(['join', '--name', 'Carol', '--role', 'consumer', '--json'], {
        DATAPACT_PASSPHRASE: secret,
      })
      expect(who.code).toBe(0)
    } finally {
      await tmux(['kill-server']).catch(() => undefined)
    }
  })
})
