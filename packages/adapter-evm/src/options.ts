import { DatapactError } from '@datapact/core'
import { JsonRpcProvider } from 'ethers'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

const CHAIN_LIMITS = {
  confirmations: [1, 1000],
  pollingInterval: [1, 3_600_000],
  timeoutMs: [1, 86_400_000],
  receiptTimeoutMs: [1, 86_400_000],
  logRange: [1, 10_000_000],
  maxTransactionBytes: [1024, 128 * 1024 * 1024],
} as const

const KEYS = ['rpcUrl', 'provider', 'privateKey', 'signer', 'address', 'admin', ...Object.keys(CHAIN_LIMITS)]

const invalid = (argument: string, expected: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}`, { details: { argument, expected } })

/** A private key: 0x and 64 hex digits. */
export function isPrivateKey(value: unknown): value is string {
  return typeof value === 'string' && PRIVATE_KEY.test(value)
}

/**
 * Checks the options of `EvmLedger.deploy` / `attach` before anything is opened: a plain object read once, the node
 * as exactly one of `rpcUrl` (an http(s) or ws(s) URL) and `provider` (an ethers JsonRpcProvider), the identity as
 * exactly one of `privateKey` (0x + 64 hex) and `signer` (with `getAddress`), `address` for attach, the optional
 * genesis `admin` for deploy (a lowercase 0x address), and every chain
 * option an integer in range.
 *
 * @returns A plain copy of the options.
 * @throws {@link DatapactError} INVALID_INPUT naming the option.
 */
export function checkEvmOptions(given: unknown, attach: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  try {
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw invalid('options', 'an object')
    const proto = Object.getPrototypeOf(given)
    if (proto !== Object.prototype && proto !== null) throw invalid('options', 'a plain object')
    for (const k of Reflect.ownKeys(given)) {
      if (typeof k !== 'string' || !KEYS.includes(k) || (k === 'address' && !attach) || (k === 'admin' && attach))
        throw invalid(typeof k === 'string' ? `options.${k}` : 'options', 'a known option')
      const v = (given as Record<string, unknown>)[k]
      if (v !== undefined) o[k] = v
    }
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalid('options', 'an object that can be read')
  }
  if ((o.rpcUrl === undefined) === (o.provider === undefined))
    throw invalid('options', 'given exactly one of rpcUrl and provider')
  if (o.rpcUrl !== undefined) {
    let url: URL | undefined
    try {
      if (typeof o.rpcUrl === 'string' && !LONE_SURROGATE.test(o.rpcUrl)) url = new URL(o.rpcUrl)
    } catch {
      url = undefined
    }
    if (!url || !['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
      throw invalid('options.rpcUrl', 'an http(s) or ws(s) URL')
  }
  if (o.provider !== undefined && !isProvider(o.provider))
    throw invalid('options.provider', 'an ethers JsonRpcProvider')
  if ((o.privateKey === undefined) === (o.signer === undefined))
    throw invalid('options', 'given exactly one of privateKey and signer')
  if (o.privateKey !== undefined && !isPrivateKey(o.privateKey))
    throw invalid('options.privateKey', 'a 32-byte hex private key (0x + 64 hex digits)')
  if (o.signer !== undefined && !hasFunction(o.signer, 'getAddress'))
    throw invalid('options.signer', 'an ethers Signer')
  if (o.admin !== undefined && (typeof o.admin !== 'string' || !/^0x[0-9a-f]{40}$/.test(o.admin)))
    throw invalid('options.admin', 'a member id: a lowercase 0x address (40 hex digits)')
  if (attach && (typeof o.address !== 'string' || !ADDRESS.test(o.address)))
    throw invalid('options.address', 'a 0x contract address (40 hex digits)')
  for (const [k, [min, max]] of Object.entries(CHAIN_LIMITS)) {
    const v = o[k]
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max))
      throw invalid(`options.${k}`, `an integer in ${min}..${max}`)
  }
  return o
}

function isProvider(value: unknown): boolean {
  try {
    return value instanceof JsonRpcProvider
  } catch {
    return false
  }
}

function hasFunction(value: unknown, name: string): boolean {
  try {
    return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function'
  } catch {
    return false
  }
}
