// The shared story of the consumer check, run from an ESM and a CommonJS entry with that format's modules.
// Only plain JavaScript, so both formats load it the same way; everything it needs is passed in.

/** Throws when `condition` is false. */
export function check(condition, what) {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
}

/** Runs the quickstart story on the memory ledger and checks what a user of the published packages relies on. */
export async function story({ core, crypto, codec, rules, errors, service, testing, memory, evmTesting }) {
  const { Datapact, generateMemberKeys } = core
  const ledger = new memory.MemoryLedger()
  const open = id => Datapact.open({ ledger: ledger.as(id), keys: generateMemberKeys() })
  const alice = await open('mem:alice')
  const bob = await open('mem:bob')
  await alice.members.join({ name: 'Alice', roles: ['provider'] })
  await bob.members.join({ name: 'Bob', roles: ['consumer'] })
  const data = new TextEncoder().encode('date,close\n2026-11-23,101.5\n'.repeat(500))
  const { id } = await alice.datasets.register({
    title: 'Prices',
    terms: { pricePerAccess: 100n, currency: 'CNY' },
    data,
  })
  await alice.grants.grant(id, bob.memberId, { scope: 'all', maxAccesses: 10 })
  const { bytes, receipt } = await bob.data.fetch(id)
  check(Buffer.from(bytes).equals(Buffer.from(data)), 'fetched bytes equal the registered data')
  check(receipt?.record.amount === 100n, 'the fetch is metered at the price per access')
  const st = await bob.billing.statement({ provider: alice.memberId })
  await bob.billing.settle(st)
  await alice.billing.settle(st)
  check((await bob.audit.verify()).ok, 'the audit is clean')

  // One error class across the entry points (no dual-package hazard inside one format).
  const refused = await bob.grants.grant(id, alice.memberId, {}).catch(e => e)
  check(refused instanceof errors.DatapactError && refused instanceof core.DatapactError, 'one DatapactError class')
  check(core.isDatapactError(refused, 'ACCESS_DENIED'), `a non-owner's grant is ACCESS_DENIED, got ${refused?.code}`)

  // The subpaths load and work.
  check(crypto.sha256(new Uint8Array(0)).length === 32, '@datapact/core/crypto')
  const terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY', licence: '' }
  const wire = codec.encode(codec.records.terms, terms)
  check(codec.decode(codec.records.terms, wire).pricePerAccess === 100n, '@datapact/core/codec')
  check(typeof rules.executeRule === 'function', '@datapact/core/rules')
  check(service.httpStatusOf(refused) === 403 && !service.isRetryable(refused), '@datapact/core/service statuses')
  const json = JSON.stringify({ st }, service.jsonReplacer)
  check(JSON.parse(json, service.jsonReviver).st.amount === st.amount, '@datapact/core/service JSON round trip')
  check((await service.ensureMember(bob, { name: 'Bob', roles: ['consumer'] })).joined === false, 'ensureMember')
  const streamed = []
  for await (const c of service.toNodeReadable((await bob.data.stream(id)).stream)) streamed.push(c)
  check(Buffer.concat(streamed).equals(Buffer.from(data)), '@datapact/core/service toNodeReadable')

  // The conformance suite loads without vitest or fast-check installed, and declares its tests on any runner.
  const declared = []
  const runner = {
    describe: (_name, fn) => fn(),
    it: name => declared.push(name),
    beforeEach: () => {},
    afterEach: () => {},
    expect: Object.assign(() => ({}), { stringMatching: () => ({}) }),
  }
  testing.describeLedgerConformance('consumer', async () => memory.createMemoryHarness(), { runner })
  check(declared.length > 20, `the conformance suite declares its tests (${declared.length})`)

  // A missing optional tool gets a message that says what to install.
  const saved = process.env.ANVIL_BINARY
  delete process.env.ANVIL_BINARY
  const missing = await evmTesting.startAnvil().catch(e => e)
  if (saved !== undefined) process.env.ANVIL_BINARY = saved
  check(/npm install --save-dev @foundry-rs\/anvil/.test(String(missing?.message)), 'startAnvil names what to install')
  await alice.close()
  await bob.close()
}

/**
 * The PostgreSQL index against a real server (the consumer check's own, `DATAPACT_POSTGRES_URL`), in a database of
 * its own: a statement from the index, the cursor kept across a reopen, bad options refused with core's error class.
 */
export async function postgresStory({ core, memory, postgresIndex, postgresTesting }) {
  const server = process.env.DATAPACT_POSTGRES_URL
  check(typeof server === 'string' && server !== '', 'DATAPACT_POSTGRES_URL is set (by consumer-check.mjs)')
  const connection = await postgresTesting.createDatabase(server)
  const { Datapact, generateMemberKeys } = core
  const ledger = new memory.MemoryLedger()
  const aliceKeys = generateMemberKeys()
  const alice = await Datapact.open({ ledger: ledger.as('mem:alice'), keys: aliceKeys })
  const bob = await Datapact.open({ ledger: ledger.as('mem:bob'), keys: generateMemberKeys() })
  await alice.members.join({ name: 'Alice', roles: ['provider'] })
  await bob.members.join({ name: 'Bob', roles: ['consumer'] })
  const { id } = await alice.datasets.register({
    title: 'Prices',
    terms: { pricePerAccess: 100n, currency: 'CNY' },
    data: new Uint8Array(100),
  })
  await alice.grants.grant(id, bob.memberId)
  await bob.usage.record([
    { datasetId: id, version: 1 },
    { datasetId: id, version: 1 },
  ])
  const index = new postgresIndex.PostgresIndexStore({ connection, prefix: 'alice_' })
  const indexed = await Datapact.open({ ledger: ledger.as('mem:alice'), keys: aliceKeys, index })
  const st = await indexed.billing.statement({ consumer: bob.memberId })
  check(st.count === 2 && st.amount === 200n, `the PostgreSQL index gives the statement (${st.count}, ${st.amount})`)
  const { cursor } = await index.position()
  await indexed.close()
  await index.close()
  const reopened = new postgresIndex.PostgresIndexStore({ connection, prefix: 'alice_' })
  check((await reopened.position()).cursor === cursor && cursor !== null, 'the PostgreSQL index keeps its cursor')
  await reopened.close()
  const closed = await reopened.position().catch(e => e)
  check(core.isDatapactError(closed, 'CLOSED'), `a closed PostgreSQL index is CLOSED, got ${closed?.code}`)
  let refused
  try {
    new postgresIndex.PostgresIndexStore({})
  } catch (e) {
    refused = e
  }
  check(refused instanceof core.DatapactError && refused.code === 'INVALID_INPUT', 'bad options are INVALID_INPUT')
  await alice.close()
  await bob.close()
}
