import { createRequire } from 'node:module'
import type * as FastCheck from 'fast-check'

let loaded: typeof FastCheck | undefined

/**
 * fast-check, required on first use rather than imported, so that `@datapact/core/testing` loads without it
 * (an optional peer dependency: only the model-based and bad-input sweeps need it). Arbitraries from this copy work
 * with a test's own `import fc from 'fast-check'` (fast-check recognises arbitraries by shape).
 *
 * @returns The fast-check module.
 * @throws `Error` saying what to install when fast-check is not installed.
 */
export function fastCheck(): typeof FastCheck {
  if (loaded) return loaded
  try {
    loaded = createRequire(import.meta.url)('fast-check') as typeof FastCheck
  } catch (cause) {
    throw new Error(
      'the property-based helpers of @datapact/core/testing need fast-check: npm install --save-dev fast-check@^4',
      { cause },
    )
  }
  return loaded
}
