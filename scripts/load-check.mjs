#!/usr/bin/env node
// The load check (`pnpm check:load`; not part of `pnpm check`, it takes too long for CI): do the tests hold on a
// busy machine? It starts N busy loops (child processes, default 8), runs a command K times in a row (default 3,
// default command: the README's test command, the line after its <!-- check-command --> marker, as .ci/run reads
// it), stops at the first failure, and prints each run's duration, the load averages seen and the
// `N passed, N failed` totals from vitest's JSON report (.vitest-results.json, written by the root vitest config).
//
//   node scripts/load-check.mjs [--loops 8] [--runs 3] [--minutes 120] [--every 30] [-- command ...]
//   node scripts/load-check.mjs --runs 1 -- pnpm vitest run --project adapter-fabric
//
// The busy loops are bounded: each stops by itself at the deadline (--minutes from the start) and when its parent
// goes away (it polls its parent pid), so none outlives this script even when it crashes or is killed with
// SIGKILL; on exit, SIGINT, SIGTERM and SIGHUP they are killed at once. The command runs in its own process group,
// killed with it. Exit status 0 only when every run passed.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const resultsFile = join(root, '.vitest-results.json')

function parseArguments(argv) {
  const options = { loops: 8, runs: 3, minutes: 120, every: 30, command: undefined }
  const dash = argv.indexOf('--')
  const own = dash === -1 ? argv : argv.slice(0, dash)
  if (dash !== -1) options.command = argv.slice(dash + 1)
  for (let i = 0; i < own.length; i += 2) {
    const name = own[i]?.replace(/^--/, '')
    const value = Number(own[i + 1])
    if (!(name in options) || name === 'command' || !Number.isFinite(value) || value < 0)
      throw new Error(`usage: load-check.mjs [--loops N] [--runs K] [--minutes M] [--every S] [-- command ...]`)
    options[name] = value
  }
  if (options.command?.length === 0) options.command = undefined
  return options
}

/** The README's test command, read as .ci/run reads it: the first line of the fence after the marker. */
function readmeCommand() {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n')
  const marker = lines.findIndex(line => line.includes('<!-- check-command -->'))
  const fence = lines.findIndex((line, i) => i > marker && line.startsWith('```'))
  const command = marker === -1 || fence === -1 ? undefined : lines[fence + 1]?.trim()
  if (!command || command.startsWith('```')) throw new Error('README.md has no check command')
  return command
}

// Each loop spins until the deadline, and exits as soon as its parent is gone (reparented: ppid changes).
const busyLoop = `
const deadline = Number(process.argv[1]), parent = Number(process.argv[2])
let x = 0
while (Date.now() < deadline) {
  for (let i = 0; i < 1e6; i++) x = (x * 31 + i) | 0
  if (process.ppid !== parent) break
}
`

const options = parseArguments(process.argv.slice(2))
const command = options.command ? options.command.map(quote).join(' ') : readmeCommand()
const started = Date.now()
const deadline = started + options.minutes * 60_000
const loops = []
let current

function stopEverything() {
  for (const loop of loops) if (loop.exitCode === null && loop.signalCode === null) loop.kill('SIGKILL')
  if (current?.exitCode === null) killGroup(current, 'SIGKILL')
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

process.on('exit', stopEverything)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    log(`${signal}: stopping the busy loops and the command`)
    stopEverything()
    process.exit(130)
  })
process.on('uncaughtException', error => {
  console.error(error)
  stopEverything()
  process.exit(1)
})

const seconds = ms => `${(ms / 1000).toFixed(1)} s`
const log = text => console.log(`load-check [${seconds(Date.now() - started)}] ${text}`)
const formatLoad = ([one, five, fifteen]) => `${one.toFixed(2)} ${five.toFixed(2)} ${fifteen.toFixed(2)}`

function quote(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** Vitest's totals from the JSON report, counted as .ci/run counts them. */
function totals() {
  if (!existsSync(resultsFile)) return undefined
  const report = JSON.parse(readFileSync(resultsFile, 'utf8'))
  const failedSuites = report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? report.numFailedTestSuites : 0
  return { passed: report.numPassedTests, failed: report.numFailedTests + failedSuites }
}

function runOnce(n) {
  return new Promise(resolve => {
    rmSync(resultsFile, { force: true })
    const samples = [loadavg()[0]]
    const runStarted = Date.now()
    log(`run ${n}/${options.runs}: ${command}`)
    current = spawn('bash', ['-c', command], { cwd: root, stdio: 'inherit', detached: true })
    const sampler = setInterval(() => {
      const load = loadavg()
      samples.push(load[0])
      log(`run ${n}: load average ${formatLoad(load)}`)
      if (Date.now() > deadline) {
        log(`run ${n}: the ${options.minutes} min deadline has passed: stopping the command`)
        killGroup(current, 'SIGKILL')
      }
    }, options.every * 1000)
    current.on('exit', (code, signal) => {
      clearInterval(sampler)
      samples.push(loadavg()[0])
      resolve({
        n,
        ok: code === 0,
        status: signal ?? code,
        ms: Date.now() - runStarted,
        load: { min: Math.min(...samples), max: Math.max(...samples) },
        totals: totals(),
      })
    })
  })
}

log(`starting ${options.loops} busy loops (each stops by ${new Date(deadline).toISOString()} at the latest)`)
log(`load average before: ${formatLoad(loadavg())}`)
for (let i = 0; i < options.loops; i++)
  loops.push(spawn(process.execPath, ['-e', busyLoop, String(deadline), String(process.pid)], { stdio: 'ignore' }))
// Let the one-minute load average climb before the first run.
await new Promise(resolve => setTimeout(resolve, options.loops > 0 ? Math.min(options.every, 20) * 1000 : 0))
log(`load average at the first run: ${formatLoad(loadavg())}`)

const results = []
for (let n = 1; n <= options.runs; n++) {
  const result = await runOnce(n)
  results.push(result)
  if (!result.ok) break
}
stopEverything()

console.log(`\nload check: ${options.loops} busy loops, ${command}`)
for (const r of results) {
  const counted = r.totals ? `${r.totals.passed} passed, ${r.totals.failed} failed` : 'no vitest report'
  console.log(
    `  run ${r.n}: ${r.ok ? 'ok' : `FAILED (status ${r.status})`} in ${seconds(r.ms)}, ` +
      `load average (1 min) ${r.load.min.toFixed(2)}-${r.load.max.toFixed(2)}, ${counted}`,
  )
}
const sum = results.reduce(
  (acc, r) => ({ passed: acc.passed + (r.totals?.passed ?? 0), failed: acc.failed + (r.totals?.failed ?? 0) }),
  { passed: 0, failed: 0 },
)
const allPassed = results.length === options.runs && results.every(r => r.ok)
console.log(`  ${allPassed ? 'all runs passed' : 'stopped at the first failure'}`)
console.log(`${sum.passed} passed, ${sum.failed} failed`)
process.exit(allPassed ? 0 : 1)
