import { packageProject } from '../../vitest.project.js'

export default packageProject('adapter-memory', {
  // Sized for a busy 2-core machine (load average 10-12): the conformance and sweep tests run whole client stories
  // (encryption, many ledger calls) that take seconds alone and ten times that on shared cores; 5 s is not enough.
  testTimeout: 30_000,
  hookTimeout: 60_000,
})
