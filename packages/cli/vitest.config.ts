import { packageProject } from '../../vitest.project.js'

// End-to-end tests: each spawns the built `datapact` bin (run `pnpm build` first) as real subprocesses.
export default packageProject('cli', {
  passWithNoTests: false,
  testTimeout: 300_000,
  hookTimeout: 180_000,
  fileParallelism: false,
})
