import { fileURLToPath } from 'node:url'
import { defineConfig } from 'tsup'
import { compile } from './scripts/compile.js'

export default defineConfig(async () => {
  // src/generated/datapact.ts (ABI + bytecode) is generated from contracts/*.sol; compile it when missing or stale.
  await compile({ root: fileURLToPath(new URL('.', import.meta.url)) })
  return {
    entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    // The Anvil launcher resolves its binary from import.meta.url; shim it in the CommonJS build.
    shims: true,
  }
})
