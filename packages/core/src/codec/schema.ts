import { DatapactError } from '../errors.js'
import { invalidArgument, describe as shape } from '../internal/assert.js'

/**
 * A schema checks a domain value and maps it to and from its wire form (what CBOR carries):
 * bigint travels as a canonical decimal string, everything else as itself.
 * Checking is strict: unknown keys, wrong types and out-of-range values are INVALID_INPUT naming the field.
 */
export interface Schema<T> {
  /**
   * Checks a domain value; returns it (typed). Byte strings come back as copies, so later changes to the input do
   * not reach the result, unless `borrow` is set.
   *
   * @param value - The candidate value.
   * @param path - Its name, for the error.
   * @param borrow - The caller uses the result at once and keeps none of it (as `encode` does: it writes the CBOR
   *   before returning), so byte strings may be views of the caller's memory instead of copies. Default false.
   * @returns The value, typed.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `path` (details: argument, expected, got).
   */
  check(value: unknown, path: string, borrow?: boolean): T
  /** Domain value -> wire value (assumes `check` passed). */
  toWire(value: T): unknown
  /**
   * Wire value -> domain value, strictly.
   *
   * @param wire - The decoded CBOR value: the decoder's own fresh value, which the result may keep without a copy.
   * @param path - Its name, for the error.
   * @returns The domain value.
   * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT naming `path` when the wire value is not this schema's canonical form.
   */
  fromWire(wire: unknown, path: string): T
}

/** The domain type a schema checks: `Infer<typeof records.terms>` is `Terms`. */
export type Infer<S> = S extends Schema<infer T> ? T : never

const fail = (path: string, expected: string, value: unknown): never => {
  throw invalidArgument(path, expected, safeShape(value))
}

/** {@link shape}, but never throws (a revoked Proxy, say, is described by its type only). */
function safeShape(value: unknown): string {
  try {
    return shape(value)
  } catch {
    return typeof value
  }
}

/**
 * Runs a read of a caller's value (property access, key listing, prototype lookup) so that whatever the value does
 * when read (a getter or a Proxy trap that throws) becomes INVALID_INPUT naming `path`; our own errors pass through.
 */
function guarded<T>(path: string, expected: string, read: () => T): T {
  try {
    return read()
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument(path, expected, 'a value that throws when read')
  }
}

// A lone UTF-16 surrogate has no UTF-8 form: CBOR would carry U+FFFD instead, so the value would change on the way.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const simple = <T>(check: (value: unknown, path: string) => T): Schema<T> => ({
  check,
  toWire: v => v,
  fromWire: check,
})

/**
 * A string of `min..max` UTF-16 code units, optionally matching `pattern`. `T` names what a passing string is (a
 * branded id such as `MemberId`): the check is what makes it one.
 */
export const string = <T extends string = string>(
  max: number,
  min = 0,
  pattern?: RegExp,
  expected?: string,
): Schema<T> =>
  simple((v, path) => {
    if (
      typeof v !== 'string' ||
      v.length < min ||
      v.length > max ||
      (pattern && !pattern.test(v)) ||
      LONE_SURROGATE.test(v)
    )
      fail(path, expected ?? `string of ${min}..${max} characters`, v)
    return v as T
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

const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!
  .get as (this: unknown) => number
const typedArraySlice = Uint8Array.prototype.slice

/**
 * The bytes of a genuine Uint8Array (or subclass such as Buffer), as a fresh copy; undefined for anything else,
 * a Proxy around a Uint8Array included. The length is read through the intrinsic getter, so a subclass cannot lie.
 */
export function ownBytes(v: unknown): Uint8Array | undefined {
  const view = genuineView(v)
  // The intrinsic slice of a genuine view: one copy into a fresh array, without zero-filling it first.
  return view && (typedArraySlice.call(view) as Uint8Array)
}

/** The bytes of a genuine Uint8Array as a plain view of the same memory (no copy); undefined as for {@link ownBytes}. */
function genuineView(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'object' || v === null || !ArrayBuffer.isView(v)) return undefined
  try {
    if (!(v instanceof Uint8Array)) return undefined
    return new Uint8Array(v.buffer, v.byteOffset, typedArrayLength.call(v))
  } catch {
    return undefined
  }
}

/**
 * Bytes, exactly `length` long or within `min..max` (`T` names what passing bytes are, such as `Digest`). Checking
 * returns a copy, so later changes to the input do not
 * reach it. Decoding keeps the decoder's own array: the CBOR decoder makes a fresh plain Uint8Array for every byte
 * string, which nothing else references, so a second copy (of every payload batch a ledger returns) would only cost.
 */
export const bytes = <T extends Uint8Array = Uint8Array>(opts: {
  length?: number
  min?: number
  max?: number
}): Schema<T> => {
  const { length, min = 0, max = Number.MAX_SAFE_INTEGER } = opts
  const expected = length === undefined ? `Uint8Array of ${min}..${max} bytes` : `Uint8Array(${length})`
  const sized = (b: Uint8Array, path: string) => {
    if (length !== undefined ? b.length !== length : b.length < min || b.length > max) fail(path, expected, b)
    return b as T
  }
  const check = (v: unknown, path: string, borrow = false) => {
    const b = borrow ? genuineView(v) : ownBytes(v)
    if (b === undefined) return fail(path, expected, v)
    return sized(b, path)
  }
  return {
    check,
    toWire: v => v,
    fromWire: (w, path) =>
      w instanceof Uint8Array && Object.getPrototypeOf(w) === Uint8Array.prototype ? sized(w, path) : check(w, path),
  }
}

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
  check: (v, path, borrow) => (v === null ? null : inner.check(v, path, borrow)),
  toWire: v => (v === null ? null : inner.toWire(v)),
  fromWire: (w, path) => (w === null ? null : inner.fromWire(w, path)),
})

