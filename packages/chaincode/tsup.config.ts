import { defineConfig, type Options } from 'tsup'

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
  {
    entry: { index: 'src/index.ts', wire: 'src/wire.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Both builds run at once: leave the chaincode bundle to its own build.
    clean: ['!chaincode-server.cjs*'],
    shims: true,
    target: 'es2022',
  },
  chaincodeServer,
])
