/**
 * Datapact on any EVM chain: the Datapact Solidity contract (mirroring core's ledger program) and an ethers v6
 * client implementing core's `LedgerAdapter`.
 * @packageDocumentation
 */
export type { ChainOptions } from './chain.js'
export { REVERT_CODES, type RevertName } from './errors.js'
export {
  type EvmIdentity,
  EvmLedger,
  type EvmLedgerAttachOptions,
  type EvmLedgerDeployOptions,
  type EvmNode,
} from './evmLedger.js'
export {
  datapactAbi,
  datapactBytecode,
  datapactRuntimeSize,
  datapactViewsBytecode,
  datapactViewsRuntimeSize,
} from './generated/datapact.js'
