import { defineConfig, type ViteUserConfig } from 'vitest/config'

/**
 * One workspace package's vitest project: its tests under src/ and test/, the workspace packages it imports resolved
 * to their sources (the `source` condition, so no build is needed), and the options it adds. Every project sizes its
 * timeouts for a busy 2-core machine (load average 10-12), where vitest's 5 s default fails tests that start
 * processes or run whole client stories; each config says why its numbers are what they are.
 */
export const packageProject = (name: string, test: NonNullable<ViteUserConfig['test']>) =>
  defineConfig({
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
    test: { name, include: ['src/**/*.test.ts', 'test/**/*.test.ts'], passWithNoTests: true, ...test },
  })
