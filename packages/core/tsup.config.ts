import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    crypto: 'src/crypto/index.ts',
    codec: 'src/codec/index.ts',
    rules: 'src/rules/index.ts',
    errors: 'src/errors.ts',
    service: 'src/service/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // cborg ships ESM only with an "import"-only exports map; bundle it so the CJS build loads.
  noExternal: ['cborg'],
  // testing/fastCheck.ts requires fast-check lazily from import.meta.url; shim it in the CommonJS build.
  shims: true,
})
