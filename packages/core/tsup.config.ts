import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.package.js'

export default defineConfig(
  packageBuild(
    {
      index: 'src/index.ts',
      crypto: 'src/crypto/index.ts',
      codec: 'src/codec/index.ts',
      rules: 'src/rules/index.ts',
      errors: 'src/errors.ts',
      service: 'src/service/index.ts',
      testing: 'src/testing/index.ts',
    },
    {
      // cborg ships ESM only with an "import"-only exports map; bundle it so the CJS build loads.
      noExternal: ['cborg'],
      // testing/fastCheck.ts requires fast-check lazily from import.meta.url; shim it in the CommonJS build.
      shims: true,
    },
  ),
)
