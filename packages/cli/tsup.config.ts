import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.package.js'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

export default defineConfig(
  packageBuild(
    { index: 'src/index.ts', bin: 'src/bin.ts' },
    {
      dts: { entry: { index: 'src/index.ts' } },
      // `datapact --version` prints the package's version, fixed at build time.
      define: { 'process.env.DATAPACT_CLI_VERSION': JSON.stringify(version) },
    },
  ),
)
