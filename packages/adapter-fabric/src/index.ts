/**
 * Datapact on Hyperledger Fabric: {@link FabricLedger}, a `LedgerAdapter` over the Fabric Gateway client, for the
 * Datapact chaincode (`@datapact/adapter-fabric/chaincode`). Test utilities are in `@datapact/adapter-fabric/testing`.
 *
 * @packageDocumentation
 */
export { type ErrorMapping, errorMappings, type FailureContext, toLedgerError } from './errors.js'
export { FabricLedger, type FabricLedgerOptions, grpcMessageLimits, type SubscribeOptions } from './fabricLedger.js'
export { MemberIdError, memberIdOf } from './identity.js'
export { type EventPayload, eventName } from './wire.js'
