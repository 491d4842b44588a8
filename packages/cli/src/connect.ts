import { readFileSync } from 'node:fs'
import { EvmLedger } from '@datapact/adapter-evm'
import { FabricLedger } from '@datapact/adapter-fabric'
import { MemoryLedger } from '@datapact/adapter-memory'
import {
  Datapact,
  DatapactError,
  FileSystemPayloadStore,
  isDatapactError,
  type LedgerAdapter,
  type MemberKeys,
  type PayloadStore,
  unlockKeystore,
} from '@datapact/core'
import type { CliConfig, EvmLedgerConfig } from './config.js'
import { CliError, readKeystoreFile, readPassphrase } from './shared.js'

/** Reads a secret file (a private key), trimmed; the content never reaches an error. */
function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (e) {
    throw new CliError('CONFIG', `${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/** The EVM account key: DATAPACT_EVM_PRIVATE_KEY, else the configured file. */
export function evmPrivateKey(ledger: EvmLedgerConfig, env: NodeJS.ProcessEnv): string {
  const key = env.DATAPACT_EVM_PRIVATE_KEY || readSecretFile(ledger.privateKeyFile ?? '', 'the EVM private key file')
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new CliError(
      'CONFIG',
      'the EVM private key is not 0x and 64 hex digits',
      'check ledger.privateKeyFile or DATAPACT_EVM_PRIVATE_KEY',
    )
  return key
}

/** Opens the configured ledger connection (no keys needed: `config check` and `events` use it alone). */
export async function openLedger(config: CliConfig, env: NodeJS.ProcessEnv): Promise<LedgerAdapter> {
  const l = config.ledger
  if (l.kind === 'memory') return new MemoryLedger({ file: l.file }).as(l.member)
  if (l.kind === 'evm') {
    if (l.contract === undefined)
      throw new CliError(
        'CONFIG',
        'ledger.contract is missing: the Datapact contract address',
        'deploy one with: datapact deploy (then put the address in the config), or set DATAPACT_EVM_CONTRACT',
      )
    return EvmLedger.attach({ rpcUrl: l.rpcUrl, privateKey: evmPrivateKey(l, env), address: l.contract })
  }
  return new FabricLedger({
    peerEndpoint: l.peerEndpoint,
    ...(l.tlsCaFile ? { tlsRootCert: readFileSync(l.tlsCaFile) } : {}),
    ...(l.hostAlias ? { hostAlias: l.hostAlias } : {}),
    mspId: l.mspId,
    certificatePem: readSecretFile(l.certificateFile, 'the certificate file'),
    privateKeyPem: readSecretFile(l.privateKeyFile, 'the private key file'),
    channel: l.channel,
    chaincode: l.chaincode,
  })
}

/** Unlocks the member's keystore with the passphrase from DATAPACT_PASSPHRASE or a prompt. */
export async function unlockKeys(config: CliConfig, env: NodeJS.ProcessEnv): Promise<MemberKeys> {
  const json = await readKeystoreFile(config.keystore)
  const passphrase = await readPassphrase(env, `Passphrase for ${config.keystore}: `)
  try {
    return await unlockKeystore(json, passphrase)
  } catch (e) {
    if (isDatapactError(e, 'ACCESS_DENIED'))
      throw new DatapactError('ACCESS_DENIED', `cannot open the keystore ${config.keystore}: ${e.message}`, {
        details: { argument: 'passphrase' },
        cause: e,
      })
    throw e
  }
}

/** Opens this member's client: keystore unlocked, ledger connected, stores attached. */
export async function openClient(config: CliConfig, env: NodeJS.ProcessEnv): Promise<Datapact> {
  const keys = await unlockKeys(config, env)
  const ledger = await openLedger(config, env)
  const stores: PayloadStore[] = config.stores.map(s => new FileSystemPayloadStore(s.dir, s.name))
  try {
    return await Datapact.open({ ledger, keys, stores, defaultStore: config.defaultStore })
  } catch (e) {
    await ledger.close().catch(() => undefined)
    throw e
  }
}
