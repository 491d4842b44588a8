import { fileURLToPath } from 'node:url'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.package.js'
import { compile } from './scripts/compile.js'

export default defineConfig(async () => {
  // src/generated/datapact.ts (ABI + bytecode) is generated from contracts/*.sol; compile it when missing or stale.
  await compile({ root: fileURLToPath(new URL('.', import.meta.url)) })
  // The Anvil launcher resolves its binary from import.meta.url; shim it in the CommonJS build.
  return packageBuild({ index: 'src/index.ts', testing: 'src/testing/index.ts' }, { shims: true })
})
