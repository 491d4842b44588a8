import { packageProject } from '../../vitest.project.js'

export default packageProject('adapter-fabric', {
  // Sized for a busy 2-core machine (load average 10-12): tests start gateway test servers and chaincode child
  // processes (Node + tsx + fabric-shim, about 1 s alone, 10 s and more on shared cores) and run several
  // endorse/order/commit round trips each; vitest's 5 s default failed them under load.
  testTimeout: 60_000,
  hookTimeout: 120_000,
})
