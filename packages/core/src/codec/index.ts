/**
 * Canonical, strictly decoded bytes for every domain object (deterministic CBOR).
 * @packageDocumentation
 */
export { decode, encode } from './cbor.js'
export * as records from './records.js'
export { isWeakEnvelopeKey, LIMITS, WEAK_ENVELOPE_KEYS } from './records.js'
export type { Infer, Schema } from './schema.js'
export * as schema from './schema.js'
