import type { Options } from 'tsup'

/**
 * One workspace package's library build: ESM and CommonJS with declarations and source maps, for ES2022, from the
 * given entry points; each config adds what its package needs (shims for import.meta.url in CommonJS, bundled
 * ESM-only dependencies, defines) and says why.
 */
export const packageBuild = (entry: Record<string, string>, more: Options = {}): Options => ({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  ...more,
})