/**
 * An array of at most `max` items. Only a genuine, dense array is accepted (no holes, no extra own properties);
 * each item is read once, and a read that throws is INVALID_INPUT.
 */
export const array = <T>(item: Schema<T>, max: number, min = 0): Schema<T[]> => {
  const expected = `array of ${min}..${max} items`
  const walk = (v: unknown, path: string, read: (x: unknown, path: string) => T): T[] =>
    guarded(path, expected, () => {
      if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return fail(path, expected, v)
      const length = v.length
      if (length > max || length < min) return fail(path, expected, v)
      const own = Reflect.ownKeys(v)
      if (own.length !== length + 1) return fail(path, `${expected}, without holes or extra properties`, v)
      const out: T[] = []
      for (let i = 0; i < length; i++) {
        if (!Object.hasOwn(v, i)) return fail(path, `${expected}, without holes`, v)
        out.push(read(v[i], `${path}[${i}]`))
      }
      return out
    })
  return {
    check: (v, path, borrow) => walk(v, path, (x, p) => item.check(x, p, borrow)),
    toWire: v => v.map(x => item.toWire(x)),
    fromWire: (w, path) => walk(w, path, (x, p) => item.fromWire(x, p)),
  }
}

type Shape = Record<string, Schema<unknown>>
type ObjectOf<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> }

/** A plain object: its prototype is Object.prototype or null (no arrays, bytes, dates, maps or class instances). */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * The own properties of a plain object, each read exactly once; INVALID_INPUT for anything else, for a symbol key
 * and for a key `allowed` refuses. Inherited properties are never read.
 */
function ownFields(v: unknown, path: string, allowed: (key: string) => boolean): Map<string, unknown> {
  return guarded(path, 'object', () => {
    if (!isPlainObject(v)) return fail(path, 'object', v)
    const out = new Map<string, unknown>()
    for (const k of Reflect.ownKeys(v)) {
      if (typeof k !== 'string') throw invalidArgument(path, 'object with string keys only', 'a symbol key')
      if (!allowed(k)) throw invalidArgument(path ? `${path}.${k}` : k, 'no such field', 'a value')
      // Read inline rather than through `guarded`: this runs for every field of every record checked.
      let x: unknown
      try {
        x = v[k]
      } catch {
        throw invalidArgument(path ? `${path}.${k}` : k, 'a readable value', 'a value that throws when read')
      }
      out.set(k, x)
    }
    return out
  })
}

/**
 * An object with exactly these keys. On check, keys absent from the value are read as `undefined`
 * (so `nullable` fields may be omitted by callers and come out as null only through `withDefaults`).
 */
export const object = <S extends Shape>(fields: S): Schema<ObjectOf<S>> & { fields: S } => {
  const keys = Object.keys(fields)
  const walk = (
    v: unknown,
    path: string,
    read: (field: Schema<unknown>, x: unknown, path: string) => unknown,
  ): ObjectOf<S> => {
    // Own keys only: `k in fields` would let `toString`, `constructor` or `__proto__` through.
    const given = ownFields(v, path, k => Object.hasOwn(fields, k))
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = read(fields[k]!, given.get(k), path ? `${path}.${k}` : k)
    return out as ObjectOf<S>
  }
  return {
    fields,
    check: (v, path, borrow) => walk(v, path, (field, x, p) => field.check(x, p, borrow)),
    toWire(v) {
      const out: Record<string, unknown> = {}
      for (const k of keys) out[k] = fields[k]!.toWire((v as Record<string, unknown>)[k])
      return out
    },
    fromWire: (w, path) => walk(w, path, (field, x, p) => field.fromWire(x, p)),
  }
}

/** A union discriminated by the string field `tag` (e.g. `type`). */
export const variant = <const D extends string, V extends Record<string, Schema<Record<string, unknown>>>>(
  tag: D,
  variants: V,
): Schema<{ [K in keyof V]: Infer<V[K]> & { [T in D]: K } }[keyof V]> => {
  type Out = { [K in keyof V]: Infer<V[K]> & { [T in D]: K } }[keyof V]
  const pick = (v: unknown, path: string) => {
    const given = ownFields(v, path, () => true)
    const name = given.get(tag)
    if (typeof name !== 'string' || !Object.hasOwn(variants, name))
      return fail(`${path}.${tag}`, `one of ${Object.keys(variants).join(', ')}`, name)
    given.delete(tag)
    const rest: Record<string, unknown> = {}
    for (const [k, x] of given)
      Object.defineProperty(rest, k, { value: x, enumerable: true, writable: true, configurable: true })
    return { name, rest, schema: variants[name]! }
  }
  return {
    check(v, path, borrow) {
      const { name, rest, schema } = pick(v, path)
      return { [tag]: name, ...schema.check(rest, path, borrow) } as Out
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
