import { SingleBar } from 'cli-progress'
import Table from 'cli-table3'
import { jsonReplacer } from './shared.js'

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

/** Prints a value as JSON (bigint as decimal strings, bytes as hex), one document per line. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, jsonReplacer)}\n`)
}

/** Prints rows as a table; an empty list prints a line saying so. */
export function printTable(io: Io, head: string[], rows: Array<Array<string | number>>, empty: string): void {
  if (rows.length === 0) {
    io.stdout.write(`${empty}\n`)
    return
  }
  const table = new Table({ head, style: { head: [], border: [] } })
  for (const r of rows) table.push(r.map(String))
  io.stdout.write(`${table.toString()}\n`)
}

/** Prints `key: value` lines. */
export function printFields(
  io: Io,
  fields: Array<[string, string | number | bigint | boolean | null | undefined]>,
): void {
  const width = Math.max(...fields.map(([k]) => k.length))
  for (const [k, v] of fields) io.stdout.write(`${`${k}:`.padEnd(width + 2)}${v ?? '-'}\n`)
}

/** A progress bar on stderr when it is a terminal (never with --json); a no-op otherwise. */
export function progressBar(io: Io, label: string, total: number, enabled: boolean) {
  if (!enabled || !io.stderr.isTTY) return { update: (_bytes: number) => {}, stop: () => {} }
  const bar = new SingleBar({
    stream: io.stderr as NodeJS.WritableStream as never,
    format: `${label} [{bar}] {percentage}% | {done}/{size} | {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 20,
    barCompleteChar: '#',
    barIncompleteChar: '-',
  })
  bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total) })
  return {
    update: (bytes: number) => bar.update(bytes, { done: formatBytes(bytes) }),
    stop: () => bar.stop(),
  }
}

/** Bytes for people: 1.5 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}

/** Ledger seconds as an ISO date (UTC). */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-'
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
