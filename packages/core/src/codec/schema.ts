import { invalidArgument, describe as shape } from '../internal/assert.js'

/**
 * A schema checks a domain value and maps it to and from its wire form (what CBOR carries):
 * bigint travels as a canonical decimal string, everything else as itself.
 * Checking is strict: unknown keys, wrong types and out-of-range values are INVALID_INPUT naming the field.
 */
export interface Schema<T> {
  /**
   * Checks a domain value; returns it (typed).
   *
   * @param value - The candidate value.
   * @param path - Its name, for the error.
   * @returns The value, typed.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `path` (details: argument, expected, got).
   */
  check(value: unknown, path: string): T
  /** Domain value -> wire value (assumes `check` passed). */
  toWire(value: T): unknown
  /**
   * Wire value -> domain value, strictly.
   *
   * @param wire - The decoded CBOR value.
   * @param path - Its name, for the error.
   * @returns The domain value.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `path` when the wire value is not this schema's canonical form.
   */
  fromWire(wire: unknown, path: string): T
}

/** The domain type a schema checks: `Infer<typeof records.terms>` is `Terms`. */
export type Infer<S> = S extends Schema<infer T> ? T : never

const fail = (path: string, expected: string, value: unknown): never => {
  throw invalidArgument(path, expected, shape(value))
}

const simple = <T>(check: (value: unknown, path: string) => T): Schema<T> => ({
  check,
  toWire: v => v,
  fromWire: check,
})

/** A string of `min..max` UTF-16 code units, optionally matching `pattern`. */
export const string = (max: number, min = 0, pattern?: RegExp, expected?: string): Schema<string> =>
  simple((v, path) => {
    if (typeof v !== 'string' || v.length < min || v.length > max || (pattern && !pattern.test(v)))
      fail(path, expected ?? `string of ${min}..${max} characters`, v)
    return v as string
  })

/** A safe integer in `min..max`. */
export const int = (min: number, max: number): Schema<number> =>
  simple((v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      fail(path, `integer in ${min}..${max}`, v)
    return v as number
  })

/** A boolean. */
export const boolean: Schema<boolean> = simple((v, path) => {
  if (typeof v !== 'boolean') fail(path, 'boolean', v)
  return v as boolean
})

/** Bytes, exactly `length` long or within `min..max`. */
export const bytes = (opts: { length?: number; min?: number; max?: number }): Schema<Uint8Array> =>
  simple((v, path) => {
    const { length, min = 0, max = Number.MAX_SAFE_INTEGER } = opts
    const expected = length === undefined ? `Uint8Array of ${min}..${max} bytes` : `Uint8Array(${length})`
    if (!(v instanceof Uint8Array)) return fail(path, expected, v)
    if (length !== undefined ? v.length !== length : v.length < min || v.length > max) fail(path, expected, v)
    return v
  })

const DECIMAL = /^(0|[1-9][0-9]*)$/

/** A non-negative bigint up to `max`; on the wire a canonical decimal string. */
export const amount = (max: bigint): Schema<bigint> => ({
  check(v, path) {
    if (typeof v !== 'bigint') return fail(path, 'bigint', v)
    if (v < 0n || v > max) throw invalidArgument(path, `bigint in 0..${max}`, v < 0n ? 'negative' : 'too large')
    return v
  },
  toWire: v => v.toString(10),
  fromWire(w, path) {
    if (typeof w !== 'string' || w.length > 40 || !DECIMAL.test(w)) return fail(path, 'decimal amount', w)
    return this.check(BigInt(w), path)
  },
})

/** One of a closed list of string literals. */
export const literal = <const T extends string>(...options: T[]): Schema<T> =>
  simple((v, path) => {
    if (typeof v !== 'string' || !(options as string[]).includes(v)) fail(path, `one of ${options.join(', ')}`, v)
    return v as T
  })

/** `T` or null (the wire form of "none"; optional fields are always present, as null). */
export const nullable = <T>(inner: Schema<T>): Schema<T | null> => ({
  check: (v, path) => (v === null ? null : inner.check(v, path)),
  toWire: v => (v === null ? null : inner.toWire(v)),
  fromWire: (w, path) => (w === null ? null : inner.fromWire(w, path)),
})

/** An array of at most `max` items. */
export const array = <T>(item: Schema<T>, max: number, min = 0): Schema<T[]> => {
  const guard = (v: unknown, path: string): unknown[] => {
    if (!Array.isArray(v) || v.length > max || v.length < min) return fail(path, `array of ${min}..${max} items`, v)
    return v
  }
  return {
    check: (v, path) => guard(v, path).map((x, i) => item.check(x, `${path}[${i}]`)),
    toWire: v => v.map(x => item.toWire(x)),
    fromWire: (w, path) => guard(w, path).map((x, i) => item.fromWire(x, `${path}[${i}]`)),
  }
}

type Shape = Record<string, Schema<unknown>>
type ObjectOf<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> }

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

/**
 * An object with exactly these keys. On check, keys absent from the value are read as `undefined`
 * (so `nullable` fields may be omitted by callers and come out as null only through `withDefaults`).
 */
export const object = <S extends Shape>(fields: S): Schema<ObjectOf<S>> & { fields: S } => {
  const keys = Object.keys(fields)
  const walk = (v: unknown, path: string, method: 'check' | 'fromWire', strictKeys: boolean): ObjectOf<S> => {
    if (!isPlainObject(v)) return fail(path, 'object', v)
    if (strictKeys)
      for (const k of Object.keys(v))
        if (!(k in fields)) throw invalidArgument(`${path}.${k}`, 'no such field', 'a value')
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = fields[k]![method](v[k], path ? `${path}.${k}` : k)
    return out as ObjectOf<S>
  }
  return {
    fields,
    check: (v, path) => walk(v, path, 'check', true),
    toWire(v) {
      const out: Record<string, unknown> = {}
      for (const k of keys) out[k] = fields[k]!.toWire((v as Record<string, unknown>)[k])
      return out
    },
    fromWire: (w, path) => walk(w, path, 'fromWire', true),
  }
}

/** A union discriminated by the string field `tag` (e.g. `type`). */
export const variant = <const D extends string, V extends Record<string, Schema<Record<string, unknown>>>>(
  tag: D,
  variants: V,
): Schema<{ [K in keyof V]: Infer<V[K]> & { [T in D]: K } }[keyof V]> => {
  type Out = { [K in keyof V]: Infer<V[K]> & { [T in D]: K } }[keyof V]
  const pick = (v: unknown, path: string) => {
    if (!isPlainObject(v) || typeof v[tag] !== 'string' || !Object.hasOwn(variants, v[tag] as string))
      return fail(`${path}.${tag}`, `one of ${Object.keys(variants).join(', ')}`, isPlainObject(v) ? v[tag] : v)
    const { [tag]: name, ...rest } = v
    return { name: name as string, rest, schema: variants[name as string]! }
  }
  return {
    check(v, path) {
      const { name, rest, schema } = pick(v, path)
      return { [tag]: name, ...schema.check(rest, path) } as Out
    },
    toWire(v) {
      const { [tag]: name, ...rest } = v as Record<string, unknown>
      return { [tag]: name, ...(variants[name as string]!.toWire(rest) as object) }
    },
    fromWire(w, path) {
      const { name, rest, schema } = pick(w, path)
      return { [tag]: name, ...schema.fromWire(rest, path) } as Out
    },
  }
}
