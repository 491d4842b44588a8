import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'adapter-memory',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    // Sized for a busy 2-core machine (load average 10-12): the conformance and sweep tests run whole client stories
    // (encryption, many ledger calls) that take seconds alone and ten times that on shared cores; 5 s is not enough.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
