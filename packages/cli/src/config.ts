import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { CliError } from './shared.js'

/** A member's connection to a memory ledger kept in a file (demos, tests; one process at a time). */
export interface MemoryLedgerConfig {
  kind: 'memory'
  /** The ledger file (created on the first write). */
  file: string
  /** This member's identity on the memory ledger, e.g. `mem:alice`. */
  member: string
}

/** A member's connection to the Datapact contract on an EVM chain. */
export interface EvmLedgerConfig {
  kind: 'evm'
  /** JSON-RPC URL of the node (http(s) or ws(s)). */
  rpcUrl: string
  /** Address of the deployed Datapact contract (0x + 40 hex). */
  contract?: string
  /** File holding the account's private key (0x + 64 hex); or set DATAPACT_EVM_PRIVATE_KEY. */
  privateKeyFile?: string
}

/** A member's connection to the Datapact chaincode through its organisation's Fabric gateway peer. */
export interface FabricLedgerConfig {
  kind: 'fabric'
  /** `host:port` of the gateway peer. */
  peerEndpoint: string
  /** PEM file of the CA that signed the peer's TLS certificate; without it the connection is plaintext. */
  tlsCaFile?: string
  /** TLS server name when it differs from the endpoint's host. */
  hostAlias?: string
  /** MSP id of the member's organisation. */
  mspId: string
  /** The member's X.509 certificate (PEM file). */
  certificateFile: string
  /** The member's private key (PEM file). */
  privateKeyFile: string
  /** Channel name (default `datapact`). */
  channel: string
  /** Chaincode name (default `datapact`). */
  chaincode: string
}

/** A payload store beside the ledger's own: a directory on this machine. */
export interface FileStoreConfig {
  kind: 'fs'
  /** The store's name, as versions record it. */
  name: string
  /** The directory. */
  dir: string
}

/** A member's configuration, resolved: paths absolute, env variables and flags applied. */
export interface CliConfig {
  /** The config file it was read from (null when none was found and everything came from env and flags). */
  source: string | null
  /** The member's keystore file. */
  keystore: string
  /** The ledger connection. */
  ledger: MemoryLedgerConfig | EvmLedgerConfig | FabricLedgerConfig
  /** Extra payload stores. */
  stores: FileStoreConfig[]
  /** The store new versions go to (default `ledger`). */
  defaultStore: string
}

/** Configuration overrides given as command-line flags. */
export interface ConfigFlags {
  config?: string
  keystore?: string
  ledgerFile?: string
  member?: string
  rpcUrl?: string
  contract?: string
  peer?: string
}

/** One thing wrong with a configuration: where, and what to do. */
export interface ConfigProblem {
  /** The field, e.g. `ledger.rpcUrl`. */
  field: string
  /** What is wrong and what to do. */
  message: string
}

/** Environment variables that override config fields (documented in docs/cli.md). */
export const CONFIG_ENV: Readonly<Record<string, string>> = Object.freeze({
  DATAPACT_CONFIG: 'the config file (default ./datapact.json)',
  DATAPACT_KEYSTORE: 'keystore',
  DATAPACT_LEDGER_FILE: 'ledger.file (memory)',
  DATAPACT_MEMBER: 'ledger.member (memory)',
  DATAPACT_EVM_RPC_URL: 'ledger.rpcUrl (evm)',
  DATAPACT_EVM_CONTRACT: 'ledger.contract (evm)',
  DATAPACT_EVM_PRIVATE_KEY: 'the account private key (evm), instead of ledger.privateKeyFile',
  DATAPACT_FABRIC_PEER: 'ledger.peerEndpoint (fabric)',
  DATAPACT_FABRIC_TLS_CA: 'ledger.tlsCaFile (fabric)',
  DATAPACT_FABRIC_MSP_ID: 'ledger.mspId (fabric)',
  DATAPACT_FABRIC_CERT: 'ledger.certificateFile (fabric)',
  DATAPACT_FABRIC_KEY: 'ledger.privateKeyFile (fabric)',
  DATAPACT_PASSPHRASE: 'the keystore passphrase (otherwise prompted)',
})

