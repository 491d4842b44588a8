import { readFileSync } from 'node:fs'
import {
  decodeEventPayload,
  encodeEventPayload,
  formatWireError,
  fromBase64,
  parseWireError,
} from '@datapact/chaincode/wire'
import { decodeArgs } from '@datapact/core/rules'
import { describe, expect, it } from 'vitest'

/**
 * Known-answer vectors of the Fabric encodings (test/vectors/fabric.json, specified in docs/format.md §11): the
 * wire functions produce and read these bytes, and the event payload is re-encoded here by a minimal deterministic
 * CBOR writer that follows the spec (RFC 8949 §4.2.1), independent of the codec.
 */
const v = JSON.parse(readFileSync(new URL('./vectors/fabric.json', import.meta.url), 'utf8')) as {
  eventPayload: { value: Record<string, unknown>; cbor: string }
  transactionArgument: { rule: 'retireDataset'; args: { datasetId: string }; base64: string }
  error: { code: string; message: string; details: Record<string, string>; text: string }
}

/** Deterministic CBOR of text, unsigned integers, arrays and text-keyed maps: the subset the payload uses. */
function cbor(value: unknown): string {
  const head = (major: number, n: number) => {
    if (n < 24) return ((major << 5) | n).toString(16).padStart(2, '0')
    if (n < 0x100) return ((major << 5) | 24).toString(16) + n.toString(16).padStart(2, '0')
    if (n < 0x10000) return ((major << 5) | 25).toString(16) + n.toString(16).padStart(4, '0')
    return ((major << 5) | 26).toString(16) + n.toString(16).padStart(8, '0')
  }
  if (typeof value === 'number') return head(0, value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return head(3, bytes.length) + bytes.toString('hex')
  }
  if (Array.isArray(value)) return head(4, value.length) + value.map(cbor).join('')
  const entries = Object.entries(value as Record<string, unknown>).map(([k, x]) => [cbor(k), cbor(x)] as const)
  // Keys in bytewise order of their encodings (shorter encodings first).
  entries.sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
  return head(5, entries.length) + entries.map(([k, x]) => k + x).join('')
}

describe('Fabric format vectors', () => {
  it('the chaincode event payload is the canonical CBOR of { at, caller, events }', () => {
    const { value, cbor: expected } = v.eventPayload
    expect(cbor(value)).toBe(expected)
    expect(Buffer.from(encodeEventPayload(value as never)).toString('hex')).toBe(expected)
    expect(decodeEventPayload(Buffer.from(expected, 'hex'))).toEqual(value)
  })

  it('a transaction argument is the padded canonical base64 of the canonical CBOR arguments', () => {
    const t = v.transactionArgument
    const bytes = fromBase64(t.base64)
    expect(bytes && Buffer.from(bytes).toString('hex')).toBe(cbor(t.args))
    expect(decodeArgs(t.rule, bytes!)).toEqual(t.args)
    expect(fromBase64(t.base64.replace(/=+$/, ''))).toBeUndefined()
  })

  it('errors cross the gateway as DATAPACT:<CODE>: <message> DETAILS:<json>', () => {
    const e = v.error
    expect(`DATAPACT:${e.code}: ${e.message} DETAILS:${JSON.stringify(e.details)}`).toBe(e.text)
    expect(formatWireError(e)).toBe(e.text)
    expect(parseWireError(`chaincode response 500, ${e.text}`)).toEqual({
      code: e.code,
      message: e.message,
      details: e.details,
    })
  })
})
