import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnvilInstance, startAnvil } from '@datapact/adapter-evm/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { member, theWholeStory } from './helpers.js'

describe('datapact CLI on Anvil (each command its own process, over JSON-RPC)', () => {
  let anvil: AnvilInstance
  let root: string
  beforeAll(async () => {
    anvil = await startAnvil()
    root = mkdtempSync(join(tmpdir(), 'datapact-cli-evm-'))
  })
  afterAll(async () => {
    await anvil?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('deploys the contract, then runs the whole story between a provider and a consumer', async () => {
    const keyFile = (name: string, key: string) => {
      const file = join(root, `${name}.key`)
      writeFileSync(file, `${key}\n`, { mode: 0o600 })
      return file
    }
    const ledger = (name: string, key: string, contract?: string) => ({
      ledger: {
        kind: 'evm',
        rpcUrl: anvil.rpcUrl,
        privateKeyFile: keyFile(name, key),
        ...(contract ? { contract } : {}),
      },
    })
    const [aliceKey, bobKey] = anvil.accounts as [string, string]
    const deployer = member(root, 'provider', ledger('provider', aliceKey))
    const deployed = await deployer.json<{ contract: string }>(['deploy'])
    expect(deployed.contract).toMatch(/^0x[0-9a-f]{40}$/)
    const provider = member(root, 'provider', ledger('provider', aliceKey, deployed.contract))
    const consumer = member(root, 'consumer', ledger('consumer', bobKey, deployed.contract))
    const check = await consumer.run(['config', 'check', '--json'])
    // No keystore yet: check says so, and reaches the chain.
    expect(check.code).toBe(3)
    expect(JSON.parse(check.stdout)).toMatchObject({ ledger: { kind: 'evm', member: 'not joined' } })
    await theWholeStory(provider, consumer)
    // The account key never reaches the output.
    const out = await consumer.run(['whoami'])
    expect(out.stdout + out.stderr).not.toContain(bobKey.slice(2))
  })
})
