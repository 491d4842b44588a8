import { DatapactError, type DatapactErrorCode, type ErrorDetails, isErrorCode, LedgerError } from '@datapact/core'
import { status as grpcStatus } from '@grpc/grpc-js'
import { CommitError, CommitStatusError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway'
import { parseWireError } from './shared.js'

/** What was being done when a Fabric call failed, for the error message and details. */
export interface FailureContext {
  /** e.g. `submit grantAccess`, `query getDataset`, `read events` */
  readonly operation: string
  readonly transactionId?: string | undefined
}

/** One row of the mapping from Fabric failures to Datapact codes. */
export interface ErrorMapping {
  /** The failure the row matches, in words (shown in the docs and the mapping test). */
  readonly failure: string
  /** The code the failure maps to. */
  readonly code: DatapactErrorCode
  /** Whether an error caught from the gateway is this failure. */
  readonly matches: (error: unknown) => boolean
  /** A message a person can act on; the cause is attached to the error. */
  readonly message: (context: FailureContext) => string
}

const grpcCode = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof Error && typeof code === 'number' && !(error instanceof CommitError) ? code : undefined
}
const texts = (error: unknown): string[] => {
  if (!(error instanceof Error)) return []
  const details = error instanceof GatewayError ? error.details.map(d => d.message) : []
  return [...details, error.message]
}
const mentions = (error: unknown, pattern: RegExp) => texts(error).some(text => pattern.test(text))
const commitCode = (error: unknown) => (error instanceof CommitError ? error.code : undefined)
// The orderer's size filter: `message payload is N bytes and exceeds maximum allowed M bytes`, status BAD_REQUEST.
const oversizedEnvelope = /exceeds maximum allowed \d+ bytes/
const chaincodeUnreachable =
  /could not launch chaincode|chaincode stream terminated|timeout expired while executing transaction|chaincode registration failed/

/**
 * Whether the gateway found no peers to endorse with (`FAILED_PRECONDITION: no combination of peers can be
 * derived which satisfy the endorsement policy`). On a live network this is often passing: discovery learns a
 * chaincode definition, or another organisation's peer, a few seconds after the fact. `FabricLedger.submit` waits
 * and tries again before it reports LEDGER_UNAVAILABLE.
 */
export function isNoEndorsersError(error: unknown): boolean {
  return grpcCode(error) === grpcStatus.FAILED_PRECONDITION && mentions(error, /no combination of peers/)
}

/**
 * How Fabric failures map onto Datapact codes, first match wins. A refusal by the chaincode carries its own code
 * (`DATAPACT:<CODE>:` in `GatewayError.details[].message`); the rest come from the gateway, the orderer and gRPC.
 */
