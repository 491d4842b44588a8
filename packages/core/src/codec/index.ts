/**
 * Canonical, strictly decoded bytes for every domain object (deterministic CBOR).
 * @packageDocumentation
 */
export { decode, encode, roundTrip } from './cbor.js'
/** The schemas of every record the ledger stores or emits (members, datasets, versions, grants, usage, events). */
export * as records from './records.js'
export { isWeakEnvelopeKey, LIMITS, WEAK_ENVELOPE_KEYS, WRAP } from './records.js'
export type { Infer, Schema } from './schema.js'
/** The schema combinators the records are built from (string, int, bytes, amount, object, variant, ...). */
export * as schema from './schema.js'
