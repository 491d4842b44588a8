import type { BenchRow } from './types.js'

/**
 * Best (smallest) wall time in ms of each function over `reps` rounds. The functions run interleaved, round by
 * round, so a burst of load from elsewhere on the machine hits both sides of a comparison alike.
 */
export async function bestOf(reps: number, ...fns: (() => unknown)[]): Promise<number[]> {
  const min = fns.map(() => Number.POSITIVE_INFINITY)
  for (let r = 0; r < reps; r++)
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now()
      await fn()
      min[i] = Math.min(min[i]!, performance.now() - t0)
    }
  return min
}

/**
 * A row whose ratio is value / baseline: a throughput measured against its baseline, higher is better.
 */
export function throughputRow(name: string, value: number, unit: string, baseline: number, note: string): BenchRow {
  return { name, value, unit, baseline, ratio: value / baseline, note }
}
