import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import {
  type ChaincodeEvent,
  CommitError,
  checkpointers,
  connect,
  EndorseError,
  type Gateway,
  GatewayError,
  type Identity,
  type Signer,
  StatusCode,
  type SubmitError,
} from '@hyperledger/fabric-gateway'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createTestOrganisation,
  type GatewayTestServer,
  memberIdentity,
  memberSigner,
  startGatewayTestServer,
  type TestMember,
  type TestOrganisation,
} from '../src/testing/index.js'

const channel = 'testchannel'
const chaincodeName = 'kv'
const fixture = fileURLToPath(new URL('./fixtures/kvContract.ts', import.meta.url))
const fixturePackage = fileURLToPath(new URL('./fixtures/kvPackage', import.meta.url))
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString()
/** vi.waitFor's bound for a condition (its default, 1 s, is too short for endorsements on a busy 2-core machine). */
const patience = { timeout: 20_000, interval: 20 }

describe('gateway test server', () => {
  let server: GatewayTestServer
  let org1: TestOrganisation
  let alice: TestMember
  let bob: TestMember
  let stranger: TestMember
  let forger: TestMember
  const clients: grpc.Client[] = []
  const gateways: Gateway[] = []

  beforeAll(async () => {
    org1 = await createTestOrganisation('Org1MSP')
    const org2 = await createTestOrganisation('Org2MSP')
    alice = await org1.createMember('alice')
    bob = await org2.createMember('bob')
    stranger = await (await createTestOrganisation('StrangerMSP')).createMember('eve')
    forger = await (await createTestOrganisation('Org1MSP')).createMember('mallory') // same MSP id, other CA
    server = await startGatewayTestServer({
      channel,
      chaincodeName,
      organisations: [org1, org2],
      chaincode: { module: fixture, nodeOptions: ['--import', 'tsx'] },
    })
  })

  afterAll(async () => {
    for (const gateway of gateways) gateway.close()
    for (const client of clients) client.close()
    await server?.stop()
  })

  function gatewayFor(identity: Identity, signer: Signer): Gateway {
    // Short reconnect backoff so that calls succeed promptly after restart().
    const client = new grpc.Client(server.address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 100,
    })
    // Deadlines that catch a hung call, not a slow one: an endorsement runs the chaincode in its child process,
    // which takes seconds on a busy 2-core machine.
    const deadline = () => ({ deadline: Date.now() + 30_000 })
    const gateway = connect({ client, identity, signer, evaluateOptions: deadline, endorseOptions: deadline })
    clients.push(client)
    gateways.push(gateway)
    return gateway
  }
  const contractOf = (member: TestMember, signer = memberSigner(member)) =>
    gatewayFor(memberIdentity(member), signer).getNetwork(channel).getContract(chaincodeName)

  it('submits and evaluates through the real client; the chaincode sees the caller', async () => {
    const contract = contractOf(alice)
    expect(text(await contract.submitTransaction('put', 'greeting', 'hello'))).toBe('hello')
    expect(text(await contract.evaluateTransaction('get', 'greeting'))).toBe('hello')

    const commit = await contract.submitAsync('whoami')
    const status = await commit.getStatus()
    expect(status).toMatchObject({ successful: true, code: StatusCode.VALID, transactionId: commit.getTransactionId() })
    expect(status.blockNumber).toBeGreaterThan(0n)
    const caller = JSON.parse(text(commit.getResult()))
    expect(caller).toMatchObject({ mspId: 'Org1MSP', txId: commit.getTransactionId() })
    expect(caller.id).toMatch(/^x509::.*CN=alice.*::.*CN=ca\.org1msp/)
    expect(JSON.parse(text(await contractOf(bob).evaluateTransaction('whoami'))).mspId).toBe('Org2MSP')
  })

  it('pages range queries and keeps deletes', async () => {
    const contract = contractOf(alice)
    await contract.submitTransaction('putMany', 'page:', '150')
    await contract.submitTransaction('del', 'page:0007')
    const keys = JSON.parse(text(await contract.evaluateTransaction('range', 'page:', 'page;')))
    expect(keys).toHaveLength(149)
    expect(keys).not.toContain('page:0007')
    expect(server.stateSnapshot().filter(e => e.key.startsWith('page:'))).toHaveLength(149)
  })

  it('turns a chaincode error into EndorseError / GatewayError with the message in details', async () => {
    const contract = contractOf(alice)
    const message = 'DATAPACT:NOT_FOUND: dataset ds1 does not exist'
    const endorse = await contract.submitTransaction('fail', message).catch((e: unknown) => e)
    expect(endorse).toBeInstanceOf(EndorseError)
    expect(endorse).toMatchObject({ code: grpc.status.ABORTED })
    expect((endorse as EndorseError).details).toEqual([
      { address: server.address, mspId: 'Org1MSP', message: `chaincode response 500, ${message}` },
    ])
    const evaluate = await contract.evaluateTransaction('fail', message).catch((e: unknown) => e)
    expect(evaluate).toBeInstanceOf(GatewayError)
    expect(evaluate).not.toBeInstanceOf(EndorseError)
    expect(evaluate).toMatchObject({ code: grpc.status.UNKNOWN })
    expect((evaluate as GatewayError).details[0]?.message).toContain(message)
  })

  it('refuses a bad signature, an unknown MSP, a foreign CA and a replayed transaction id', async () => {
    const badSignature = contractOf(alice, memberSigner(bob))
    const refused = await badSignature.evaluateTransaction('get', 'greeting').catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: grpc.status.FAILED_PRECONDITION })
    expect((refused as GatewayError).details[0]?.message).toBe(
      `error validating proposal: access denied: channel [${channel}] creator org [Org1MSP]`,
    )
    await expect(badSignature.submitTransaction('put', 'x', 'y')).rejects.toBeInstanceOf(EndorseError)

    const unknown = await contractOf(stranger)
      .evaluateTransaction('get', 'greeting')
      .catch((e: unknown) => e)
    expect((unknown as GatewayError).details[0]?.message).toContain('creator org unknown, creator is malformed')
    const forged = await contractOf(forger)
      .submitTransaction('put', 'x', 'y')
      .catch((e: unknown) => e)
    expect(forged).toBeInstanceOf(EndorseError)
    expect((forged as EndorseError).details[0]?.message).toContain('creator org [Org1MSP]')

    const proposal = contractOf(alice).newProposal('put', { arguments: ['replayed', '1'] })
    await (await (await proposal.endorse()).submit()).getStatus()
    const replay = await proposal.endorse().catch((e: unknown) => e)
    expect((replay as EndorseError).details[0]?.message).toMatch(/^duplicate transaction found/)
  })

  it('refuses a transaction envelope signed by someone other than its creator', async () => {
    const gateway = gatewayFor(memberIdentity(alice), memberSigner(alice))
    const proposal = gateway
      .getNetwork(channel)
      .getContract(chaincodeName)
      .newProposal('put', { arguments: ['k', 'v'] })
    const transaction = await proposal.endorse()
    const forgedSignature = await memberSigner(bob)(transaction.getDigest())
    const signed = gateway.newSignedTransaction(transaction.getBytes(), forgedSignature)
    const error = await signed.submit().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'SubmitError', code: grpc.status.ABORTED } satisfies Partial<SubmitError>)
    expect((error as SubmitError).message).toContain('status=FORBIDDEN')
  })

  it('validates MVCC: of two read-then-writes endorsed together, one commits and one conflicts', async () => {
    const contract = contractOf(alice)
    await contract.submitTransaction('put', 'counter', '41')
    const release = server.holdBlocks()
    const results = Promise.allSettled([
      contract.submitTransaction('increment', 'counter'),
      contract.submitTransaction('increment', 'counter'),
    ])
    await vi.waitFor(() => expect(server.pendingTransactions()).toBe(2), patience)
    release()
    const [first, second] = await results
    const valid = [first, second].filter(r => r.status === 'fulfilled')
    const conflicts = [first, second].flatMap(r => (r.status === 'rejected' ? [r.reason] : []))
    expect(valid.map(r => text(r.value))).toEqual(['42'])
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0]).toBeInstanceOf(CommitError)
    expect(conflicts[0]).toMatchObject({ code: StatusCode.MVCC_READ_CONFLICT })
    const block = server.ledgerSnapshot().at(-1)
    expect(block?.transactions.map(tx => tx.validationCode).sort()).toEqual([
      StatusCode.VALID,
      StatusCode.MVCC_READ_CONFLICT,
    ])
    expect(server.transactionStatus((conflicts[0] as CommitError).transactionId)?.blockNumber).toBe(block?.number)
    expect(text(await contract.evaluateTransaction('get', 'counter'))).toBe('42')
  })

  it('detects a phantom read in a range query', async () => {
    const contract = contractOf(alice)
    await contract.submitTransaction('put', 'phantom:1', 'a')
    const rangeRead = await contract.newProposal('range', { arguments: ['phantom:', 'phantom;'] }).endorse()
    await contract.submitTransaction('put', 'phantom:2', 'b')
    const status = await (await rangeRead.submit()).getStatus()
    expect(status.code).toBe(StatusCode.PHANTOM_READ_CONFLICT)
  })

  it('streams chaincode events with block numbers: replay with a checkpointer, then live', async () => {
    const network = gatewayFor(memberIdentity(alice), memberSigner(alice)).getNetwork(channel)
    const contract = network.getContract(chaincodeName)
    const release = server.holdBlocks()
    const emitted = Promise.all([
      contract.submitAsync('emit', { arguments: ['Created', 'one'] }),
      contract.submitAsync('emit', { arguments: ['Created', 'two'] }),
    ])
    await vi.waitFor(() => expect(server.pendingTransactions()).toBe(2), patience)
    release()
    const statuses = await Promise.all((await emitted).map(commit => commit.getStatus()))
    const blockNumber = statuses[0]?.blockNumber
    expect(statuses[1]?.blockNumber).toBe(blockNumber)

    // Replay from block 0: both events, in one block; checkpoint after the first.
    const checkpointer = checkpointers.inMemory()
    const replay = await network.getChaincodeEvents(chaincodeName, { startBlock: 0n })
    const first = await nextEvent(replay[Symbol.asyncIterator]())
    expect(first).toMatchObject({ blockNumber, chaincodeName, eventName: 'Created' })
    expect(text(first.payload)).toBe('one')
    await checkpointer.checkpointChaincodeEvent(first)
    replay.close()

    // Resume from the checkpoint: the second event of the same block, then live events.
    const resumed = await network.getChaincodeEvents(chaincodeName, { checkpoint: checkpointer })
    const resumedEvents = resumed[Symbol.asyncIterator]()
    const second = await nextEvent(resumedEvents)
    expect({ payload: text(second.payload), blockNumber: second.blockNumber }).toEqual({ payload: 'two', blockNumber })
    const live = await contract.submitAsync('emit', { arguments: ['Updated', 'three'] })
    const third = await nextEvent(resumedEvents)
    expect(third).toMatchObject({ eventName: 'Updated', transactionId: live.getTransactionId() })
    expect(third.blockNumber).toBe((await live.getStatus()).blockNumber)
    resumed.close()
  })

  it('fails with UNAVAILABLE when stopped and keeps its ledger across restart', async () => {
    const contract = contractOf(alice)
    await contract.submitTransaction('put', 'durable', 'yes')
    const height = server.blockHeight()
    const address = server.address
    await server.stop()
    await expect(contract.evaluateTransaction('get', 'durable')).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    })
    await server.restart()
    expect(server.address).toBe(address)
    expect(server.blockHeight()).toBe(height)
    await vi.waitFor(
      async () => expect(text(await contract.evaluateTransaction('get', 'durable'))).toBe('yes'),
      patience,
    )
    expect(text(await contract.submitTransaction('put', 'durable', 'still'))).toBe('still')
    expect(server.blockHeight()).toBe(height + 1)
  })

  it('starts from another ledger and runs the chaincode through fabric-chaincode-node server', async () => {
    const cli = createRequire(import.meta.url).resolve('fabric-shim/cli.js')
    const copy = await startGatewayTestServer({
      channel,
      chaincodeName,
      organisations: [org1],
      state: server.ledgerSnapshot(),
      // CCaaS as deployed: the shim's CLI serves the package on CORE_CHAINCODE_ADDRESS with CORE_CHAINCODE_ID.
      chaincode: {
        command: process.execPath,
        args: ['--import', 'tsx', cli, 'server', '--module-path', fixturePackage],
      },
    })
    try {
      const client = new grpc.Client(copy.address, grpc.credentials.createInsecure())
      clients.push(client)
      const gateway = connect({ client, identity: memberIdentity(alice), signer: memberSigner(alice) })
      gateways.push(gateway)
      const contract = gateway.getNetwork(channel).getContract(chaincodeName)
      expect(copy.blockHeight()).toBe(server.blockHeight())
      expect(text(await contract.evaluateTransaction('get', 'counter'))).toBe('42')
      expect(text(await contract.submitTransaction('increment', 'counter'))).toBe('43')
      expect(text(await contractOf(alice).evaluateTransaction('get', 'counter'))).toBe('42')
    } finally {
      await copy.stop()
    }
  })
})

async function nextEvent(events: AsyncIterator<ChaincodeEvent>): Promise<ChaincodeEvent> {
  const result = await events.next()
  if (result.done) throw new Error('event stream ended')
  return result.value
}
