import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, isRunning } from '@datapact/core/testing'
import pg from 'pg'

const exec = promisify(execFile)

/** The server binaries a test server needs (in one folder). */
const SERVER = ['initdb', 'postgres'] as const
/** Prefix of the temporary folders of test servers (a folder whose owner process is gone is removed at start). */
const FOLDER = 'datapact-pg-'

/**
 * The folder of the PostgreSQL server binaries (`initdb`, `postgres`), or undefined when there are none. Looks in
 * `$DATAPACT_POSTGRES_BIN` when set (and nowhere else), then `pg_config --bindir`, then Debian's
 * `/usr/lib/postgresql/<version>/bin` (the highest version), then the folders of `PATH`.
 *
 * @returns The folder, or undefined.
 */
export async function findPostgres(): Promise<string | undefined> {
  const has = (dir: string) => SERVER.every(b => existsSync(join(dir, b)))
  const given = process.env.DATAPACT_POSTGRES_BIN
  if (given) return has(given) ? given : undefined
  const fromConfig = await exec('pg_config', ['--bindir']).then(
    r => r.stdout.trim(),
    () => '',
  )
  if (fromConfig && has(fromConfig)) return fromConfig
  const debian = '/usr/lib/postgresql'
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter(v => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : []
  for (const v of versions) if (has(join(debian, v, 'bin'))) return join(debian, v, 'bin')
  return (process.env.PATH ?? '').split(delimiter).find(dir => dir !== '' && has(dir))
}

/** Options of {@link ensurePostgres}. */
export interface EnsurePostgresOptions {
  /** Sees one line per step (default: nothing). */
  log?: (line: string) => void
}

/**
 * Makes sure a PostgreSQL server can be started for tests: finds the binaries ({@link findPostgres}); when there
 * are none and this process is root on Debian, installs Debian's `postgresql` package with apt-get
 * (`apt-get update`, then `apt-get install -y --no-install-recommends postgresql`); and, when root, makes sure the
 * `postgres` system user exists (the server refuses to run as root). A machine with the binaries returns at once.
 *
 * @param options - Logging.
 * @returns The folder of the server binaries.
 * @throws Error saying what to install when the binaries are missing and cannot be installed here (not root, not
 *   Debian, `$DATAPACT_POSTGRES_BIN` naming a folder without them, or apt-get failing, with its output).
 */
export async function ensurePostgres(options: EnsurePostgresOptions = {}): Promise<string> {
  const log = options.log ?? (() => undefined)
  let bin = await findPostgres()
  if (!bin) {
    const missing =
      'the PostgreSQL server binaries (initdb, postgres) were not found: install PostgreSQL 12 or later ' +
      "(Debian/Ubuntu: apt-get install postgresql; elsewhere the distribution's postgresql server package) or set " +
      'DATAPACT_POSTGRES_BIN to the folder holding them'
    if (process.env.DATAPACT_POSTGRES_BIN)
      throw new Error(`DATAPACT_POSTGRES_BIN=${process.env.DATAPACT_POSTGRES_BIN} holds no initdb and postgres`)
    if (!isRoot() || !existsSync('/etc/debian_version'))
      throw new Error(`${missing} (automatic install only as root on Debian)`)
    log('installing PostgreSQL from the Debian archive (apt-get install postgresql)')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    try {
      await exec('apt-get', ['update'], { env, maxBuffer: 64 << 20 })
      await exec('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, maxBuffer: 64 << 20 })
    } catch (e) {
      const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string }
      throw new Error(`${missing}; apt-get failed:\n${`${stdout}\n${stderr}`.trim().slice(-4000)}`)
    }
    bin = await findPostgres()
    if (!bin) throw new Error(`${missing} (apt-get installed postgresql, but its binaries were not found)`)
    log(`installed PostgreSQL: ${bin}`)
  }
  if (isRoot() && !(await serverUser())) {
    log('creating the postgres system user (the server does not run as root)')
    await exec('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
  }
  return bin
}

/** A PostgreSQL server for tests: a fresh cluster in a temporary folder, on 127.0.0.1. */
export interface PostgresServer {
  /** Connection string of the superuser `postgres` to the database `postgres` (trust authentication, no password). */
  readonly url: string
  /** Always `127.0.0.1`. */
  readonly host: string
  /** Its TCP port. */
  readonly port: number
  /** The folder of its unix socket (inside {@link PostgresServer.dir}). */
  readonly socketDir: string
  /** The temporary folder holding the cluster and the socket; removed by `stop()`. */
  readonly dir: string
  /** Whether the server runs. */
  readonly running: boolean
  /**
   * Creates a database and returns its connection string.
   *
   * @param name - Its name (default: a fresh `test_<n>` name).
   */
  createDatabase(name?: string): Promise<string>
  /** Stops the server (fast shutdown; SIGKILL after 30 s) and removes its folder. Idempotent. */
  stop(): Promise<void>
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** The folder of the server binaries (default: {@link findPostgres}). */
  binDir?: string
  /** How long the server may take to accept connections, in ms (default 120 000, for a busy machine). */
  startTimeoutMs?: number
}

const live = new Map<ChildProcess, string>()
// A test process that exits without stopping its servers takes them and their folders with it. A process that is
// killed outright still takes the servers (they get SIGINT when it dies: setpriv's parent-death signal); its
// folders are removed by the next start.
process.once('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGQUIT')
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
  }
})

