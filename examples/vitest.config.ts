import { defineConfig } from 'vitest/config'

// Runs every example as a user would (`pnpm start` in its folder) and checks the story completes; the service
// example's own tests call it through real HTTP requests.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'examples', include: ['examples.test.ts', 'service/src/*.test.ts'], testTimeout: 180_000 },
})
