import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Options of {@link startAnvil}. */
export interface AnvilOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Keep the chain in a state file so {@link AnvilInstance.restart} brings it back (default true). */
  persistent?: boolean
  /** Extra command-line arguments. */
  args?: string[]
  /** Path of the anvil binary; default: `$ANVIL_BINARY`, else the one shipped by `@foundry-rs/anvil`. */
  binary?: string
  /** How long to wait for the node to listen, in ms (default 45000: a bound for a hung start on a busy machine). */
  startTimeoutMs?: number
}

/** A running Anvil node. */
export interface AnvilInstance {
  /** JSON-RPC URL, `http://127.0.0.1:<port>`. Unchanged by restarts. */
  readonly rpcUrl: string
  readonly port: number
  /** Private keys of the funded default accounts (Anvil's well-known test mnemonic; never use them elsewhere). */
  readonly accounts: readonly string[]
  /** Whether the node process is running. */
  readonly running: boolean
  /** Stops the node gracefully (it saves its state when persistent). Idempotent. */
  stop(): Promise<void>
  /**
   * Stops the node without cleaning up, so {@link AnvilInstance.restart} can bring it back: `SIGTERM` (default)
   * lets it save its state first, `SIGKILL` is a crash (the chain restarts empty).
   */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Stops (if running) and starts the node again on the same port, with the saved state when persistent. */
  restart(): Promise<void>
}

/** Anvil's default dev accounts (mnemonic "test test ... junk"): well known, funded with 10000 ETH each. */
export const ANVIL_ACCOUNTS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const

const PLATFORMS: Record<string, string> = {
  'linux-x64': 'linux-amd64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-amd64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-amd64',
}

/** What to do when the anvil binary is not installed (`@foundry-rs/anvil` is an optional peer dependency). */
const INSTALL_ANVIL =
  'install the optional peer dependency with `npm install --save-dev @foundry-rs/anvil@^1.7.1` ' +
  '(its binary works without the postinstall script), or point $ANVIL_BINARY or options.binary at an anvil on disk'

/**
 * Path of the anvil binary: `$ANVIL_BINARY` when set, else the one shipped by the `@foundry-rs/anvil` npm package
 * (an optional peer dependency) for this platform.
 *
 * @returns The absolute path of the binary.
 * @throws `Error` saying what to install when `@foundry-rs/anvil` (or its package for this platform) is not
 *   installed, or when it ships no binary for this platform.
 */
export function anvilBinary(): string {
  if (process.env.ANVIL_BINARY) return process.env.ANVIL_BINARY
  const platform = PLATFORMS[`${process.platform}-${process.arch}`]
  if (!platform)
    throw new Error(
      `@foundry-rs/anvil ships no binary for ${process.platform}-${process.arch}: set $ANVIL_BINARY or options.binary`,
    )
  const fromHere = createRequire(import.meta.url)
  let wrapper: string
  try {
    wrapper = fromHere.resolve('@foundry-rs/anvil/package.json')
  } catch (cause) {
    throw new Error(`startAnvil needs Anvil, and @foundry-rs/anvil is not installed: ${INSTALL_ANVIL}`, { cause })
  }
  try {
    // The platform package is a dependency of @foundry-rs/anvil, so resolve it from there.
    const pkg = createRequire(wrapper).resolve(`@foundry-rs/anvil-${platform}/package.json`)
    return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  } catch (cause) {
    throw new Error(
      `startAnvil needs Anvil, and @foundry-rs/anvil-${platform} (the binary for this platform, an optional ` +
        `dependency of @foundry-rs/anvil) is not installed: reinstall without --omit=optional, or ${INSTALL_ANVIL}`,
      { cause },
    )
  }
}

const live = new Set<ChildProcess>()
let exitHook = false

/** Kills every node this process started when it exits (so a crashed test run leaves no orphans). */
function hookExit(): void {
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/**
 * Starts Anvil on 127.0.0.1 (automine, default funded accounts, equal timestamps allowed within a second).
 *
 * @param options - Port (0 = free), persistence, extra arguments.
 * @returns The running node; call `stop()` when done.
 * @throws `Error` when the binary cannot be found (the message says what to install: `@foundry-rs/anvil` is an
 *   optional peer dependency), or when the node exits or does not start in time.
 *
 * @example
 * ```ts
 * const anvil = await startAnvil()
 * const ledger = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[0] })
 * await anvil.stop()
 * ```
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  const binary = options.binary ?? anvilBinary()
  const dir = options.persistent === false ? undefined : mkdtempSync(join(tmpdir(), 'datapact-anvil-'))
  const stateArgs = dir ? ['--state', join(dir, 'state.json')] : []
  let child: ChildProcess | undefined
  let port = options.port ?? 0

  const launch = async (): Promise<void> => {
    const args = ['--host', '127.0.0.1', '--port', String(port), ...stateArgs, ...(options.args ?? [])]
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    live.add(proc)
    hookExit()
    proc.once('exit', () => live.delete(proc))
    port = await new Promise<number>((resolve, reject) => {
      const limit = options.startTimeoutMs ?? 45_000
      let out = ''
      const done = (error?: Error, listening?: number) => {
        clearTimeout(timer)
        proc.off('error', onError)
        proc.off('exit', onExit)
        if (error) {
          proc.kill('SIGKILL')
          reject(error)
        } else resolve(listening!)
      }
      const timer = setTimeout(() => done(new Error(`anvil did not start within ${limit} ms`)), limit)
      const onError = (e: Error) => done(e)
      const onExit = (code: number | null) => done(new Error(`anvil exited with code ${code}: ${out.slice(-2000)}`))
      const onData = (chunk: Buffer) => {
        if (out.length >= 65_536) return
        out += chunk.toString('utf8')
        const m = /Listening on [^\s:]+:(\d+)/.exec(out)
        if (m) done(undefined, Number(m[1]))
      }
      // Keep draining both pipes for the node's whole life: a full pipe would block it.
      proc.stdout!.on('data', onData)
      proc.stderr!.on('data', onData)
      proc.once('error', onError)
      proc.once('exit', onExit)
    })
  }

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>(resolve => {
      proc.once('exit', () => resolve())
      proc.kill(signal)
    })
  }

  await launch()
  const instance: AnvilInstance = {
    get rpcUrl() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    accounts: ANVIL_ACCOUNTS,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null
    },
    async stop() {
      await halt('SIGTERM')
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
    kill: (signal = 'SIGTERM') => halt(signal),
    async restart() {
      await halt('SIGTERM')
      await launch()
    },
  }
  return instance
}
