/**
 * An assertion as the suite uses it: the jest/vitest `expect(value)` chain (`toEqual`, `toBe`, `toMatchObject`,
 * `rejects`, `not`, ...). Typed loosely so that any runner's own matcher types fit.
 */
// biome-ignore lint/suspicious/noExplicitAny: the matchers are the runner's own (vitest, jest); the suite uses their common subset
export type ConformanceAssertion = any

/** The runner's `expect`: called with a value, plus the `expect.stringMatching` asymmetric matcher. */
export interface ConformanceExpect {
  /** Starts an assertion on `actual`. */
  (actual: unknown): ConformanceAssertion
  /** An asymmetric matcher for a string that matches `pattern`. */
  stringMatching(pattern: string | RegExp): unknown
}

/**
 * The test-runner functions the conformance suite declares its tests with: vitest's, jest's, or any runner with the
 * same shape. `@datapact/core/testing` imports no test runner itself, so it loads in any of them.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest'
 * describeLedgerConformance('memory', async () => createMemoryHarness(), {
 *   runner: { describe, it, expect, beforeEach, afterEach },
 * })
 * ```
 */
export interface ConformanceRunner {
  /** Declares a group of tests; `fn` declares them synchronously. */
  describe(name: string, fn: () => void): void
  /** Declares one test with a timeout in ms. */
  it(name: string, fn: () => unknown, timeout?: number): void
  /** Runs `fn` before each test of the enclosing group, within `timeout` ms. */
  beforeEach(fn: () => unknown, timeout?: number): void
  /** Runs `fn` after each test of the enclosing group, within `timeout` ms. */
  afterEach(fn: () => unknown, timeout?: number): void
  /** Runs `fn` once before the tests of the enclosing group (needed by the bad-input sweeps). */
  beforeAll?(fn: () => unknown, timeout?: number): void
  /** Runs `fn` once after the tests of the enclosing group (needed by the bad-input sweeps). */
  afterAll?(fn: () => unknown, timeout?: number): void
  /** The runner's `expect`. */
  expect: ConformanceExpect
}

const RUNNER_KEYS = ['describe', 'it', 'expect', 'beforeEach', 'afterEach'] as const

type Hook = (fn: () => unknown, timeout?: number) => void
const hook = (h: Hook | undefined, name: string): Hook => {
  if (typeof h !== 'function') throw new Error(`this suite needs the test runner's ${name}: pass it in options.runner`)
  return h
}

/**
 * The runner the suite uses: `runner` when given, else the runner's globals (jest; vitest with `globals: true`),
 * with `it` defaulting to the suite's timeout. Throws a plain `Error` naming what to pass when neither is there.
 */
export function bindRunner(runner: ConformanceRunner | undefined, timeout: number): Required<ConformanceRunner> {
  const g = globalThis as unknown as Partial<ConformanceRunner>
  const r = runner ?? (RUNNER_KEYS.every(k => typeof g[k] === 'function') ? (g as ConformanceRunner) : undefined)
  if (!r)
    throw new Error(
      'describeLedgerConformance needs the test runner: pass options.runner = { describe, it, expect, beforeEach, afterEach } ' +
        "(import them from 'vitest', '@jest/globals' or your runner), or enable the runner's globals",
    )
  return {
    describe: (name, fn) => r.describe(name, fn),
    it: (name, fn, t) => r.it(name, fn, t ?? timeout),
    beforeEach: (fn, t) => r.beforeEach(fn, t ?? timeout),
    afterEach: (fn, t) => r.afterEach(fn, t ?? timeout),
    beforeAll: (fn, t) => hook(r.beforeAll, 'beforeAll')(fn, t ?? timeout),
    afterAll: (fn, t) => hook(r.afterAll, 'afterAll')(fn, t ?? timeout),
    expect: r.expect,
  }
}
