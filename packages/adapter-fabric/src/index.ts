/**
 * Datapact on Hyperledger Fabric: {@link FabricLedger}, a `LedgerAdapter` over the Fabric Gateway client, for the
 * Datapact chaincode (the `@datapact/chaincode` package). Test utilities are in `@datapact/adapter-fabric/testing`.
 * This entry does not load the chaincode runtime (`fabric-shim`, `fabric-contract-api`): what it shares with the
 * chaincode (member ids, the event payload, the error text) is built into it.
 *
 * @packageDocumentation
 */

export { type ErrorMapping, errorMappings, type FailureContext, toLedgerError } from './errors.js'
export { FabricLedger, type FabricLedgerOptions, grpcMessageLimits, type SubscribeOptions } from './fabricLedger.js'
export { type EventPayload, eventName, MemberIdError, memberIdOf } from './shared.js'
