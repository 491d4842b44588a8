/**
 * Opt-in: the full story on an external JSON-RPC node (Besu, Quorum, Geth, a hosted testnet, or an Anvil you run).
 * Set DATAPACT_EVM_RPC_URL and DATAPACT_EVM_PRIVATE_KEY (a funded account; it deploys the contract and funds the
 * other members). Optional: DATAPACT_EVM_CONFIRMATIONS (default 1), DATAPACT_EVM_ADDRESS (reuse a deployed contract).
 */
import { Datapact, generateMemberKeys } from '@datapact/core'
import { JsonRpcProvider, parseEther, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { EvmLedger } from '../src/index.js'

const rpcUrl = process.env.DATAPACT_EVM_RPC_URL
const privateKey = process.env.DATAPACT_EVM_PRIVATE_KEY
const enabled = Boolean(rpcUrl && privateKey)
if (!enabled)
  console.log(
    'adapter-evm: skipping the external-node integration test (set DATAPACT_EVM_RPC_URL and DATAPACT_EVM_PRIVATE_KEY)',
  )

describe.skipIf(!enabled)('external EVM node', () => {
  it('deploys (or attaches), and runs register, grant, fetch, meter, settle and audit', {
    timeout: 600_000,
  }, async () => {
    const confirmations = Number(process.env.DATAPACT_EVM_CONFIRMATIONS ?? 1)
    const options = { rpcUrl: rpcUrl!, privateKey: privateKey!, confirmations, pollingInterval: 500 }
    // Fresh identities for a fresh story, funded by the deployer when gas costs anything on this chain; the first is
    // the genesis admin of a fresh deployment.
    const wallets = [Wallet.createRandom(), Wallet.createRandom()]
    const root = process.env.DATAPACT_EVM_ADDRESS
      ? await EvmLedger.attach({ ...options, address: process.env.DATAPACT_EVM_ADDRESS })
      : await EvmLedger.deploy({ ...options, admin: wallets[0]!.address.toLowerCase() })
    const node = new JsonRpcProvider(rpcUrl)
    const funder = new Wallet(privateKey!, node)
    const gasPrice = (await node.getFeeData()).gasPrice ?? 0n
    if (gasPrice > 0n)
      for (const w of wallets)
        await (await funder.sendTransaction({ to: w.address, value: parseEther('0.05') })).wait(confirmations)
    const [provider, consumer] = wallets.map(w => root.as(w.privateKey)) as [EvmLedger, EvmLedger]
    const alice = await Datapact.open({ ledger: provider, keys: generateMemberKeys() })
    const bob = await Datapact.open({ ledger: consumer, keys: generateMemberKeys() })
    const settings = await root.query('getSettings', {})
    await alice.members.join({ name: 'Integration provider', roles: ['provider', 'consumer'] })
    if (settings?.admission === 'admin')
      throw new Error('the consortium on this contract admits by admin: use a fresh deploy')
    await bob.members.join({ name: 'Integration consumer', roles: ['consumer'] })
    const data = new TextEncoder().encode('integration '.repeat(200))
    const { id } = await alice.datasets.register({
      title: 'Integration',
      terms: { pricePerAccess: 3n, currency: 'CNY' },
      data,
    })
    await alice.grants.grant(id, bob.memberId, { maxAccesses: 2 })
    const got = await bob.data.fetch(id)
    expect(got.bytes).toEqual(data)
    expect(got.receipt?.record.amount).toBe(3n)
    const st = await bob.billing.statement({ provider: alice.memberId })
    await bob.billing.settle(st)
    expect((await alice.billing.settle(st)).settledDigest).toEqual(st.digest)
    expect((await bob.audit.verify()).violations).toEqual([])
    await Promise.all([alice.close(), bob.close(), root.close()])
    node.destroy()
  })
})
