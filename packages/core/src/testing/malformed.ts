import type { Arbitrary } from 'fast-check'
import { fastCheck } from './fastCheck.js'

/**
 * Malformed values of every kind an adversarial caller passes, as factories (a Proxy or a getter must be made fresh
 * for each call). Each is invalid wherever a Datapact entry point takes a value, whatever the field: no `undefined`,
 * `null`, plain strings, in-range numbers, positive bigints or `{}` here, since some fields accept those.
 */
export const MALFORMED_KINDS: ReadonlyArray<readonly [kind: string, make: () => unknown]> = [
  ['symbol', () => Symbol('malformed')],
  ['function', () => () => 1],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['fraction', () => -1.5],
  ['2^53', () => 2 ** 53],
  ['negative bigint', () => -1n],
  ['lone surrogate', () => 'a\uD800'],
  ['empty bytes', () => new Uint8Array(0)],
  ['Proxy around bytes', () => new Proxy(new Uint8Array(32).fill(7), {})],
  [
    'revoked Proxy',
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      return proxy
    },
  ],
  [
    'Proxy whose traps throw',
    () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new RangeError('trap')
          },
          get() {
            throw new RangeError('trap')
          },
          getPrototypeOf() {
            throw new RangeError('trap')
          },
        },
      ),
  ],
  [
    'getter that throws',
    () =>
      Object.defineProperty({}, 'value', {
        enumerable: true,
        get() {
          throw new TypeError('getter')
        },
      }),
  ],
  ['key toString', () => ({ toString: 1 })],
  ['key constructor', () => ({ constructor: 1 })],
  ['own key __proto__', () => JSON.parse('{"__proto__": 1}')],
  ['symbol key', () => ({ [Symbol('k')]: 1 })],
  ['inherited fields', () => Object.create({ title: 't', name: 'n' })],
  ['invalid Date', () => new Date(Number.NaN)],
  ['Map', () => new Map([[1, 2]])],
  ['Set', () => new Set([1])],
  ['holey array', () => new Array(3)],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
  ['array with a hole', () => [1, , 2]],
  ['array of undefined', () => [undefined]],
  ['class instance', () => new (class Thing {})()],
  ['boxed string', () => new String('x')],
]

/**
 * One malformed value: its kind (for failure reports) and the value. fast-check prints it by its kind, so that a
 * revoked Proxy or a throwing getter never reaches fast-check's own printing of a counterexample.
 */
export class Malformed {
  /**
   * A malformed value with its kind.
   *
   * @param kind - What is wrong with it, for failure reports.
   * @param value - The malformed value.
   */
  constructor(
    readonly kind: string,
    readonly value: unknown,
  ) {}
  // fast-check's `toStringMethod` symbol, spelled out so that this module loads without fast-check.
  [Symbol.for('fast-check/toStringMethod')](): string {
    return `<${this.kind}>`
  }
}

/** A malformed value made of another (`{ limit: <NaN> }`, say), printed by its kind. */
export const malformedOf = (kind: string, value: unknown): Malformed => new Malformed(kind, value)

/** Keys no Datapact object has, each refused as an unknown field. */
export const FORBIDDEN_KEYS = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'x-unknown']

/** An arbitrary malformed value, plus generated ones (strings with lone surrogates, fractional numbers). */
export const malformed = (): Arbitrary<Malformed> => {
  const fc = fastCheck()
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...MALFORMED_KINDS).map(([kind, make]) => new Malformed(kind, make())) },
    fc.string({ maxLength: 8 }).map(s => new Malformed('string with a lone surrogate', `${s}\uDC00`)),
    fc.integer().map(n => new Malformed('fraction', n + 0.25)),
    fc.bigInt({ max: -1n }).map(n => new Malformed('negative bigint', n)),
  )
}

/** A path into a value: object keys and array indexes. */
export type Path = Array<string | number>

/** Every path to a value inside a plain value (object keys, array indexes), the root excluded. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = []
  if (Array.isArray(value))
    value.forEach((v, i) => {
      out.push([...prefix, i], ...pathsOf(v, [...prefix, i]))
    })
  else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype)
    // Plain objects only: a class instance (a ledger connection, keys) is replaced whole, never edited inside.
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]))
  return out
}

/** The plain objects inside a value (for extra keys), the root included when it is one. */
function objectPaths(value: unknown): Path[] {
  const isObject = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  return [[], ...pathsOf(value)].filter(p => isObject(at(value, p)))
}

/**
 * The value at `path` inside `value` (undefined where the path leads nowhere).
 *
 * @param value - A plain value.
 * @param path - Object keys and array indexes.
 * @returns The value there.
 */
export const at = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value)

/** A deep copy of plain data (objects, arrays, bytes, bigints); functions and class instances are kept as they are. */
export function copy<T>(value: T): T {
  if (value instanceof Uint8Array) return value.slice() as T
  if (Array.isArray(value)) return value.map(copy) as T
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = copy(v)
    return out as T
  }
  return value
}

function setAt(root: unknown, path: Path, value: unknown): void {
  const parent = at(root, path.slice(0, -1)) as Record<string | number, unknown>
  Object.defineProperty(parent, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true })
}

/** How a valid argument is made malformed. */
export type Mutation =
  | { kind: 'replace'; path: Path; with: Malformed }
  | { kind: 'extra key'; path: Path; key: string | symbol }
  | { kind: 'hole'; path: Path }

/**
 * Mutations of a valid argument: replace the whole of it or any value inside it with a malformed value, add a
 * forbidden key to any object inside it, or punch a hole into any array inside it. `optionalRoot`: the argument
 * may be omitted, so it is never replaced by undefined (nothing here is undefined anyway).
 */
export function mutation(valid: unknown): Arbitrary<Mutation> {
  const fc = fastCheck()
  const paths: Path[] = [[], ...pathsOf(valid)]
  const objects = objectPaths(valid)
  const arrays = paths.filter(p => Array.isArray(at(valid, p)))
  const options: Array<Arbitrary<Mutation>> = [
    fc.record({ kind: fc.constant('replace' as const), path: fc.constantFrom(...paths), with: malformed() }),
  ]
  if (objects.length > 0)
    options.push(
      fc.record({
        kind: fc.constant('extra key' as const),
        path: fc.constantFrom(...objects),
        key: fc.oneof(fc.constantFrom(...FORBIDDEN_KEYS), fc.constant(Symbol.for('datapact.malformed'))),
      }),
    )
  if (arrays.length > 0)
    options.push(fc.record({ kind: fc.constant('hole' as const), path: fc.constantFrom(...arrays) }))
  return fc.oneof(...options)
}

/** Applies a mutation to a fresh copy of `valid`. */
export function applyMutation(valid: unknown, m: Mutation): unknown {
  if (m.kind === 'replace' && m.path.length === 0) return m.with.value
  const root = copy(valid)
  if (m.kind === 'replace') setAt(root, m.path, m.with.value)
  else if (m.kind === 'extra key') {
    const target = at(root, m.path) as object
    Object.defineProperty(target, m.key, { value: 1, enumerable: true, writable: true, configurable: true })
  } else (at(root, m.path) as unknown[]).length += 1
  return root
}

/** A short description of a mutation for failure reports. */
export const describeMutation = (m: Mutation): string =>
  m.kind === 'replace'
    ? `${m.path.join('.') || '(whole argument)'} := ${m.with.kind}`
    : m.kind === 'extra key'
      ? `${m.path.join('.') || '(root)'} + key ${String(m.key)}`
      : `${m.path.join('.')} with a hole`
