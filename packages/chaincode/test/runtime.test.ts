import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { transactionNames } from '../src/contract.js'

// The chaincode entry loaded in a fresh Node process, as a consumer loads it, from source: GetMetadata through
// fabric-shim's ChaincodeFromContract under the class-transformer this repository resolves without an override,
// and what loading it prints. (scripts/consumer-check.mjs runs the same driver on the packed tarball, ESM and CJS.)

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const driver = fileURLToPath(new URL('./fixtures/getMetadata.mjs', import.meta.url))

interface Run {
  readonly result: { status: number; message?: string; contracts: string[]; transactions: number }
  /** Every line printed besides the result. */
  readonly noise: string[]
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  if (!('CORE_CHAINCODE_LOGGING_LEVEL' in env)) delete childEnv.CORE_CHAINCODE_LOGGING_LEVEL
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', driver, ...args],
    { cwd: packageDir, env: childEnv, maxBuffer: 16 * 1024 * 1024 },
  )
  const lines = `${stdout}${stderr}`.split('\n').filter(line => line.trim() !== '')
  const result = lines.find(line => line.startsWith('RESULT '))
  if (!result) throw new Error(`no result in:\n${lines.join('\n')}`)
  return { result: JSON.parse(result.slice('RESULT '.length)), noise: lines.filter(line => line !== result) }
}

const served = {
  status: 200,
  contracts: ['datapact', 'org.hyperledger.fabric'],
  transactions: transactionNames.length + 1, // the rules plus rotateFabricCertificate
}

describe('the chaincode entry in a fresh process', () => {
  it('resolves class-transformer 0.4.1 here: no override pins it', () => {
    const fromContractApi = createRequire(createRequire(import.meta.url).resolve('fabric-contract-api'))
    const manifest = fromContractApi('class-transformer/package.json') as { version: string }
    expect(manifest.version).toBe('0.4.1')
  })

  it('answers org.hyperledger.fabric:GetMetadata, and loads without printing', async () => {
    const { result, noise } = await run(['esm'])
    expect(result).toEqual(served)
    expect(noise).toEqual([])
  }, 60_000)

  it('logs the contract API at the level CORE_CHAINCODE_LOGGING_LEVEL sets', async () => {
    const { result, noise } = await run(['esm'], { CORE_CHAINCODE_LOGGING_LEVEL: 'INFO' })
    expect(result).toEqual(served)
    expect(noise.filter(line => line.includes('info') && line.includes('@Transaction')).length).toBeGreaterThan(30)
  }, 60_000)

  it('serves GetMetadata with its own serializers when the contract API loaded first (fabric-chaincode-node)', async () => {
    expect((await run(['esm', 'cli-order'])).result).toEqual(served)
    // What the exported serializers avoid: the contract API's serializer, loaded before the fix.
    expect((await run(['esm', 'cli-order', 'default-serializer'])).result).toMatchObject({
      status: 500,
      message: 'classToPlain is not a function',
    })
  }, 60_000)
})
