/**
 * Datapact quickstart: three members of a consortium on the in-memory ledger.
 * A provider registers a dataset and grants a consumer access; the consumer fetches, verifies and decrypts it
 * while the provider is offline; every access is metered; both sides compute the same statement and settle it;
 * the regulator audits the whole history. Along the way the ledger refuses a revoked grantee, an exhausted quota and a
 * tampered payload, and members come back from their keystore files. Run with `pnpm demo`.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { MemoryLedger } from '@datapact/adapter-memory'
import { Datapact, FileSystemPayloadStore, generateMemberKeys, isDatapactError } from '@datapact/core'
import { openKeystore, PASSPHRASE_ENV, saveKeystore } from '@datapact/core/service'

const dir = join(process.cwd(), '.datapact-demo')
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const file = join(dir, 'ledger.bin')

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const short = (s: string) => (s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-4)}` : s)
const step = (n: number, text: string) => console.log(`\n${n}. ${text}`)
const say = (text: string) => console.log(`   ${text}`)

const ledger = new MemoryLedger({ file })
console.log('Datapact quickstart — one consortium ledger in memory, saved to', file)

// Payloads of one dataset live in files (a replicated directory in production), so the demo can tamper with one.
const files = new FileSystemPayloadStore(join(dir, 'payloads'), 'files')
const refused = async (what: Promise<unknown>) => {
  const e = await what.then(
    () => null,
    (x: unknown) => x,
  )
  if (!isDatapactError(e)) throw new Error(`expected a refusal, got ${String(e)}`)
  return `refused: ${e.code} — ${e.message}`
}

step(1, 'Three members create their keys, lock them in keystore files, and join the consortium')
// Each member's keys live in a keystore file locked with a passphrase (here from DATAPACT_PASSPHRASE): a client
// opened later for the same member reopens that file (Datapact.open checks the keys against the ledger).
process.env[PASSPHRASE_ENV] ??= 'demo passphrase: set DATAPACT_PASSPHRASE'
const keystore = (id: string) => join(dir, `${id.replace('mem:', '')}.keystore.json`)
for (const id of ['mem:alice-data-ltd', 'mem:bob-analytics', 'mem:market-regulator'])
  await saveKeystore(keystore(id), generateMemberKeys())
const open = async (id: string, on: MemoryLedger = ledger) =>
  Datapact.open({ ledger: on.as(id), keys: await openKeystore(keystore(id)), stores: [files] })
const alice = await open('mem:alice-data-ltd')
const bob = await open('mem:bob-analytics')
const regulator = await open('mem:market-regulator')
say(
  `keystores: ${readdirSync(dir)
    .filter(f => f.endsWith('.keystore.json'))
    .join(', ')}`,
)
await alice.members.join({ name: 'Alice Data Ltd', roles: ['provider'] })
await bob.members.join({ name: 'Bob Analytics', roles: ['consumer'] })
await regulator.members.join({ name: 'Market Regulator', roles: ['regulator'] })
for (const m of await regulator.members.list())
  say(`${m.name.padEnd(18)} ${m.id.padEnd(22)} roles: ${m.roles.join(', ')}`)

step(2, 'Alice registers a dataset: encrypted, fingerprinted, anchored on the ledger')
const v1 = new TextEncoder().encode('date,close\n2026-11-23,101.5\n2026-11-24,102.25\n'.repeat(2000))
const { id, version } = await alice.datasets.register({
  title: 'Daily closing prices',
  description: 'End-of-day prices, CSV',
  tags: ['finance', 'prices'],
  mediaType: 'text/csv',
  terms: { pricePerAccess: 100n, currency: 'CNY', licence: 'Internal analytics only' },
  data: v1,
})
say(`dataset ${short(id)}  version ${version?.number}: ${version?.size} bytes in ${version?.chunkCount} chunk(s)`)
say(
  `plaintext SHA-256 ${short(hex(version!.plaintextDigest))}, ciphertext Merkle root ${short(hex(version!.merkleRoot))}`,
)
say(`catalog now lists: ${(await bob.datasets.catalog()).map(d => d.metadata.title).join(', ')}`)

step(3, 'Alice grants Bob access (all versions, at most 10 accesses) and publishes version 2')
const grant = await alice.grants.grant(id, bob.memberId, { scope: 'all', maxAccesses: 10 })
say(`grant #${grant.seq} to ${bob.memberId}: ${grant.maxAccesses} accesses, price ${100n} CNY each`)
const v2 = await alice.datasets.publish(id, new TextEncoder().encode('date,close\n2026-11-25,103.0\n'.repeat(3000)))
say(`version ${v2.number} published (previous: ${v2.previous}); its key is wrapped for Alice and Bob only`)

step(4, 'Alice goes offline; Bob fetches from his own node')
await alice.close()
say('provider offline (Alice closed her connection)')
const fetched = await bob.data.fetch(id)
say(`fetch succeeded: version ${fetched.version.number}, ${fetched.bytes.length} bytes`)
say(`verified: Merkle root and SHA-256 ${short(hex(fetched.version.plaintextDigest))} match the ledger`)
say(
  `metered on the ledger: tx ${fetched.receipt?.txId}, ${fetched.receipt?.record.amount} ${fetched.receipt?.record.currency}`,
)

step(5, 'Bob reads a few more times; every access is one usage record on the ledger')
for (let i = 0; i < 3; i++) await bob.data.fetch(id, { version: i % 2 === 0 ? 1 : 2 })
const batch = await bob.usage.record([
  { datasetId: id, version: 2 },
  { datasetId: id, version: 2 },
])
say(`3 fetches + a batch of ${batch.length} accesses recorded in one transaction (${batch[0]?.txId})`)
say(`grant usage: ${(await bob.grants.get(id))?.used} of 10`)

step(6, 'The ledger says no: a tampered payload, an exhausted quota, a revoked grant')
const alice2 = await open('mem:alice-data-ltd')
say('(Alice is back online: her client reopened from her keystore file)')
const ticks = await alice2.datasets.register({
  title: 'Intraday ticks',
  terms: { pricePerAccess: 10n, currency: 'CNY' },
  data: new TextEncoder().encode('time,price\n09:30,101.1\n'.repeat(4000)),
  store: 'files',
})
await alice2.grants.grant(ticks.id, bob.memberId, { maxAccesses: 1 })
// Someone changes one byte of the stored ciphertext.
const [payload] = readdirSync(join(dir, 'payloads')).map(f => join(dir, 'payloads', f))
const original = readFileSync(payload!)
const at = original.length >> 1
const fd = openSync(payload!, 'r+')
writeSync(fd, new Uint8Array([original[at]! ^ 1]), 0, 1, at)
closeSync(fd)
say(`tampered payload: ${await refused(bob.data.fetch(ticks.id))}`)
say(`nothing was billed: grant usage ${(await bob.grants.get(ticks.id))?.used} of 1`)
writeFileSync(payload!, original) // restored from a replica
const ok = await bob.data.fetch(ticks.id)
say(`restored from a replica: fetch verified ${ok.bytes.length} bytes, metered (1 of 1)`)
say(`quota exhausted: ${await refused(bob.data.fetch(ticks.id))}`)
await alice2.grants.revoke(id, bob.memberId)
say(`after revocation: ${await refused(bob.data.fetch(id))}`)

step(7, 'Both sides compute the statement from their own node')
const fromBob = await bob.billing.statement({ provider: alice.memberId })
const fromAlice = await alice2.billing.statement({ consumer: bob.memberId })
say(
  `Bob's view:   ${fromBob.count} accesses, ${fromBob.amount} ${fromBob.currency}, digest ${short(hex(fromBob.digest))}`,
)
say(
  `Alice's view: ${fromAlice.count} accesses, ${fromAlice.amount} ${fromAlice.currency}, digest ${short(hex(fromAlice.digest))}`,
)
say(fromBob.digest.every((b, i) => b === fromAlice.digest[i]) ? 'identical — nothing to reconcile' : 'DIFFERENT')

step(8, 'Both acknowledge the same digest: settled on the ledger')
await bob.billing.settle(fromBob)
const settlement = await alice2.billing.settle(fromAlice)
say(`settled ${settlement.settledAmount} ${settlement.currency} for ${settlement.settledCount} accesses`)

step(9, 'The regulator audits: replays every event and checks every invariant')
const report = await regulator.audit.verify({ payloads: true })
say(
  `${report.events} events, ${report.datasets} datasets, ${report.versions} versions, ${report.usageRecords} usage records`,
)
say(
  `payloads re-checked: ${report.payloadsChecked}; violations: ${report.violations.length} → ${report.ok ? 'CLEAN' : 'VIOLATIONS'}`,
)

step(10, 'Restart: the ledger comes back from its file, the regulator from its keystore, and the audit still holds')
const restarted = new MemoryLedger({ file })
const again = await open('mem:market-regulator', restarted)
const after = await again.audit.verify()
say(`reloaded ${after.events} events from ${file}; audit ${after.ok ? 'CLEAN' : 'VIOLATIONS'}`)
if (!report.ok || !after.ok) process.exitCode = 1
console.log('\nDone.')