const KINDS = ['memory', 'evm', 'fabric'] as const
const FIELDS: Record<(typeof KINDS)[number], string[]> = {
  memory: ['kind', 'file', 'member'],
  evm: ['kind', 'rpcUrl', 'contract', 'privateKeyFile'],
  fabric: [
    'kind',
    'peerEndpoint',
    'tlsCaFile',
    'hostAlias',
    'mspId',
    'certificateFile',
    'privateKeyFile',
    'channel',
    'chaincode',
  ],
}
const PATH_FIELDS = ['file', 'privateKeyFile', 'tlsCaFile', 'certificateFile']
const ENV_FIELDS: Array<[string, string]> = [
  ['DATAPACT_LEDGER_FILE', 'file'],
  ['DATAPACT_MEMBER', 'member'],
  ['DATAPACT_EVM_RPC_URL', 'rpcUrl'],
  ['DATAPACT_EVM_CONTRACT', 'contract'],
  ['DATAPACT_FABRIC_PEER', 'peerEndpoint'],
  ['DATAPACT_FABRIC_TLS_CA', 'tlsCaFile'],
  ['DATAPACT_FABRIC_MSP_ID', 'mspId'],
  ['DATAPACT_FABRIC_CERT', 'certificateFile'],
  ['DATAPACT_FABRIC_KEY', 'privateKeyFile'],
]

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads and checks a member's configuration: the config file (`--config`, else `DATAPACT_CONFIG`, else
 * `./datapact.json`), then environment variables, then flags. Relative paths in the file are relative to the file.
 *
 * @param flags - Overrides from the command line.
 * @param env - The environment.
 * @param cwd - The working directory (relative paths given by env or flags are relative to it).
 * @returns The configuration and every problem found (an empty list when it is usable).
 */
