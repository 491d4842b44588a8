/**
 * One benchmark result. `ratio` compares `value` with `baseline` so that higher is always better:
 * value / baseline for throughputs (higher is better), baseline / value for costs (lower is better).
 * Each row says which in its `note`.
 */
export interface BenchRow {
  name: string
  value: number
  unit: string
  baseline: number
  ratio: number
  note?: string
}

/** What `bench/run.ts` hands to every bench module. */
export interface BenchContext {
  /** Absolute path of the repository root. */
  root: string
  /** Prints a progress line (stderr, so the table stays clean). */
  log(message: string): void
  /**
   * The value of a row already measured in this run (bench files run in name order), else of the same row in the
   * previous `bench-results.json`, else undefined. Lets a bench use another one's result as its baseline.
   */
  value(name: string): number | undefined
}

/** The shape of a `bench/*.bench.ts` module. */
export interface BenchModule {
  run(ctx: BenchContext): Promise<BenchRow[]>
}
