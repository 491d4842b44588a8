import { packageProject } from '../../vitest.project.js'

export default packageProject('core', {
  // Sized for a busy 2-core machine (load average 10-12), not for a quiet one: crypto and property tests that take
  // 0.1-2 s alone can take ten times that when the run shares the cores, and vitest's 5 s default then fails them.
  testTimeout: 30_000,
  hookTimeout: 60_000,
})
