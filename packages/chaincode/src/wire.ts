/**
 * What the Datapact chaincode and its client share, without the chaincode runtime (this entry loads neither
 * `fabric-shim` nor `fabric-contract-api`): the member id of a Fabric identity, argument and result text, the
 * chaincode event, and the error text that carries a Datapact code through the gateway. `@datapact/adapter-fabric`
 * builds this module into its client. The formats are specified in `docs/format.md`.
 *
 * @packageDocumentation
 */
import type { MemberId } from '@datapact/core'
import { decode, encode, records, schema } from '@datapact/core/codec'
import type { LedgerEvent } from '@datapact/core/rules'

export { MemberIdError, memberIdOf } from './identity.js'
export { pinKey, pinKeyPrefix, pinOf } from './pinning.js'

/** Name of the one chaincode event every Datapact write transaction sets. */
export const eventName = 'datapact'

/** The chaincode event payload: ledger time and caller of the transaction, and its events in order. */
export interface EventPayload {
  at: number
  caller: MemberId
  events: LedgerEvent[]
}

const eventPayloadSchema = schema.object({ at: records.time, caller: records.memberId, events: records.events })

/** Canonical CBOR of a chaincode event payload. */
export const encodeEventPayload = (payload: EventPayload): Uint8Array =>
  encode(eventPayloadSchema, payload as never, 'eventPayload')

/** Strictly decodes a chaincode event payload; throws INVALID_INPUT on anything but canonical bytes. */
export const decodeEventPayload = (bytes: Uint8Array): EventPayload =>
  decode(eventPayloadSchema, bytes, 'eventPayload') as EventPayload

/** Canonical CBOR of a transaction's event list (the result a write transaction returns). */
export const encodeEvents = (events: LedgerEvent[]): Uint8Array => encode(records.events, events, 'events')

/** Strictly decodes a transaction's event list. */
export const decodeEvents = (bytes: Uint8Array): LedgerEvent[] => decode(records.events, bytes, 'events')

/** Base64 (RFC 4648, padded) of bytes: chaincode arguments and results are text. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

/**
 * Strict base64: padded, canonical (re-encodes to the same text); undefined for anything else.
 *
 * Node's decoder skips characters outside the alphabet and accepts missing padding, so the text is decoded and
 * re-encoded, and only a text equal to its re-encoding passes. That comparison alone rejects every other form and
 * runs in linear time on answers of tens of MiB (a regular expression over the whole text overflowed the stack past
 * about 4.5 MiB).
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : undefined
}

/** A Datapact error as it crosses the gateway: code, message and non-secret details. */
export interface WireError {
  code: string
  message: string
  details: Record<string, string | number | boolean>
}

/**
 * The text of a chaincode error: `DATAPACT:<CODE>: <message>`, then ` DETAILS:<json>` when there are details.
 * The gateway passes it on as `chaincode response 500, <text>` in `ErrorDetail.message`.
 */
export function formatWireError(error: WireError): string {
  const details = Object.keys(error.details).length > 0 ? ` DETAILS:${JSON.stringify(error.details)}` : ''
  return `DATAPACT:${error.code}: ${error.message}${details}`
}

const wireErrorPattern = /DATAPACT:([A-Z][A-Z_]*): ([\s\S]*?)(?: DETAILS:(\{[\s\S]*\}))?$/

/** Finds `DATAPACT:<CODE>: ...` anywhere in a message (the gateway prefixes it); undefined when absent. */
export function parseWireError(text: string): WireError | undefined {
  const match = wireErrorPattern.exec(text)
  if (!match) return undefined
  const details: Record<string, string | number | boolean> = {}
  if (match[3]) {
    try {
      const parsed: unknown = JSON.parse(match[3])
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        for (const [k, v] of Object.entries(parsed))
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') details[k] = v
    } catch {
      // Details are a courtesy; the code and message stand without them.
    }
  }
  return { code: match[1]!, message: match[2]!, details }
}
