import { DatapactError, ERROR_CODES, LedgerError } from '@datapact/core'
import { Interface, makeError, ZeroAddress } from 'ethers'
import { describe, expect, it } from 'vitest'
import { toLedgerError } from '../src/errors.js'
import { datapactAbi, REVERT_CODES } from '../src/index.js'
import { decodePayloadLog, encodeStorePayload } from '../src/payloadCodec.js'

const iface = new Interface(datapactAbi as unknown as string[])
const abiErrors: string[] = []
iface.forEachError(e => {
  abiErrors.push(e.name)
})

/** A revert of the named custom error with sample arguments, wrapped the way ethers reports an estimateGas revert. */
function revert(name: string): unknown {
  const fragment = iface.getError(name)!
  const sample = (type: string): unknown =>
    type === 'address'
      ? `0x${'ab'.repeat(20)}`
      : type === 'bytes32'
        ? `0x${'cd'.repeat(32)}`
        : type === 'string'
          ? 'wraps'
          : 7n
  const data = iface.encodeErrorResult(
    fragment,
    fragment.inputs.map(i => sample(i.type)),
  )
  return makeError('execution reverted', 'CALL_EXCEPTION', {
    action: 'estimateGas',
    data,
    reason: null,
    transaction: { to: null, data: '0x' },
    invocation: null,
    revert: null,
  })
}

describe('revert mapping table', () => {
  it('lists every custom error of the contract, each with a core code', () => {
    expect(Object.keys(REVERT_CODES).sort()).toEqual([...abiErrors].sort())
    for (const code of Object.values(REVERT_CODES)) expect(ERROR_CODES).toContain(code)
  })

  it.each(Object.entries(REVERT_CODES))('maps %s to %s with its arguments as details', (name, code) => {
    const e = toLedgerError(revert(name), iface, 'op', '0xfeed')
    expect(e).toBeInstanceOf(LedgerError)
    expect(e).toMatchObject({ code, ledger: 'evm', transactionId: '0xfeed', details: { revert: name } })
    expect((e as LedgerError).cause).toBeDefined()
    const fragment = iface.getError(name)!
    for (const input of fragment.inputs) {
      const value = (e as LedgerError).details[input.name]
      if (input.type === 'bytes32') expect(value).toBe('cd'.repeat(32))
      if (input.type === 'address') expect(value).toBe(`0x${'ab'.repeat(20)}`)
    }
  })

  it('maps a revert nested in a JSON-RPC error body', () => {
    const data = iface.encodeErrorResult('NonceReused', [3n, `0x${'11'.repeat(32)}`, 1n, 5n])
    const nested = { code: 'UNKNOWN_ERROR', error: { code: 3, message: 'execution reverted', data } }
    expect(toLedgerError(nested, iface, 'recordUsage')).toMatchObject({
      code: 'NONCE_REUSED',
      details: { index: 3, datasetId: '11'.repeat(32), version: 1, nonce: 5 },
    })
  })

  it('maps panics, bare reverts and unknown errors to INTERNAL', () => {
    const panic = makeError('reverted', 'CALL_EXCEPTION', {
      action: 'call',
      data: '0x4e487b710000000000000000000000000000000000000000000000000000000000000011',
      reason: null,
      transaction: { to: null, data: '0x' },
      invocation: null,
      revert: null,
    })
    expect(toLedgerError(panic, iface, 'op')).toMatchObject({ code: 'INTERNAL' })
    expect(toLedgerError(new Error('weird'), iface, 'op')).toMatchObject({ code: 'INTERNAL' })
  })

  it('maps an unreachable node to LEDGER_UNAVAILABLE, keeping the cause', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    for (const e of [
      refused,
      makeError('request timeout', 'TIMEOUT', { operation: 'request.send', reason: 'timeout' }),
      makeError('server error', 'SERVER_ERROR', { request: null as never, response: null as never }),
      { code: 'ECONNRESET', message: 'socket hang up' },
    ]) {
      const mapped = toLedgerError(e, iface, 'submit')
      expect(mapped).toMatchObject({ code: 'LEDGER_UNAVAILABLE', ledger: 'evm' })
      expect((mapped as LedgerError).cause).toBe(e)
    }
  })

  it('maps a call too large for a block to INVALID_INPUT', () => {
    const e = { code: 'UNKNOWN_ERROR', error: { message: 'gas required exceeds allowance (30000000)' } }
    expect(toLedgerError(e, iface, 'storePayload')).toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('passes DatapactErrors through unchanged', () => {
    const e = new DatapactError('CONFLICT', 'x')
    expect(toLedgerError(e, iface, 'op')).toBe(e)
  })
})

describe('payload codec', () => {
  it('encodes storePayload exactly as the ABI coder does, and decodes PayloadStored logs', () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(64).fill(9), new Uint8Array(33).fill(0xff)]
    const upload = 'ab'.repeat(32)
    const fast = encodeStorePayload(iface.getFunction('storePayload')!.selector, upload, 7, chunks, true)
    expect(fast).toBe(iface.encodeFunctionData('storePayload', [`0x${upload}`, 7, chunks, true]))
    const event = iface.getEvent('PayloadStored')!
    const { data } = iface.encodeEventLog(event, [`0x${upload}`, ZeroAddress, 7, true, chunks])
    const log = decodePayloadLog(data)
    expect([log.first, log.complete, log.count]).toEqual([7, true, 3])
    expect(log.chunks()).toEqual(chunks)
    expect(() => decodePayloadLog(data.slice(0, 200)).chunks()).toThrow(RangeError)
  })
})
