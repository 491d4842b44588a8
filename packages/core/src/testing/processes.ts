import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

const handedOut = new Set<number>()

/**
 * Ports on 127.0.0.1 that the OS says are free now, distinct from every port this process handed out before. A port
 * is free when asked, not reserved: a harness that binds it later retries when another process took it meanwhile.
 *
 * @param n - How many ports.
 * @returns `n` distinct ports.
 */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = []
  while (out.length < n) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    if (port && !handedOut.has(port)) {
      handedOut.add(port)
      out.push(port)
    }
  }
  return out
}

/**
 * One free port on 127.0.0.1, as {@link freePorts}.
 *
 * @returns The port.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1)
  return port!
}

/**
 * Whether a process with this pid exists (signal 0 checks without signalling; EPERM means it exists, owned by
 * another user).
 *
 * @param pid - The process id.
 * @returns `true` while the process exists.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Where and with what environment {@link runCommand} runs a command. */
export interface RunCommandOptions {
  /** Working directory (default: this process's). */
  cwd?: string
  /** Variables added to this process's environment. */
  env?: NodeJS.ProcessEnv
}

/**
 * Runs a command to its end.
 *
 * @param command - The executable.
 * @param args - Its arguments.
 * @param options - Working directory and added environment.
 * @returns Its standard output.
 * @throws Error when it cannot start, or exits other than 0 (the message ends with the last 8,000 characters of its
 *   standard error).
 */
export function runCommand(command: string, args: string[], options: RunCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', d => {
      out += d
    })
    child.stderr.on('data', d => {
      err = (err + d).slice(-8000)
    })
    child.on('error', e => reject(new Error(`${command} could not start: ${e.message}`)))
    child.on('close', code =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${err}`)),
    )
  })
}
