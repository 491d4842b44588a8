import { formatWireError, parseWireError } from '@datapact/chaincode/wire'
import { DatapactError, type DatapactErrorCode, LedgerError } from '@datapact/core'
import { Metadata, type ServiceError, status } from '@grpc/grpc-js'
import { CommitError, CommitStatusError, EndorseError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway'
import { describe, expect, it } from 'vitest'
import { errorMappings, toLedgerError } from '../src/errors.js'

const serviceError = (code: number, message = 'rpc failed'): ServiceError =>
  Object.assign(new Error(message), { code, details: message, metadata: new Metadata() })
const detail = (message: string) => ({ address: 'peer0:7051', mspId: 'Org1MSP', message })
const gatewayError = (code: number, ...messages: string[]) =>
  new GatewayError({ code, details: messages.map(detail), cause: serviceError(code), message: 'gateway failed' })
const endorseError = (code: number, ...messages: string[]) =>
  new EndorseError({ code, details: messages.map(detail), cause: serviceError(code), transactionId: 'tx1' })
const submitError = (message: string) =>
  Object.assign(new GatewayError({ code: status.ABORTED, details: [], cause: serviceError(status.ABORTED), message }), {
    name: 'SubmitError',
    transactionId: 'tx2',
  })
const commitError = (code: CommitError['code']) => new CommitError({ code, transactionId: 'tx3', message: 'invalid' })

// Every row of the mapping table, with the error the gateway client really throws in that case.
const cases: Array<[string, unknown, DatapactErrorCode]> = [
  [
    'chaincode refusal on submit',
    endorseError(status.ABORTED, 'chaincode response 500, DATAPACT:GRANT_EXPIRED: the grant expired'),
    'GRANT_EXPIRED',
  ],
  [
    'chaincode refusal on evaluate',
    gatewayError(status.UNKNOWN, 'chaincode response 500, DATAPACT:NOT_FOUND: dataset x does not exist'),
    'NOT_FOUND',
  ],
  [
    'a code this client does not know',
    gatewayError(status.UNKNOWN, 'chaincode response 500, DATAPACT:FUTURE_CODE: newer chaincode'),
    'INTERNAL',
  ],
  ['MVCC read conflict', commitError(StatusCode.MVCC_READ_CONFLICT), 'CONFLICT'],
  ['phantom read conflict', commitError(StatusCode.PHANTOM_READ_CONFLICT), 'CONFLICT'],
  ['duplicate tx id at commit', commitError(StatusCode.DUPLICATE_TXID), 'CONFLICT'],
  [
    'duplicate tx id at endorsement',
    endorseError(status.ABORTED, 'duplicate transaction found [abc]. Creator [0a07]'),
    'CONFLICT',
  ],
  ['endorsement policy failure', commitError(StatusCode.ENDORSEMENT_POLICY_FAILURE), 'INTERNAL'],
  [
    'commit status unreadable',
    new CommitStatusError({ code: status.UNAVAILABLE, details: [], cause: serviceError(14), transactionId: 'tx4' }),
    'LEDGER_UNAVAILABLE',
  ],
  ['peer down', gatewayError(status.UNAVAILABLE), 'LEDGER_UNAVAILABLE'],
  ['deadline', gatewayError(status.DEADLINE_EXCEEDED), 'LEDGER_UNAVAILABLE'],
  ['peer shutting down', serviceError(status.CANCELLED, 'Call cancelled'), 'LEDGER_UNAVAILABLE'],
  ['raw gRPC stream error', serviceError(status.UNAVAILABLE, 'No connection established'), 'LEDGER_UNAVAILABLE'],
  ['message too large', gatewayError(status.RESOURCE_EXHAUSTED), 'LEDGER_UNAVAILABLE'],
  [
    'bad signature / foreign CA',
    gatewayError(
      status.FAILED_PRECONDITION,
      'error validating proposal: access denied: channel [ch] creator org [Org1MSP]',
    ),
    'ACCESS_DENIED',
  ],
  [
    'unknown MSP on submit',
    endorseError(status.ABORTED, 'access denied: channel [ch] creator org unknown, creator is malformed'),
    'ACCESS_DENIED',
  ],
  ['events ACL', serviceError(status.PERMISSION_DENIED, 'access denied'), 'ACCESS_DENIED'],
  [
    'orderer refuses the signer',
    submitError('received unsuccessful response from orderer: status=FORBIDDEN, info=x'),
    'ACCESS_DENIED',
  ],
  [
    'orderer down',
    submitError('received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=x'),
    'LEDGER_UNAVAILABLE',
  ],
  ['unknown channel', serviceError(status.NOT_FOUND, 'channel not found: x'), 'LEDGER_UNAVAILABLE'],
  [
    'chaincode not deployed',
    gatewayError(status.FAILED_PRECONDITION, 'no peers available to evaluate chaincode x in channel ch'),
    'LEDGER_UNAVAILABLE',
  ],
  // The texts below are what Fabric v2.5 peers and orderers send (endorser ACL check, chaincode launcher,
  // gateway discovery, orderer size filter), as the gateway client receives them.
  [
    'a known MSP that fails the Writers policy (submit)',
    endorseError(
      status.ABORTED,
      "Failed evaluating policy on signed data during check policy on channel [datapact] with policy [/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]",
    ),
    'ACCESS_DENIED',
  ],
  [
    'a known MSP that fails the Readers ACL (evaluate)',
    gatewayError(
      status.UNKNOWN,
      'chaincode response 500, access denied for [GetChainInfo][datapact]: [failed evaluating policy on signed data during check policy [/Channel/Application/Readers]: [signature set did not satisfy policy]]',
    ),
    'ACCESS_DENIED',
  ],
  [
    'the chaincode service is unreachable',
    endorseError(
      status.ABORTED,
      'chaincode response 500, error in simulation: failed to execute transaction 3f2a: could not launch chaincode datapact_1.0:ab12: connection to datapact_1.0:ab12 failed: error cannot create connection for datapact_1.0:ab12: error creating grpc connection to 127.0.0.1:9999: failed to create new connection: connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:9999: connect: connection refused"',
    ),
    'LEDGER_UNAVAILABLE',
  ],
  [
    'no endorsing peers derivable (discovery not caught up, or too few orgs up)',
    new EndorseError({
      code: status.FAILED_PRECONDITION,
      details: [],
      cause: serviceError(
        status.FAILED_PRECONDITION,
        '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed on sufficient peers',
      ),
      transactionId: 'tx5',
      message:
        '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed on sufficient peers',
    }),
    'LEDGER_UNAVAILABLE',
  ],
  [
    'the orderer refuses an envelope over AbsoluteMaxBytes',
    submitError(
      'received unsuccessful response from orderer: status=BAD_REQUEST, info=message payload is 4915391 bytes and exceeds maximum allowed 1048576 bytes',
    ),
    'INVALID_INPUT',
  ],
  [
    'chaincode answer without a Datapact code (older chaincode)',
    endorseError(status.ABORTED, 'chaincode response 500, Expected 1 parameters, but 0 have been supplied'),
    'INTERNAL',
  ],
  ['anything else', new TypeError('boom'), 'INTERNAL'],
]

describe('the mapping from Fabric failures to Datapact codes', () => {
  it.each(cases)('%s', (_, error, code) => {
    const mapped = toLedgerError(error, { operation: 'submit grantAccess' })
    expect(mapped).toBeInstanceOf(LedgerError)
    expect(mapped).toMatchObject({ code, ledger: 'fabric', cause: error })
  })

  it('has a row for every case above except the catch-all, and each row is reached', () => {
    const reached = new Set(cases.map(([, error]) => errorMappings.find(row => row.matches(error))))
    for (const row of errorMappings) expect(reached, row.failure).toContain(row)
  })

  it('keeps the chaincode message and details, and the transaction id', () => {
    const text = formatWireError({
      code: 'QUOTA_EXCEEDED',
      message: 'quota of 2 used up',
      details: { used: 2, max: 2 },
    })
    const mapped = toLedgerError(endorseError(status.ABORTED, `chaincode response 500, ${text}`), { operation: 'x' })
    expect(mapped).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: 'quota of 2 used up',
      details: { used: 2, max: 2 },
      transactionId: 'tx1',
    })
    const conflict = toLedgerError(commitError(StatusCode.MVCC_READ_CONFLICT), { operation: 'submit recordUsage' })
    expect(conflict).toMatchObject({ transactionId: 'tx3', details: { transactionId: 'tx3' } })
    expect(conflict.message).toMatch(/^submit recordUsage conflicted/)
  })

  it("says what to do about a real network's refusals", () => {
    const find = (name: string) => cases.find(([n]) => n === name)![1]
    const message = (name: string) => toLedgerError(find(name), { operation: 'submit storePayload' }).message
    expect(message('the orderer refuses an envelope over AbsoluteMaxBytes')).toMatch(
      /AbsoluteMaxBytes.*maxPayloadBatchBytes/,
    )
    expect(message('no endorsing peers derivable (discovery not caught up, or too few orgs up)')).toMatch(
      /no set of peers that satisfies the chaincode's endorsement policy/,
    )
    expect(message('the chaincode service is unreachable')).toMatch(/chaincode service.*connection\.json/)
    expect(message('a known MSP that fails the Writers policy (submit)')).toMatch(/channel's policy/)
    expect(
      toLedgerError(find('no endorsing peers derivable (discovery not caught up, or too few orgs up)'), {
        operation: 'x',
      }),
    ).toMatchObject({ transactionId: 'tx5' })
  })

  it('passes a DatapactError through untouched', () => {
    const error = new DatapactError('INVALID_INPUT', 'bad')
    expect(toLedgerError(error, { operation: 'x' })).toBe(error)
  })
})

describe('the error text on the wire', () => {
  it('round-trips code, message and details, wherever the gateway puts it', () => {
    const wire = {
      code: 'NOT_FOUND',
      message: 'dataset ab does not exist: really',
      details: { datasetId: 'ab', n: 1, ok: true },
    }
    expect(parseWireError(`chaincode response 500, ${formatWireError(wire)}`)).toEqual(wire)
    expect(parseWireError(formatWireError({ ...wire, details: {} }))).toEqual({ ...wire, details: {} })
    expect(parseWireError('chaincode response 500, something else')).toBeUndefined()
    expect(parseWireError('DATAPACT:CONFLICT: x DETAILS:{not json}')).toEqual({
      code: 'CONFLICT',
      message: 'x',
      details: {},
    })
  })
})
