/**
 * Runs every `bench/*.bench.ts` module (or those whose file name contains one of the CLI arguments), prints a table
 * and writes `bench-results.json` at the repository root (an array of {@link BenchRow}; a filtered run replaces only
 * its own rows). A failing bench module is reported and the run exits non-zero, but the other results are kept.
 * Each module runs in a process of its own, so no module measures on a heap or a cache another one left behind.
 *
 *   pnpm bench            # all benches
 *   pnpm bench crypto     # only files whose name contains "crypto"
 *
 * A bench module exports `async function run(ctx: BenchContext): Promise<BenchRow[]>`; see `bench/types.ts`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BenchContext, BenchModule, BenchRow } from './types.js'

export type { BenchContext, BenchModule, BenchRow } from './types.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)

/** Rows of a JSON file, or none when it does not exist. */
const readRows = (path: string): BenchRow[] =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BenchRow[]) : []

const contextFor = (known: BenchRow[]): BenchContext => ({
  root,
  log: message => process.stderr.write(`  ${message}\n`),
  value: name => known.find(r => r.name === name)?.value,
})

// A child runs one module: `run.ts --module <file> <rows known so far> <where its rows go>`.
if (process.argv[2] === '--module') {
  const [, , , file, knownPath, outPath] = process.argv as [string, string, string, string, string, string]
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule
  writeFileSync(outPath, JSON.stringify(await mod.run(contextFor(readRows(knownPath)))))
  process.exit(0)
}

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
const previous = readRows(out)
const rows: BenchRow[] = []
const started = performance.now()
const failed: string[] = []
const scratch = mkdtempSync(join(tmpdir(), 'datapact-bench-'))
try {
  for (const file of files) {
    process.stderr.write(`${file}\n`)
    // What a module may read of other rows: this run's first, then the previous file's.
    const known = join(scratch, 'known.json')
    const got = join(scratch, 'rows.json')
    writeFileSync(known, JSON.stringify([...rows, ...previous.filter(p => !rows.some(r => r.name === p.name))]))
    rmSync(got, { force: true })
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--module', file, known, got],
      {
        stdio: 'inherit',
      },
    )
    if (child.status === 0 && existsSync(got)) rows.push(...readRows(got))
    else {
      // One broken bench must not hide the others' results; the child printed its error.
      failed.push(file)
      process.stderr.write(`  FAILED: exit ${child.status ?? child.signal}\n`)
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
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
