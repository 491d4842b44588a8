/**
 * Runs every `bench/*.bench.ts` module (or those whose file name contains one of the CLI arguments), prints a table
 * and writes `bench-results.json` at the repository root (an array of {@link BenchRow}; a filtered run replaces only
 * its own rows). A failing bench module is reported and the run exits non-zero, but the other results are kept.
 *
 *   pnpm bench            # all benches
 *   pnpm bench crypto     # only files whose name contains "crypto"
 *
 * A bench module exports `async function run(ctx: BenchContext): Promise<BenchRow[]>`; see `bench/types.ts`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BenchContext, BenchModule, BenchRow } from './types.js'

export type { BenchContext, BenchModule, BenchRow } from './types.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const filters = process.argv.slice(2)

const files = readdirSync(here)
  .filter(f => f.endsWith('.bench.ts'))
  .filter(f => filters.length === 0 || filters.some(word => f.includes(word)))
  .sort()

if (files.length === 0) {
  console.error(`no bench file matches ${filters.join(', ')}`)
  process.exit(1)
}

const out = join(root, 'bench-results.json')
const previous: BenchRow[] = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as BenchRow[]) : []
const rows: BenchRow[] = []
const ctx: BenchContext = {
  root,
  log: message => process.stderr.write(`  ${message}\n`),
  value: name => (rows.find(r => r.name === name) ?? previous.find(r => r.name === name))?.value,
}
const started = performance.now()
const failed: string[] = []
for (const file of files) {
  process.stderr.write(`${file}\n`)
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule
    rows.push(...(await mod.run(ctx)))
  } catch (e) {
    // One broken bench must not hide the others' results.
    failed.push(file)
    process.stderr.write(`  FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  }
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2))
const table = rows.map(r => ({
  name: r.name,
  value: `${fmt(r.value)} ${r.unit}`,
  baseline: `${fmt(r.baseline)} ${r.unit}`,
  ratio: r.ratio.toFixed(2),
  note: r.note ?? '',
}))
const widths = {
  name: Math.max(4, ...table.map(t => t.name.length)),
  value: Math.max(5, ...table.map(t => t.value.length)),
  baseline: Math.max(8, ...table.map(t => t.baseline.length)),
}
const line = (n: string, v: string, b: string, r: string, note: string) =>
  `${n.padEnd(widths.name)}  ${v.padStart(widths.value)}  ${b.padStart(widths.baseline)}  ${r.padStart(5)}  ${note}`
console.log(line('name', 'value', 'baseline', 'ratio', 'note'))
for (const t of table) console.log(line(t.name, t.value, t.baseline, t.ratio, t.note))
console.log(`\n${rows.length} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`)

// A filtered run updates its own rows and keeps the others from the previous file; a full run starts afresh.
const written = filters.length === 0 ? rows : [...previous.filter(p => !rows.some(r => r.name === p.name)), ...rows]
writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`)
console.log(`wrote ${out}`)
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exitCode = 1
}
