import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'adapter-evm',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    // Compiles the contract when src/generated/datapact.ts is missing or older than contracts/*.sol.
    globalSetup: ['./test/globalSetup.ts'],
    // Each file starts its own Anvil; solc-js and Anvil start-up are slow on a loaded machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
