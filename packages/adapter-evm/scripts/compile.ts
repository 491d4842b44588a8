/**
 * Compiles contracts/*.sol with solc-js (the `solc` npm package) into src/generated/datapact.ts: the ABI `as const`,
 * the creation bytecode and a fingerprint of the inputs. Skips the work when the fingerprint is unchanged.
 *
 * Run: `tsx scripts/compile.ts [--force]`. Also called by the vitest global setup.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeConstants } from './constants.js'

/** The package directory (this file is in scripts/). */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Compiler settings. `paris` keeps the bytecode free of PUSH0/MCOPY, so it deploys on Besu and GoQuorum too. */
export const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  viaIR: true,
  evmVersion: 'paris',
  outputSelection: {
    'Datapact.sol': { Datapact: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
    'DatapactViews.sol': { DatapactViews: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
  },
} as const

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>
  contracts: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >
}

function sources(contractsDir: string): Record<string, { content: string }> {
  const out: Record<string, { content: string }> = {}
  for (const name of readdirSync(contractsDir).sort())
    if (name.endsWith('.sol')) out[name] = { content: readFileSync(join(contractsDir, name), 'utf8') }
  return out
}

/** Fingerprint of everything the output depends on. */
function fingerprint(input: Record<string, { content: string }>, version: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ input, settings: SETTINGS, version, script: 2 }))
    .digest('hex')
}

/**
 * Compiles the contracts unless src/generated/datapact.ts is up to date.
 *
 * @param options - `force`: compile even when the fingerprint matches; `root`: the package directory (default: the
 * one this script is in; pass it when this module is bundled elsewhere, as tsup does with its config).
 * @returns Whether it compiled.
 */
export async function compile(options: { force?: boolean; root?: string } = {}): Promise<boolean> {
  const root = options.root ?? packageRoot
  const outFile = join(root, 'src', 'generated', 'datapact.ts')
  const require = createRequire(join(root, 'package.json'))
  // Resolves `import "@openzeppelin/..."` and other package imports from the package's node_modules.
  const findImport = (path: string): { contents: string } | { error: string } => {
    try {
      return { contents: readFileSync(require.resolve(path), 'utf8') }
    } catch {
      return { error: `not found: ${path}` }
    }
  }
  const solc = require('solc') as { version(): string; compile(input: string, opts: object): string }
  // The contract's limits and enums come from core: regenerate them first, so they are never stale.
  await writeConstants(root)
  const input = sources(join(root, 'contracts'))
  const hash = fingerprint(input, solc.version())
  if (!options.force) {
    try {
      if (readFileSync(outFile, 'utf8').includes(`'${hash}'`)) return false
    } catch {}
  }
  const started = Date.now()
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: 'Solidity', sources: input, settings: SETTINGS }), { import: findImport }),
  ) as SolcOutput
  const problems = (output.errors ?? []).filter(e => e.severity !== 'info')
  for (const p of problems) console.error(p.formattedMessage)
  if (problems.some(p => p.severity === 'error')) throw new Error('solc: compilation failed')
  const contract = output.contracts['Datapact.sol']?.Datapact
  const views = output.contracts['DatapactViews.sol']?.DatapactViews
  if (!contract || !views) throw new Error('solc: no Datapact or DatapactViews contract in the output')
  const bytecode = contract.evm.bytecode.object
  const runtimeSize = contract.evm.deployedBytecode.object.length / 2
  const viewsRuntimeSize = views.evm.deployedBytecode.object.length / 2
  for (const [name, size] of [
    ['Datapact', runtimeSize],
    ['DatapactViews', viewsRuntimeSize],
  ] as const)
    if (size > 24_576) throw new Error(`${name} is ${size} bytes: over the EIP-170 limit of 24576`)
  // One ABI for the one address clients call: Datapact's own entries plus the views it forwards.
  const signature = (e: { type?: string; name?: string; inputs?: Array<{ type: string }> }) =>
    `${e.type}:${e.name}(${(e.inputs ?? []).map(i => i.type).join(',')})`
  const seen = new Set(contract.abi.map(e => signature(e as never)))
  const abi = [...contract.abi, ...views.abi.filter(e => !seen.has(signature(e as never)))]
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(
    outFile,
    [
      '// Generated by scripts/compile.ts from contracts/*.sol. Do not edit.',
      `// solc ${solc.version()}, ${JSON.stringify({ ...SETTINGS, outputSelection: undefined })}`,
      '',
      '/** Fingerprint of the sources and compiler settings this file was generated from. */',
      `export const datapactFingerprint = '${hash}'`,
      '',
      '/** Size in bytes of the deployed (runtime) code of Datapact and of DatapactViews; EIP-170 caps each at 24576. */',
      `export const datapactRuntimeSize = ${runtimeSize}`,
      '/** Size in bytes of the deployed (runtime) code of DatapactViews (EIP-170 caps it at 24576). */',
      `export const datapactViewsRuntimeSize = ${viewsRuntimeSize}`,
      '',
      '/** ABI of the Datapact contract, including the views it forwards to DatapactViews. */',
      `export const datapactAbi = ${JSON.stringify(abi, null, 2)} as const`,
      '',
      '/** Creation bytecode of the Datapact contract (constructor: genesis admin, views address). */',
      `export const datapactBytecode = '0x${bytecode}'`,
      '',
      '/** Creation bytecode of the DatapactViews contract (no constructor arguments). */',
      `export const datapactViewsBytecode = '0x${views.evm.bytecode.object}'`,
      '',
    ].join('\n'),
  )
  console.log(
    `compiled Datapact.sol in ${Date.now() - started} ms: runtime ${runtimeSize} bytes (views ${viewsRuntimeSize})`,
  )
  return true
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await compile({ force: process.argv.includes('--force') })
}
