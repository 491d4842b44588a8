import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'index-sqlite',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    // Sized for a busy 2-core machine: the property cases open dozens of databases.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
