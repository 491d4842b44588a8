/**
 * The Datapact chaincode for Hyperledger Fabric: core's ledger program over the chaincode stub. Deploy it as
 * chaincode-as-a-service with the server entry (`src/chaincode/server.ts`, bundled as `dist/chaincode-server.cjs`)
 * or load `contracts` with `fabric-chaincode-node`. See `docs/fabric.md`.
 *
 * @packageDocumentation
 */
import { DatapactContract } from './contract.js'

export { DatapactContract, runRule, transactionNames } from './contract.js'

/** The contracts of this chaincode, as `fabric-chaincode-node` and `ChaincodeFromContract` expect them. */
export const contracts = [DatapactContract]
