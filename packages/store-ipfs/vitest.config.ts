import { packageProject } from '../../vitest.project.js'

export default packageProject('store-ipfs', {
  // Builds Kubo with Go into the per-machine tool cache when it is not there yet (minutes once, then instant).
  globalSetup: ['./test/globalSetup.ts'],
  // Each file starts its own Kubo daemons; start-up and swarm transfers are slow on a loaded machine.
  testTimeout: 120_000,
  hookTimeout: 240_000,
})
