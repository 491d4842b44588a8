import { defineConfig } from 'vitest/config'

// Runs every example as a user would (`pnpm start` in its folder) and checks the story completes.
export default defineConfig({
  test: { name: 'examples', include: ['examples.test.ts'], testTimeout: 180_000 },
})
