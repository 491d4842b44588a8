import { defineConfig } from 'vitest/config'

// Runs every example as a user would (`pnpm start` in its folder) and checks the story completes; the service
// example's own tests call it through real HTTP requests.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'examples',
    include: ['examples.test.ts', 'service/src/*.test.ts'],
    // Each example is a child process that starts Anvil or a gateway test server and runs a whole story: about 10-30 s
    // alone, several times that on a busy 2-core machine. The child itself is killed at 170 s (examples.test.ts).
    testTimeout: 180_000,
  },
})