/**
 * Starts a throw-away PostgreSQL server: `initdb` into a temporary folder (trust authentication, superuser
 * `postgres`, UTF-8, C locale), then `postgres` on a free port of 127.0.0.1 and a unix socket in that folder, tuned
 * for tests (`shared_buffers=16MB`, `fsync=off`, `synchronous_commit=off`, `full_page_writes=off`). As root, both run
 * as the `postgres` system user ({@link ensurePostgres} creates it). Resolves once the server accepts a connection
 * (it waits for the server's own "ready to accept connections", then connects); the server is a child of this
 * process and dies with it.
 *
 * @param options - Binaries and start timeout.
 * @returns The running server.
 * @throws Error when the binaries are missing, the `postgres` user is missing (as root), or the server does not
 *   start in time (with its log's last lines).
 * @example
 * ```ts
 * const server = await startPostgres()
 * const url = await server.createDatabase()
 * const index = new PostgresIndexStore({ connection: url })
 * // ...
 * await index.close()
 * await server.stop()
 * ```
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = options.binDir ?? (await findPostgres())
  if (!bin) throw new Error('the PostgreSQL server binaries were not found: run ensurePostgres() first')
  const user = isRoot() ? await serverUser() : undefined
  if (isRoot() && !user) throw new Error('no postgres system user to run the server as: run ensurePostgres() first')
  const setpriv = which('setpriv')
  if (user && !setpriv) throw new Error('setpriv (util-linux) is needed to run the server as the postgres user')
  sweepFolders()
  const dir = await mkdtemp(join(tmpdir(), FOLDER))
  await writeFile(join(dir, 'owner'), String(process.pid))
  const data = join(dir, 'data')
  await mkdir(data, { mode: 0o700 })
  if (user) {
    await chown(dir, user.uid, user.gid)
    await chown(data, user.uid, user.gid)
  }
  /** The command that runs a server binary: as the postgres user, and killed when this process dies. */
  const command = (name: string, args: string[]): [string, string[]] => {
    if (!setpriv) return [join(bin, name), args]
    const as = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : []
    return [setpriv, [...as, '--pdeathsig=SIGINT', '--', join(bin, name), ...args]]
  }
  try {
    const [initdb, initArgs] = command('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ])
    await exec(initdb, initArgs, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 << 20 }).catch(e => {
      throw new Error(`initdb failed: ${String((e as { stderr?: string }).stderr ?? e).slice(-4000)}`)
    })
    // A port found free may be taken before the server binds it: start afresh on another, three times at most.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      try {
        return await startOn(command, data, dir, port, options.startTimeoutMs ?? 120_000)
      } catch (e) {
        if (!(e instanceof PortTaken) || attempt === 3) throw e
      }
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true, maxRetries: 5 })
    throw e
  }
}

class PortTaken extends Error {}

async function startOn(
  command: (name: string, args: string[]) => [string, string[]],
  data: string,
  dir: string,
  port: number,
  timeoutMs: number,
): Promise<PostgresServer> {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    shared_buffers: '16MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '100',
    lc_messages: 'C',
  }
  const [cmd, args] = command('postgres', [
    '-D',
    data,
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
  live.set(child, dir)
  let log = ''
  let exited = false
  const exit = new Promise<void>(resolve =>
    child.once('exit', () => {
      exited = true
      live.delete(child)
      resolve()
    }),
  )
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  // Ready when the server says so on its log (a condition, not a delay), or failed when it exits first.
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    )
    child.stderr!.on('data', d => {
      log = (log + d).slice(-8000)
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('error', e => {
      clearTimeout(timer)
      reject(new Error(`postgres could not start: ${e.message}`))
    })
    child.once('exit', code => {
      clearTimeout(timer)
      const taken = /could not bind|could not create any TCP\/IP sockets|Address already in use/.test(log)
      reject(new (taken ? PortTaken : Error)(`postgres exited with ${code} before it was ready:\n${log}`))
    })
  })
  const stop = async () => {
    if (!exited) {
      child.kill('SIGINT')
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exit
      clearTimeout(killer)
    }
  }
  try {
    await ready
    await query(url, 'SELECT 1')
  } catch (e) {
    await stop()
    throw e
  }
  let removed = false
  return {
    url,
    host: '127.0.0.1',
    port,
    socketDir: dir,
    dir,
    get running() {
      return !exited
    },
    createDatabase: name => createDatabase(url, name),
    async stop() {
      await stop()
      if (removed) return
      removed = true
      await rm(dir, { recursive: true, force: true, maxRetries: 5 })
    },
  }
}

let databases = 0

/**
 * Creates a database on a server and returns its connection string (the server's, with the database replaced).
 *
 * @param url - A connection string of a role that may create databases.
 * @param name - The database's name (default: a fresh `test_<pid>_<n>` name).
 * @returns The new database's connection string.
 * @throws Error from the server when the database cannot be created (a name taken, no privilege, no server).
 */
export async function createDatabase(url: string, name?: string): Promise<string> {
  const db = name ?? `test_${process.pid}_${++databases}`
  await query(url, `CREATE DATABASE "${db.replaceAll('"', '""')}"`)
  const target = new URL(url)
  target.pathname = `/${encodeURIComponent(db)}`
  return target.toString()
}

/** Runs one statement on a fresh connection. */
async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

const isRoot = () => process.getuid?.() === 0

/** The uid and gid of the `postgres` system user, or undefined when there is none. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const uid = Number((await exec('id', ['-u', 'postgres'])).stdout.trim())
    const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim())
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined
  } catch {
    return undefined
  }
}

/** The full path of a command on PATH, or undefined. */
function which(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map(dir => join(dir, name))
    .find(p => p.startsWith('/') && existsSync(p))
}

/** Removes the folders of test servers whose owner process is gone (a run killed before its teardown). */
function sweepFolders(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(FOLDER)) continue
    const dir = join(tmpdir(), name)
    try {
      const owner = Number(readFileSync(join(dir, 'owner'), 'utf8').trim())
      if (isRunning(owner)) continue
    } catch {
      // No owner yet: a folder another process is creating right now, unless it is old.
      if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
  }
}
