import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { toDatasetId, toMemberId } from '@datapact/core'
import * as grpc from '@grpc/grpc-js'
import { build, type Options } from 'tsup'
import { describe, expect, it } from 'vitest'
import { FabricLedger } from '../src/index.js'
import {
  type ChaincodeSource,
  createTestOrganisation,
  peerMessageLimits,
  startGatewayTestServer,
} from '../src/testing/index.js'

// The chaincode (@datapact/chaincode) as it is deployed: the chaincode-as-a-service entry, from source and as the
// bundled CommonJS file, served on CHAINCODE_SERVER_ADDRESS / CHAINCODE_ID and driven through the gateway like any
// peer would.

const packageDir = dirname(createRequire(import.meta.url).resolve('@datapact/chaincode/package.json'))
const { chaincodeServer } = (await import(pathToFileURL(join(packageDir, 'tsup.config.ts')).href)) as {
  chaincodeServer: Options
}
const serverSource = join(packageDir, 'src', 'server.ts')
// Inside the chaincode package, so that the bundle finds fabric-shim and fabric-contract-api as an image's
// node_modules would.
const bundleDir = join(packageDir, 'node_modules', '.cache', 'datapact-chaincode-test')

async function roundTrip(chaincode: ChaincodeSource): Promise<void> {
  const org = await createTestOrganisation('Org1MSP')
  const alice = await org.createMember('alice')
  const server = await startGatewayTestServer({
    channel: 'ch',
    chaincodeName: 'datapact',
    organisations: [org],
    chaincode,
  })
  const client = new grpc.Client(server.address, grpc.credentials.createInsecure(), peerMessageLimits)
  const ledger = new FabricLedger({ client, ...alice, channel: 'ch', chaincode: 'datapact' })
  try {
    const { events } = await ledger.submit('joinConsortium', {
      name: 'Alice',
      roles: ['provider'],
      envelopeKey: new Uint8Array(32).fill(1), // all-zero is now a small-order key (issue 9)
      settings: null,
    })
    expect(events.map(e => e.type)).toEqual(['ConsortiumBootstrapped', 'MemberJoined'])
    expect((await ledger.query('getMember', { member: toMemberId('Org1MSP/alice') }))?.name).toBe('Alice')
    await expect(
      ledger.submit('revokeAccess', { datasetId: toDatasetId('cd'.repeat(32)), grantee: toMemberId('Org1MSP/bob') }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect((await ledger.readEvents()).events).toHaveLength(2)
  } finally {
    await ledger.close()
    client.close()
    await server.stop()
  }
}

describe('the chaincode as a service', () => {
  it('serves from the server entry (source)', async () => {
    await roundTrip({ command: process.execPath, args: ['--import', 'tsx', '--conditions=source', serverSource] })
  }, 60_000)

  it('serves from the one-file CommonJS bundle, with core inside', async () => {
    await build({
      ...chaincodeServer,
      entry: { 'chaincode-server': serverSource },
      outDir: bundleDir,
      tsconfig: `${packageDir}/tsconfig.json`,
      sourcemap: false,
      silent: true,
      config: false,
    })
    const bundle = `${bundleDir}/chaincode-server.cjs`
    // Every require, also through createRequire (esbuild names those require2, require3, ...).
    const required = [...readFileSync(bundle, 'utf8').matchAll(/\brequire\d*\("([^"]+)"\)/g)].map(m => m[1])
    expect(new Set(required)).toEqual(
      new Set([
        'fabric-contract-api',
        'fabric-shim',
        'fabric-shim/lib/contract-spi/chaincodefromcontract.js',
        'crypto',
        'fs',
        'module',
      ]),
    )
    await roundTrip({ command: process.execPath, args: [bundle] })
  }, 60_000)
})
