import { packageProject } from '../../vitest.project.js'

export default packageProject('chaincode', {
  // Sized for a busy 2-core machine: the runtime tests start fresh Node processes that load fabric-shim (about
  // 0.3 s alone, ten times that when the run shares the cores), and vitest's 5 s default would then fail them.
  testTimeout: 60_000,
  hookTimeout: 120_000,
})
