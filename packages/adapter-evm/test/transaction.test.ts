import { fc, test } from '@fast-check/vitest'
import { hexlify, Transaction, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { signTransaction, type TransactionFees } from '../src/transaction.js'

/** The local signer (src/transaction.ts) against ethers' `Wallet.signTransaction`: the same bytes, the same hash. */
const wallet = new Wallet(`0x${'42'.repeat(32)}`)
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })
const fees: fc.Arbitrary<TransactionFees> = fc.oneof(
  // As the sender sets them (and ethers insists): the priority fee within the fee cap.
  fc
    .record({ tip: uint(64), base: uint(128) })
    .map(({ tip, base }) => ({ type: 2 as const, maxFeePerGas: base + tip, maxPriorityFeePerGas: tip })),
  fc.record({ type: fc.constant(0 as const), gasPrice: uint(128) }),
)
const transaction = fc
  .record({
    chainId: fc.oneof(fc.constantFrom(1n, 31337n), uint(48)),
    nonce: fc.nat(),
    gasLimit: uint(64),
    to: fc.option(
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => hexlify(b)),
      { nil: null },
    ),
    // Lengths around the RLP boundaries (55 bytes, one length byte, two) and single bytes below and above 0x80.
    data: fc
      .oneof(
        fc.uint8Array({ maxLength: 1 }),
        fc.uint8Array({ minLength: 50, maxLength: 60 }),
        fc.uint8Array({ maxLength: 70_000 }),
      )
      .map(b => hexlify(b)),
    fees,
  })
  .map(({ fees, ...rest }) => ({ ...rest, ...fees }))

describe('signTransaction', () => {
  test.prop([transaction], { numRuns: 60 })('signs the bytes ethers signs', async tx => {
    const signed = signTransaction(wallet.signingKey, tx)
    expect(signed.raw).toBe(await wallet.signTransaction(tx))
    const parsed = Transaction.from(signed.raw)
    expect(parsed.hash).toBe(signed.hash)
    expect(parsed.from).toBe(wallet.address)
  })

  it('signs a legacy transaction of chain id 0 without EIP-155', async () => {
    const tx = { type: 0 as const, chainId: 0n, nonce: 1, gasLimit: 21_000n, to: null, data: '0x', gasPrice: 1n }
    const signed = signTransaction(wallet.signingKey, tx)
    expect(signed.raw).toBe(await wallet.signTransaction(tx))
    expect(Transaction.from(signed.raw).signature!.v).toBe(27 + Transaction.from(signed.raw).signature!.yParity)
  })

  it('refuses malformed fields', () => {
    const tx = { type: 2 as const, chainId: 1n, nonce: 0, gasLimit: 1n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }
    expect(() => signTransaction(wallet.signingKey, { ...tx, to: '0x12', data: '0x' })).toThrow(RangeError)
    expect(() => signTransaction(wallet.signingKey, { ...tx, to: null, data: '0xabc' })).toThrow(RangeError)
    expect(() => signTransaction(wallet.signingKey, { ...tx, to: null, data: 'abcd' })).toThrow(RangeError)
    expect(() => signTransaction(wallet.signingKey, { ...tx, to: null, data: '0x', gasLimit: -1n })).toThrow(RangeError)
  })
})
