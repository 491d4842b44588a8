import type { LedgerHarness } from '@datapact/core/testing'
import { type HDNodeWallet, Wallet } from 'ethers'
import { EvmLedger } from '../evmLedger.js'
import { ANVIL_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.js'

/** Options of {@link createEvmHarness}. */
export interface EvmHarnessOptions {
  /** A running Anvil to deploy on (shared by the tests of a file); when absent, the harness starts its own. */
  anvil?: AnvilInstance
  /** Key that deploys the contract; default Anvil's first account. */
  deployerKey?: string
  /** Poll interval of the connections, in ms (default 20). */
  pollingInterval?: number
}

/** A {@link LedgerHarness} on Anvil, with the deployer's connection and the node exposed for fault tests. */
export interface EvmHarness extends LedgerHarness {
  /** The deployer's connection (not a member until it joins). */
  readonly ledger: EvmLedger
  readonly anvil: AnvilInstance
}

/**
 * One JSON-RPC call over fetch (test utility; no ethers machinery).
 *
 * @param rpcUrl - The node's URL.
 * @param method - The JSON-RPC method.
 * @param params - Its parameters.
 * @returns The call's `result`.
 * @throws `Error` naming the method when the node answers with an error; fetch's `TypeError` when it cannot be reached.
 */
export async function anvilRpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await response.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

/**
 * Core's {@link LedgerHarness} on a real Anvil node: a fresh Datapact contract per harness, a new funded random
 * identity for every `member()` call (`anvil_setBalance`), time moved with `evm_increaseTime` + `evm_mine`.
 *
 * @param options - A shared Anvil (else one is started and stopped by `teardown`), deployer key, polling interval.
 * @returns The harness.
 * @throws `Error` from {@link startAnvil} when Anvil is missing or does not start (it says what to install);
 *   {@link @datapact/core!index.DatapactError | DatapactError} LEDGER_UNAVAILABLE when the contract cannot be deployed.
 *
 * @example
 * ```ts
 * const anvil = await startAnvil()
 * afterAll(() => anvil.stop())
 * describeLedgerConformance('evm', () => createEvmHarness({ anvil }))
 * ```
 */
export async function createEvmHarness(options: EvmHarnessOptions = {}): Promise<EvmHarness> {
  const own = options.anvil ? undefined : await startAnvil({ persistent: false })
  const anvil = options.anvil ?? own!
  const rpcUrl = anvil.rpcUrl
  // The first member handed out is the consortium's genesis admin, fixed in the contract at deployment.
  let first: HDNodeWallet | undefined = Wallet.createRandom()
  const ledger = await EvmLedger.deploy({
    rpcUrl,
    privateKey: options.deployerKey ?? ANVIL_ACCOUNTS[0],
    pollingInterval: options.pollingInterval ?? 20,
    admin: first.address.toLowerCase(),
  })
  const connections: EvmLedger[] = [ledger]
  return {
    ledger,
    anvil,
    genesisAdmin: true,
    async member() {
      const wallet = first ?? Wallet.createRandom()
      first = undefined
      await anvilRpc(rpcUrl, 'anvil_setBalance', [wallet.address, '0x3635c9adc5dea00000'])
      const connection = ledger.as(wallet.privateKey)
      connections.push(connection)
      return connection
    },
    async advanceTime(seconds) {
      await anvilRpc(rpcUrl, 'evm_increaseTime', [Math.ceil(seconds)])
      await anvilRpc(rpcUrl, 'evm_mine', [])
    },
    async teardown() {
      await Promise.all(connections.map(c => c.close()))
      await own?.stop()
    },
  }
}
