/**
 * The `datapact` operator CLI as a library: {@link run} runs a command line, {@link readConfig} and
 * {@link loadConfig} read a member's configuration, {@link EXIT_CODES} is the exit status by error code.
 * The commands are documented in docs/cli.md.
 * @packageDocumentation
 */
export { type RunOptions, run } from './cli.js'
export {
  type CliConfig,
  CONFIG_ENV,
  type ConfigFlags,
  type ConfigProblem,
  type EvmLedgerConfig,
  type FabricLedgerConfig,
  type FileStoreConfig,
  loadConfig,
  type MemoryLedgerConfig,
  readConfig,
} from './config.js'
export type { Io } from './output.js'
export {
  CliError,
  type CliErrorCode,
  describeError,
  EXIT_CODES,
  errorCodeOf,
  exitCodeOf,
  jsonReplacer,
  readKeystoreFile,
  readPassphrase,
} from './shared.js'
