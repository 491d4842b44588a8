/**
 * Test utilities for `@datapact/adapter-fabric`: an in-process Hyperledger Fabric gateway that runs the real
 * chaincode, and throwaway organisations and member identities. For tests only: keys in memory.
 *
 * @packageDocumentation
 */
export { type ChaincodeSource, peerMessageLimits } from './chaincodeRunner.js'
export {
  type GatewayTestServer,
  type GatewayTestServerOptions,
  startGatewayTestServer,
} from './gatewayServer.js'
export {
  createFabricHarness,
  datapactChaincode,
  type FabricHarness,
  type FabricHarnessOptions,
  stopSharedFabricNetwork,
} from './harness.js'
export {
  createTestOrganisation,
  memberIdentity,
  memberSigner,
  type TestMember,
  type TestOrganisation,
} from './identities.js'
export type { BlockRecord, LedgerSnapshot, TransactionRecord, TransactionStatus } from './orderer.js'
export type { OrganisationConfig } from './proposal.js'
export type { StateEntry, ValidationCode, Version } from './worldState.js'
