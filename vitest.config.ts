import { defineConfig } from 'vitest/config'

// One vitest run for the whole workspace: each package contributes projects (unit, property, conformance).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'examples/vitest.config.ts'],
    passWithNoTests: true,
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
})
