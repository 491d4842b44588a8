/**
 * Datapact on an EVM chain: the quickstart story against a local Anvil node started by this script (the same code
 * runs against Besu, Quorum or any JSON-RPC endpoint: pass DATAPACT_EVM_RPC_URL and funded keys instead).
 * Run with `pnpm --filter @datapact/example-evm start`.
 */

import { EvmLedger } from '@datapact/adapter-evm'
import { startAnvil } from '@datapact/adapter-evm/testing'
import { Datapact, generateMemberKeys } from '@datapact/core'

const say = (text: string) => console.log(`   ${text}`)
const anvil = await startAnvil()
try {
  console.log(`Anvil on ${anvil.rpcUrl}`)
  const [aliceKey, bobKey, regulatorKey] = anvil.accounts
  const aliceLedger = await EvmLedger.deploy({ rpcUrl: anvil.rpcUrl, privateKey: aliceKey! })
  console.log(`Datapact contract deployed at ${aliceLedger.address}`)
  const aliceKeys = generateMemberKeys()
  const alice = await Datapact.open({ ledger: aliceLedger, keys: aliceKeys })
  const bob = await Datapact.open({ ledger: aliceLedger.as(bobKey!), keys: generateMemberKeys() })
  const regulator = await Datapact.open({ ledger: aliceLedger.as(regulatorKey!), keys: generateMemberKeys() })

  await alice.members.join({ name: 'Alice Data Ltd', roles: ['provider'] })
  await bob.members.join({ name: 'Bob Analytics', roles: ['consumer'] })
  await regulator.members.join({ name: 'Market Regulator', roles: ['regulator'] })
  say(`members: ${(await regulator.members.list()).map(m => `${m.name} (${m.id.slice(0, 10)}…)`).join(', ')}`)

  const data = new TextEncoder().encode('date,close\n2026-11-24,102.25\n'.repeat(500))
  const { id, version } = await alice.datasets.register({
    title: 'Daily closing prices',
    tags: ['finance'],
    terms: { pricePerAccess: 100n, currency: 'CNY' },
    data,
  })
  say(
    `dataset ${id.slice(0, 8)}… version ${version?.number}: ${version?.size} bytes, ciphertext in contract event logs`,
  )
  await alice.grants.grant(id, bob.memberId, { maxAccesses: 10 })
  await alice.datasets.publish(id, new TextEncoder().encode('date,close\n2026-11-25,103.0\n'.repeat(400)))
  await alice.close()
  say('provider offline')
  const got = await bob.data.fetch(id)
  say(
    `Bob fetched version ${got.version.number} (${got.bytes.length} bytes), verified and metered in tx ${got.receipt?.txId?.slice(0, 12)}…`,
  )
  await bob.usage.record(Array.from({ length: 5 }, () => ({ datasetId: id, version: 2 })))
  say('5 more accesses metered in one batch transaction')
  const st = await bob.billing.statement({ provider: alice.memberId })
  // A second client for Alice uses Alice's keys (Datapact.open checks them against her envelope key on the ledger).
  const alice2 = await Datapact.open({ ledger: aliceLedger.as(aliceKey!), keys: aliceKeys })
  const st2 = await alice2.billing.statement({ consumer: bob.memberId })
  say(
    `statements: Bob ${st.amount} ${st.currency}, Alice ${st2.amount} ${st2.currency}; same digest: ${Buffer.from(st.digest).equals(Buffer.from(st2.digest))}`,
  )
  await bob.billing.settle(st)
  const settled = await alice2.billing.settle(st2)
  say(`settled on chain: ${settled.settledAmount} ${settled.currency}`)
  const report = await regulator.audit.verify({ payloads: true })
  say(`audit: ${report.events} events, ${report.usageRecords} usage records, ${report.ok ? 'CLEAN' : 'VIOLATIONS'}`)
  if (!report.ok) process.exitCode = 1
  await Promise.all([bob.close(), regulator.close(), alice2.close()])
} finally {
  await anvil.stop()
}
