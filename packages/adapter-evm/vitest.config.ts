import { packageProject } from '../../vitest.project.js'

export default packageProject('adapter-evm', {
  // Compiles the contract when src/generated/datapact.ts is missing or older than contracts/*.sol.
  globalSetup: ['./test/globalSetup.ts'],
  // Each file starts its own Anvil; solc-js and Anvil start-up are slow on a loaded machine.
  testTimeout: 30_000,
  hookTimeout: 60_000,
})