export const errorMappings: readonly ErrorMapping[] = [
  {
    failure: 'the chaincode refused the call: DATAPACT:<CODE>: in an error detail',
    code: 'INTERNAL', // replaced by the code in the text, see toLedgerError
    matches: error => texts(error).some(text => parseWireError(text) !== undefined),
    message: ({ operation }) => `${operation} was refused by the chaincode`,
  },
  {
    failure: 'commit status MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT',
    code: 'CONFLICT',
    matches: error =>
      commitCode(error) === StatusCode.MVCC_READ_CONFLICT || commitCode(error) === StatusCode.PHANTOM_READ_CONFLICT,
    message: ({ operation }) =>
      `${operation} conflicted with a concurrent transaction in the same block and was not applied; submit it again`,
  },
  {
    failure: 'commit status DUPLICATE_TXID, or "duplicate transaction found" at endorsement',
    code: 'CONFLICT',
    matches: error => commitCode(error) === StatusCode.DUPLICATE_TXID || mentions(error, /duplicate transaction found/),
    message: ({ operation }) => `${operation} reused a transaction id that the ledger already has`,
  },
  {
    failure: 'any other invalid commit status (e.g. ENDORSEMENT_POLICY_FAILURE)',
    code: 'INTERNAL',
    matches: error => error instanceof CommitError,
    message: ({ operation }) =>
      `${operation} was ordered but not committed as valid (check the endorsement policy and that every endorsing peer runs the same chaincode)`,
  },
  {
    failure: "orderer BAD_REQUEST: the envelope exceeds the channel's AbsoluteMaxBytes",
    code: 'INVALID_INPUT',
    matches: error => mentions(error, oversizedEnvelope),
    message: ({ operation }) =>
      `${operation} was refused by the orderer: the transaction exceeds the channel's BatchSize.AbsoluteMaxBytes (a payload batch of B bytes makes an envelope of about 2.4 x B: raise AbsoluteMaxBytes or set FabricLedgerOptions.maxPayloadBatchBytes)`,
  },
  {
    failure: 'CommitStatusError: the wait for the commit status failed',
    code: 'LEDGER_UNAVAILABLE',
    matches: error => error instanceof CommitStatusError,
    message: ({ operation }) =>
      `${operation} was sent to the orderer but its commit status could not be read; it may still commit (look for its transaction id)`,
  },
  {
    failure:
      'gRPC UNAVAILABLE, DEADLINE_EXCEEDED, or CANCELLED by the peer (down, unreachable, shutting down, too slow)',
    code: 'LEDGER_UNAVAILABLE',
    matches: error =>
      grpcCode(error) === grpcStatus.UNAVAILABLE ||
      grpcCode(error) === grpcStatus.DEADLINE_EXCEEDED ||
      grpcCode(error) === grpcStatus.CANCELLED,
    message: ({ operation }) => `${operation} failed: the Fabric gateway peer is unavailable or did not answer in time`,
  },
  {
    failure: 'gRPC RESOURCE_EXHAUSTED (a message over the gRPC size limit)',
    code: 'LEDGER_UNAVAILABLE',
    matches: error => grpcCode(error) === grpcStatus.RESOURCE_EXHAUSTED,
    message: ({ operation }) =>
      `${operation} failed: a gRPC message exceeded a size limit (raise grpc.max_receive_message_length to 100 MiB)`,
  },
  {
    failure: 'identity refused: "access denied" / unknown creator at endorsement, PERMISSION_DENIED, orderer FORBIDDEN',
    code: 'ACCESS_DENIED',
    matches: error =>
      grpcCode(error) === grpcStatus.PERMISSION_DENIED ||
      mentions(error, /access denied|creator org unknown|creator is malformed|status=FORBIDDEN/),
    message: ({ operation }) => `${operation} was refused: the channel does not accept this identity`,
  },
  {
    failure:
      'a known MSP fails a channel policy: "Failed evaluating policy on signed data" (e.g. /Channel/Application/Writers)',
    code: 'ACCESS_DENIED',
    matches: error => mentions(error, /failed evaluating policy on signed data/i),
    message: ({ operation }) =>
      `${operation} was refused: this identity does not satisfy the channel's policy (Writers for a submit, Readers for a query)`,
  },
  {
    failure: 'the peer cannot reach its chaincode service: "could not launch chaincode", a terminated chaincode stream',
    code: 'LEDGER_UNAVAILABLE',
    matches: error => mentions(error, chaincodeUnreachable),
    message: ({ operation }) =>
      `${operation} failed: the endorsing peer could not reach the Datapact chaincode service (is its chaincode server running at the address of its connection.json?); try again`,
  },
  {
    failure: 'orderer SERVICE_UNAVAILABLE',
    code: 'LEDGER_UNAVAILABLE',
    matches: error => mentions(error, /status=SERVICE_UNAVAILABLE/),
    message: ({ operation }) => `${operation} failed: the ordering service is unavailable`,
  },
  {
    failure:
      'FAILED_PRECONDITION "no combination of peers can be derived" (retried by submit): no set of live peers satisfies the endorsement policy yet',
    code: 'LEDGER_UNAVAILABLE',
    matches: isNoEndorsersError,
    message: ({ operation }) =>
      `${operation} failed: the gateway found no set of peers that satisfies the chaincode's endorsement policy (too few organisations' peers are up or known to discovery, a chaincode definition committed moments ago, or a chaincode name that is not deployed on the channel)`,
  },
  {
    failure: 'channel or chaincode not found (NOT_FOUND, FAILED_PRECONDITION "no peers available")',
    code: 'LEDGER_UNAVAILABLE',
    matches: error =>
      grpcCode(error) === grpcStatus.NOT_FOUND ||
      (grpcCode(error) === grpcStatus.FAILED_PRECONDITION && mentions(error, /no peers available/)),
    message: ({ operation }) =>
      `${operation} failed: the channel or the chaincode is not available on the gateway peer (check the names and the deployment)`,
  },
]

/**
 * Maps any failure of a Fabric call onto a {@link LedgerError} with a Datapact code, keeping the original as `cause`.
 * A {@link DatapactError} passes through unchanged. See {@link errorMappings}; anything unmatched is INTERNAL.
 *
 * @param error - what the gateway client (or gRPC) threw
 * @param context - the operation and, when known, the transaction id
 * @returns the error to throw
 */
export function toLedgerError(error: unknown, context: FailureContext): DatapactError {
  if (error instanceof DatapactError) return error
  const transactionId =
    context.transactionId ?? (error as { transactionId?: string } | null)?.transactionId ?? undefined
  const base = { ledger: 'fabric', cause: error, ...(transactionId && { transactionId }) }
  for (const text of texts(error)) {
    const wire = parseWireError(text)
    if (!wire) continue
    const code = isErrorCode(wire.code) ? wire.code : 'INTERNAL'
    return new LedgerError(code, wire.message, { ...base, details: wire.details as ErrorDetails })
  }
  const mapping = errorMappings.find(row => row.matches(error))
  const withTx = transactionId ? { transactionId } : {}
  if (mapping) return new LedgerError(mapping.code, mapping.message(context), { ...base, details: withTx })
  const detail = texts(error).reverse().join('; ') || String(error)
  return new LedgerError('INTERNAL', `${context.operation} failed unexpectedly: ${detail}`, {
    ...base,
    details: withTx,
  })
}
