import { packageProject } from '../../vitest.project.js'

export default packageProject('index-sqlite', {
  // Sized for a busy 2-core machine: the property cases open dozens of databases.
  testTimeout: 120_000,
  hookTimeout: 120_000,
})
