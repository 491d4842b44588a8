import { packageProject } from '../../vitest.project.js'

export default packageProject('index-postgres', {
  // Finds (or, as root on Debian, installs) PostgreSQL and starts one server for the run; each file makes a database.
  globalSetup: ['./test/globalSetup.ts'],
  // Sized for a busy 2-core machine: the conformance suite runs whole client stories over a real server, and one
  // test starts (and stops) a server of its own.
  testTimeout: 120_000,
  hookTimeout: 240_000,
})
