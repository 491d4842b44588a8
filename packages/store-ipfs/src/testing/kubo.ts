import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isRunning, runCommand } from '@datapact/core/testing'

/** The Kubo release the tests build and run. */
export const KUBO_VERSION = 'v0.43.1'
/**
 * Kubo v0.43.1's go.mod replaces go-libp2p by a fork the Go module proxy does not serve; the upstream release
 * with the same quic-go (v0.62.0) and webtransport-go (v0.13.0) the fork was made for takes its place.
 */
export const KUBO_LIBP2P = 'v0.50.0'

/** Per-machine cache of built tools: `$DATAPACT_TOOLS_DIR`, else `~/.cache/datapact`. Never inside the repository. */
export function toolsDir(): string {
  return process.env.DATAPACT_TOOLS_DIR ?? join(homedir(), '.cache', 'datapact')
}

/** Where the Kubo binary is: `$KUBO_BINARY` when set, else `<toolsDir>/kubo-<version>/ipfs`. */
export function kuboBinary(): string {
  return process.env.KUBO_BINARY ?? join(toolsDir(), `kubo-${KUBO_VERSION}`, 'ipfs')
}

/** Options of {@link ensureKubo}. */
export interface EnsureKuboOptions {
  /** Sees one line per step (default: nothing). */
  log?: (line: string) => void
  /** How long to wait for another process's build of the same version, in ms (default 40 min). */
  lockTimeoutMs?: number
}

/**
 * Makes sure the Kubo binary exists, building it from the Go module proxy when it does not: `go mod download`
 * of `github.com/ipfs/kubo@<version>`, a writable copy of the module, go-libp2p set to {@link KUBO_LIBP2P},
 * `go build ./cmd/ipfs`. Go's own caches make a rebuild cheap; a cached binary returns at once. Concurrent
 * callers on one machine wait for one build (a lock folder next to the binary).
 *
 * @returns The binary's path.
 * @throws Error with Go's output when Go is missing or the build fails.
 */
export async function ensureKubo(options: EnsureKuboOptions = {}): Promise<string> {
  const binary = kuboBinary()
  if (await usable(binary)) return binary
  if (process.env.KUBO_BINARY) throw new Error(`KUBO_BINARY=${binary} is not a runnable Kubo ${KUBO_VERSION}`)
  const log = options.log ?? (() => undefined)
  const dir = join(toolsDir(), `kubo-${KUBO_VERSION}`)
  await mkdir(dir, { recursive: true })
  const lock = join(dir, 'build.lock')
  const deadline = Date.now() + (options.lockTimeoutMs ?? 40 * 60_000)
  let waited = false
  for (;;) {
    try {
      await mkdir(lock)
      // The lock names its owner, so a build killed half-way (a test run stopped with ^C or SIGKILL) does not keep
      // the next one waiting: a lock whose owner is gone is taken over at once.
      await writeFile(join(lock, 'pid'), String(process.pid))
      break
    } catch {
      if (await usable(binary)) return binary
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''))
      // A lock older than the deadline, or whose owner process no longer runs, is a crashed build.
      const age =
        Date.now() -
        (await stat(lock)
          .then(s => s.mtimeMs)
          .catch(() => Date.now()))
      if (age > (options.lockTimeoutMs ?? 40 * 60_000) || (owner > 0 && !isRunning(owner))) {
        log(`taking over the Kubo build lock of ${owner > 0 ? `process ${owner}, which is gone` : 'a crashed build'}`)
        await rm(lock, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for another build of Kubo (lock ${lock})`)
      if (!waited) log('another process is building Kubo; waiting for it')
      waited = true
      await new Promise(r => setTimeout(r, 2000))
    }
  }
  const build = join(dir, `build-${process.pid}`)
  try {
    if (await usable(binary)) return binary
    log(`building Kubo ${KUBO_VERSION} with Go (minutes the first time; cached afterwards)`)
    const started = Date.now()
    const info = JSON.parse(
      await runCommand('go', ['mod', 'download', '-json', `github.com/ipfs/kubo@${KUBO_VERSION}`], { cwd: dir }),
    )
    if (typeof info.Dir !== 'string') throw new Error(`go mod download gave no Dir: ${info.Error ?? 'unknown'}`)
    await rm(build, { recursive: true, force: true })
    await runCommand('cp', ['-R', info.Dir, build], { cwd: dir })
    await runCommand('chmod', ['-R', 'u+w', build], { cwd: dir })
    await runCommand(
      'go',
      [
        'mod',
        'edit',
        '-dropreplace=github.com/libp2p/go-libp2p',
        `-require=github.com/libp2p/go-libp2p@${KUBO_LIBP2P}`,
      ],
      { cwd: build },
    )
    await runCommand('go', ['build', '-mod=mod', '-trimpath', '-o', `${binary}.partial`, './cmd/ipfs'], { cwd: build })
    await rename(`${binary}.partial`, binary)
    log(`built Kubo in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`)
    return binary
  } finally {
    await rm(build, { recursive: true, force: true })
    await rm(lock, { recursive: true, force: true })
  }
}

async function usable(binary: string): Promise<boolean> {
  if (!existsSync(binary)) return false
  try {
    return (await runCommand(binary, ['version', '--number'])).trim() === KUBO_VERSION.slice(1)
  } catch {
    return false
  }
}
