import { randomBytes } from '@noble/hashes/utils.js'
import type { Nonce } from '../domain/index.js'
import { bytesToHex } from '../internal/bytes.js'

/**
 * Usage nonces: a random 15-byte prefix and a one-byte counter, with a fresh prefix every 256 nonces. Unique like
 * random 16-byte nonces, but consecutive nonces share their prefix, so a ledger that keeps used nonces as bits in
 * 256-bit words (the EVM contract does) pays one storage slot per 256 records instead of one per record.
 *
 * @returns A function that yields the next nonce (32 lowercase hex characters).
 */
export function createNonceSequence(): () => Nonce {
  let prefix = ''
  let counter = 256
  return () => {
    if (counter === 256) {
      prefix = bytesToHex(randomBytes(15))
      counter = 0
    }
    return (prefix + (counter++).toString(16).padStart(2, '0')) as Nonce
  }
}
