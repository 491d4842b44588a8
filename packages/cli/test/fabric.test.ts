import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createTestOrganisation,
  datapactChaincode,
  type GatewayTestServer,
  startGatewayTestServer,
  type TestMember,
  type TestOrganisation,
} from '@datapact/adapter-fabric/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { member, theWholeStory } from './helpers.js'

const peerHost = 'peer0.org1.example.com'

describe('datapact CLI on Fabric (the gateway test server over TLS, each command its own process)', () => {
  let server: GatewayTestServer
  let org1: TestOrganisation
  let org2: TestOrganisation
  let root: string
  beforeAll(async () => {
    ;[org1, org2] = await Promise.all([
      createTestOrganisation('AliceDataMSP'),
      createTestOrganisation('BobAnalyticsMSP'),
    ])
    server = await startGatewayTestServer({
      channel: 'datapact',
      chaincodeName: 'datapact',
      organisations: [org1, org2],
      chaincode: datapactChaincode(),
      tls: await org1.createTlsIdentity(peerHost),
    })
    root = mkdtempSync(join(tmpdir(), 'datapact-cli-fabric-'))
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  /** A member's config: its certificate and key in PEM files, the peer's TLS CA, the gateway endpoint. */
  const config = (name: string, m: TestMember) => {
    const file = (suffix: string, pem: string) => {
      const path = join(root, `${name}-${suffix}.pem`)
      writeFileSync(path, pem, { mode: 0o600 })
      return path
    }
    return {
      ledger: {
        kind: 'fabric',
        peerEndpoint: server.address,
        tlsCaFile: file('tls-ca', org1.caCertPem),
        hostAlias: peerHost,
        mspId: m.mspId,
        certificateFile: file('cert', m.certificatePem),
        privateKeyFile: file('key', m.privateKeyPem),
        channel: 'datapact',
        chaincode: 'datapact',
      },
    }
  }

  it('runs the whole story between a provider and a consumer of two organisations', async () => {
    const alice = await org1.createMember('alice')
    const bob = await org2.createMember('bob')
    const provider = member(root, 'provider', config('provider', alice))
    const consumer = member(root, 'consumer', config('consumer', bob))
    await theWholeStory(provider, consumer)
    expect((await consumer.json<{ memberId: string }>(['whoami'])).memberId).toBe('BobAnalyticsMSP/bob')
  })

  it('config check reports an unreachable peer as LEDGER_UNAVAILABLE', async () => {
    const carol = await org2.createMember('carol')
    const m = member(root, 'carol', config('carol', carol))
    const r = await m.run(['config', 'check', '--offline', '--json'])
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [] })
    const down = await m.run(['config', 'check', '--json', '--peer', '127.0.0.1:1'])
    expect(down.code).toBe(3)
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: false, ledger: { error: { code: 'LEDGER_UNAVAILABLE' } } })
  })
})