export function readConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { config: CliConfig | null; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  const explicit = flags.config ?? env.DATAPACT_CONFIG
  const source = resolve(cwd, explicit ?? 'datapact.json')
  let raw: Record<string, unknown> = {}
  let fromFile = false
  if (existsSync(source)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(source, 'utf8'))
      if (!isRecord(parsed)) problems.push({ field: '(file)', message: `${source} must hold a JSON object` })
      else {
        raw = parsed
        fromFile = true
      }
    } catch (e) {
      problems.push({
        field: '(file)',
        message: `${source} is not readable JSON (${e instanceof SyntaxError ? e.message : (e as NodeJS.ErrnoException).code}): fix the file`,
      })
    }
  } else if (explicit !== undefined) {
    problems.push({
      field: '(file)',
      message: `the config file ${source} does not exist: check --config / DATAPACT_CONFIG`,
    })
  }
  const base = fromFile ? dirname(source) : cwd
  const fileLedger = isRecord(raw.ledger) ? raw.ledger : {}
  if (raw.ledger !== undefined && !isRecord(raw.ledger))
    problems.push({ field: 'ledger', message: 'must be an object with "kind" and the connection fields' })
  for (const k of Object.keys(raw))
    if (!['keystore', 'ledger', 'stores', 'defaultStore', '$schema'].includes(k))
      problems.push({ field: k, message: 'unknown field: remove it (known: keystore, ledger, stores, defaultStore)' })

  // Paths from the file are relative to it; from env and flags, to the working directory.
  const ledger: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fileLedger))
    ledger[k] = PATH_FIELDS.includes(k) && typeof v === 'string' ? resolve(base, v) : v
  for (const [name, field] of ENV_FIELDS) {
    const v = env[name]
    if (v !== undefined && v !== '') ledger[field] = PATH_FIELDS.includes(field) ? resolve(cwd, v) : v
  }
  const flagFields: Array<[keyof ConfigFlags, string]> = [
    ['ledgerFile', 'file'],
    ['member', 'member'],
    ['rpcUrl', 'rpcUrl'],
    ['contract', 'contract'],
    ['peer', 'peerEndpoint'],
  ]
  for (const [flag, field] of flagFields) {
    const v = flags[flag]
    if (v !== undefined) ledger[field] = field === 'file' ? resolve(cwd, v) : v
  }
  if (ledger.kind === undefined) {
    // A kind implied by the connection fields given (env or flags only).
    if (ledger.file !== undefined || ledger.member !== undefined) ledger.kind = 'memory'
    else if (ledger.rpcUrl !== undefined) ledger.kind = 'evm'
    else if (ledger.peerEndpoint !== undefined) ledger.kind = 'fabric'
  }
  if (ledger.kind === 'fabric') {
    ledger.channel ??= 'datapact'
    ledger.chaincode ??= 'datapact'
  }

  let keystore: string | undefined
  if (flags.keystore !== undefined) keystore = resolve(cwd, flags.keystore)
  else if (env.DATAPACT_KEYSTORE) keystore = resolve(cwd, env.DATAPACT_KEYSTORE)
  else if (typeof raw.keystore === 'string' && raw.keystore.length > 0) keystore = resolve(base, raw.keystore)
  else if (raw.keystore !== undefined) problems.push({ field: 'keystore', message: 'must be a file path' })
  else
    problems.push({
      field: 'keystore',
      message: 'missing: give the keystore path ("keystore" in the config, DATAPACT_KEYSTORE or --keystore)',
    })

  checkLedger(ledger, env, problems)

  const stores: FileStoreConfig[] = []
  if (raw.stores !== undefined) {
    if (!Array.isArray(raw.stores)) problems.push({ field: 'stores', message: 'must be a list of stores' })
    else
      raw.stores.forEach((s: unknown, i) => {
        if (
          !isRecord(s) ||
          s.kind !== 'fs' ||
          typeof s.name !== 'string' ||
          !/^[a-z0-9._-]{1,32}$/.test(s.name) ||
          s.name === 'ledger' ||
          typeof s.dir !== 'string' ||
          s.dir.length === 0
        )
          problems.push({
            field: `stores[${i}]`,
            message:
              'must be { "kind": "fs", "name": "<lowercase letters, digits, . _ ->", "dir": "<directory>" } (the name "ledger" is taken)',
          })
        else stores.push({ kind: 'fs', name: s.name, dir: resolve(base, s.dir) })
      })
  }
  const defaultStore = raw.defaultStore ?? 'ledger'
  if (typeof defaultStore !== 'string' || (defaultStore !== 'ledger' && !stores.some(s => s.name === defaultStore)))
    problems.push({ field: 'defaultStore', message: 'must be "ledger" or the name of a store in "stores"' })

  if (problems.length > 0 || keystore === undefined) return { config: null, problems }
  return {
    config: {
      source: fromFile ? source : null,
      keystore,
      ledger: ledger as unknown as CliConfig['ledger'],
      stores,
      defaultStore: defaultStore as string,
    },
    problems,
  }
}

