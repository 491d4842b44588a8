import { defineConfig, type Options } from 'tsup'
import { packageBuild } from '../../tsup.package.js'

/**
 * The chaincode as one CommonJS file for a chaincode-as-a-service image: core's rules, codec and cborg are bundled
 * in (from source), fabric-shim and fabric-contract-api stay external (the image installs them; fabric-shim must
 * be the copy the contract API registers with). Run it with `node chaincode-server.cjs`.
 */
export const chaincodeServer: Options = {
  entry: { 'chaincode-server': 'src/server.ts' },
  format: ['cjs'],
  platform: 'node',
  target: 'node18',
  dts: false,
  sourcemap: true,
  shims: true,
  clean: false,
  noExternal: ['@datapact/core', 'cborg', /^@noble\//],
  external: ['fabric-shim', 'fabric-contract-api'],
  esbuildOptions(options) {
    options.conditions = ['source']
  },
}

export default defineConfig([
  // Both builds run at once: leave the chaincode bundle to its own build.
  packageBuild({ index: 'src/index.ts', wire: 'src/wire.ts' }, { clean: ['!chaincode-server.cjs*'], shims: true }),
  chaincodeServer,
])
