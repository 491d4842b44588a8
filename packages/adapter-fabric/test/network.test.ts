import { existsSync, readFileSync } from 'node:fs'
import { toDatasetId } from '@datapact/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FabricLedger } from '../src/index.js'

// Opt-in: runs against a real Fabric network (for example fabric-samples' test-network with the Datapact chaincode
// deployed as a service, see docs/fabric.md) when its connection settings are in the environment. Each PEM setting
// takes a file path or the PEM text itself. Read-only except for calls the chaincode refuses (nothing is ordered).
const env = (name: string) => process.env[`DATAPACT_FABRIC_${name}`]
const names = ['PEER_ENDPOINT', 'TLS_CERT', 'MSP_ID', 'CERT', 'KEY', 'CHANNEL', 'CHAINCODE'] as const
const missing = names.filter(name => !env(name)).map(name => `DATAPACT_FABRIC_${name}`)
if (missing.length > 0) console.info(`real Fabric network test skipped: set ${missing.join(', ')} (see docs/fabric.md)`)

const pem = (value: string) =>
  value.trimStart().startsWith('-----BEGIN') || !existsSync(value) ? value : readFileSync(value, 'utf8')

describe.skipIf(missing.length > 0)('FabricLedger on a real Fabric network', () => {
  let ledger: FabricLedger

  beforeAll(() => {
    ledger = new FabricLedger({
      peerEndpoint: env('PEER_ENDPOINT')!,
      tlsRootCert: pem(env('TLS_CERT')!),
      ...(env('HOST_ALIAS') && { hostAlias: env('HOST_ALIAS')! }),
      mspId: env('MSP_ID')!,
      certificatePem: pem(env('CERT')!),
      privateKeyPem: pem(env('KEY')!),
      channel: env('CHANNEL')!,
      chaincode: env('CHAINCODE')!,
    })
  })
  afterAll(() => ledger?.close())

  it('reads the chain height, the ledger time and this member', async () => {
    expect(await ledger.blockHeight()).toBeGreaterThan(0)
    const now = await ledger.query('getLedgerTime', {})
    expect(Math.abs(now - Date.now() / 1000)).toBeLessThan(300)
    const me = await ledger.query('getMember', { member: ledger.memberId })
    expect(me === null || me.id === ledger.memberId).toBe(true)
  }, 60_000)

  it('maps a refusal by the deployed chaincode to its code (nothing is ordered)', async () => {
    const height = await ledger.blockHeight()
    await expect(
      ledger.submit('revokeAccess', { datasetId: toDatasetId('cd'.repeat(32)), grantee: ledger.memberId }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(NOT_FOUND|ACCESS_DENIED)$/), ledger: 'fabric' })
    expect(await ledger.blockHeight()).toBeGreaterThanOrEqual(height)
  }, 60_000)

  it('reads the event history page by page to the head', async () => {
    let after: string | null = null
    let count = 0
    for (;;) {
      const page = await ledger.readEvents({ after, limit: 500 })
      if (page.events.length === 0) break
      count += page.events.length
      after = page.cursor
    }
    expect(count).toBeGreaterThanOrEqual(0)
  }, 120_000)
})