function checkLedger(ledger: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): void {
  const kind = ledger.kind
  if (!KINDS.includes(kind as never)) {
    problems.push({
      field: 'ledger.kind',
      message:
        kind === undefined
          ? 'missing: give "ledger": { "kind": "memory" | "evm" | "fabric", ... } in the config (see docs/cli.md)'
          : `"${String(kind)}" is not a ledger kind: use memory, evm or fabric`,
    })
    return
  }
  const k = kind as (typeof KINDS)[number]
  for (const f of Object.keys(ledger))
    if (!FIELDS[k].includes(f))
      problems.push({ field: `ledger.${f}`, message: `not a field of a ${k} ledger (known: ${FIELDS[k].join(', ')})` })
  const str = (f: string, what: string, required = true) => {
    const v = ledger[f]
    if (v === undefined) {
      if (required) problems.push({ field: `ledger.${f}`, message: `missing: give ${what}` })
      return undefined
    }
    if (typeof v !== 'string' || v.length === 0) {
      problems.push({ field: `ledger.${f}`, message: `must be ${what}` })
      return undefined
    }
    return v
  }
  const file = (f: string, what: string, required = true) => {
    const v = str(f, what, required)
    if (v === undefined) return
    if (!existsSync(v)) problems.push({ field: `ledger.${f}`, message: `${v} does not exist: give ${what}` })
    else if (!statSync(v).isFile()) problems.push({ field: `ledger.${f}`, message: `${v} is not a file` })
  }
  if (k === 'memory') {
    const f = str('file', 'the path of the ledger file')
    if (f !== undefined && existsSync(f) && !statSync(f).isFile())
      problems.push({ field: 'ledger.file', message: `${f} is not a file` })
    if (f !== undefined && !existsSync(dirname(f)))
      problems.push({ field: 'ledger.file', message: `the directory ${dirname(f)} does not exist: create it` })
    const m = str('member', 'this member\'s id on the memory ledger, e.g. "mem:alice"')
    if (m !== undefined && !/^[\x21-\x7e]{1,128}$/.test(m))
      problems.push({ field: 'ledger.member', message: 'must be printable ASCII without spaces, e.g. "mem:alice"' })
  } else if (k === 'evm') {
    const url = str('rpcUrl', 'the JSON-RPC URL of the node, e.g. http://127.0.0.1:8545')
    if (url !== undefined && !/^(https?|wss?):\/\/[^\s]+$/.test(url))
      problems.push({ field: 'ledger.rpcUrl', message: 'must be an http(s) or ws(s) URL' })
    const c = str('contract', 'the Datapact contract address (0x + 40 hex)', false)
    if (c !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(c))
      problems.push({ field: 'ledger.contract', message: 'must be a contract address: 0x and 40 hex digits' })
    if (env.DATAPACT_EVM_PRIVATE_KEY) {
      if (!/^0x[0-9a-fA-F]{64}$/.test(env.DATAPACT_EVM_PRIVATE_KEY))
        problems.push({ field: 'DATAPACT_EVM_PRIVATE_KEY', message: 'must be 0x and 64 hex digits' })
    } else if (ledger.privateKeyFile === undefined)
      problems.push({
        field: 'ledger.privateKeyFile',
        message: 'missing: give the file of the account private key, or set DATAPACT_EVM_PRIVATE_KEY',
      })
    else file('privateKeyFile', 'the file of the account private key (0x + 64 hex)')
  } else {
    const p = str('peerEndpoint', 'the gateway peer as host:port')
    if (p !== undefined && !/^[^\s:/]+:[0-9]{1,5}$/.test(p))
      problems.push({ field: 'ledger.peerEndpoint', message: 'must be host:port, e.g. peer0.org1.example.com:7051' })
    file('tlsCaFile', "the PEM file of the CA of the peer's TLS certificate", false)
    str('hostAlias', 'the TLS server name', false)
    str('mspId', "the MSP id of the member's organisation")
    file('certificateFile', "the member's certificate (PEM file)")
    file('privateKeyFile', "the member's private key (PEM file)")
    str('channel', 'the channel name')
    str('chaincode', 'the chaincode name')
  }
}

/**
 * Like {@link readConfig}, but throws when the configuration is not usable.
 *
 * @param flags - Overrides from the command line.
 * @param env - The environment.
 * @param cwd - The working directory.
 * @returns The configuration.
 * @throws {@link CliError} CONFIG listing every problem.
 */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd: string): CliConfig {
  const { config, problems } = readConfig(flags, env, cwd)
  if (!config)
    throw new CliError(
      'CONFIG',
      `the configuration is not usable:\n${problems.map(p => `  ${p.field}: ${p.message}`).join('\n')}`,
      'fix the config file (see docs/cli.md), then run: datapact config check',
    )
  return config
}
