/**
 * The Datapact chaincode for Hyperledger Fabric: core's ledger program over the chaincode stub. Deploy it as
 * chaincode-as-a-service with the server entry (`src/server.ts`, bundled as `dist/chaincode-server.cjs`) or load
 * `contracts` and `serializers` with `fabric-chaincode-node`. See `docs/fabric.md`.
 *
 * Loading this entry loads `fabric-contract-api`, made to work with whichever `class-transformer` 0.4.x the
 * install resolved (0.4.1 renamed two functions the contract API calls; no override is needed), and keeps the
 * contract API's load-time logging at WARNING unless `CORE_CHAINCODE_LOGGING_LEVEL` is set.
 *
 * @packageDocumentation
 */
import type { JSONSerializer as ContractJsonSerializer } from 'fabric-contract-api'
import { DatapactContract } from './contract.js'
import { JSONSerializer } from './runtime.js'

export { DatapactContract, runRule, transactionNames } from './contract.js'

/** The contracts of this chaincode, as `fabric-chaincode-node` and `ChaincodeFromContract` expect them. */
export const contracts = [DatapactContract]

/**
 * The serializers of this chaincode, as `fabric-chaincode-node` reads them from the module and
 * `ChaincodeFromContract` takes them: the contract API's JSON serializer under its own name, `datapactJson`, so
 * the CLI's default (loaded before this module, so without the class-transformer fix) does not replace it.
 */
export const serializers: {
  readonly transaction: 'datapactJson'
  readonly serializers: { readonly datapactJson: typeof ContractJsonSerializer }
} = { transaction: 'datapactJson', serializers: { datapactJson: JSONSerializer } }
