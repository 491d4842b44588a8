/**
 * A small linear ABI decoder driven by the generated ABI (`datapactAbi`, kept `as const`): events and view results
 * decode into named fields whose TypeScript types follow from the ABI literal. ethers 6's generic decoder copies the
 * data buffer on every word it reads, so a large log (a 1000-record UsageRecorded batch) costs quadratic time; this
 * one reads words as slices of the hex string, once each. Only the types the contract uses are supported: uintN,
 * bool, address, bytesN, bytes, string, tuples and dynamic arrays `T[]` of them. Checked against ethers' decoder by
 * the property tests in `test/abi.test.ts`.
 */
import type { MemberId } from '@datapact/core'
import { datapactAbi } from './generated/datapact.js'

/** One parameter of an ABI entry, as solc writes it. */
interface AbiParam {
  readonly name: string
  readonly type: string
  readonly indexed?: boolean
  readonly components?: readonly AbiParam[]
}

type Abi = typeof datapactAbi
type SmallUint = 'uint8' | 'uint16' | 'uint24' | 'uint32' | 'uint40' | 'uint48'

/**
 * The decoded value of a parameter: `number` for uint8 .. uint48, `bigint` for wider integers, `boolean`, a lowercase
 * 0x hex string for address, bytesN and bytes, a string for string; tuples are objects by component name. An address
 * is typed {@link MemberId}: every address the contract holds is a member, and its id is the lowercase address the
 * decoder returns.
 */
export type AbiValue<P> = P extends { readonly type: `${infer T}[]` }
  ? AbiValue<Omit<P, 'type'> & { readonly type: T }>[]
  : P extends { readonly type: 'tuple'; readonly components: infer C extends readonly AbiParam[] }
    ? AbiStruct<C>
    : P extends { readonly type: SmallUint }
      ? number
      : P extends { readonly type: `uint${string}` }
        ? bigint
        : P extends { readonly type: 'bool' }
          ? boolean
          : P extends { readonly type: 'address' }
            ? MemberId
            : string

/** An object with one field per named parameter. */
export type AbiStruct<C extends readonly AbiParam[]> = { [P in C[number] as P['name']]: AbiValue<P> }

type EventEntry<N> = Extract<Abi[number], { readonly type: 'event'; readonly name: N }>
type FunctionEntry<N> = Extract<Abi[number], { readonly type: 'function'; readonly name: N }>

/** The names of the contract's events. */
export type EventName = Extract<Abi[number], { readonly type: 'event' }>['name']
/** The names of the contract's view functions. */
export type ViewName = Extract<Abi[number], { readonly type: 'function'; readonly stateMutability: 'view' }>['name']

/** The arguments of event `N` (indexed and not), by name. */
export type EventArgs<N extends EventName> = AbiStruct<EventEntry<N>['inputs']>

/** The indexed arguments of event `N`, by name: what its topics carry. */
export type EventTopics<N extends EventName> = AbiStruct<
  Extract<EventEntry<N>['inputs'][number], { readonly indexed: true }>[]
>

/** What view `N` returns: its only output, or an object of its named outputs. */
export type ViewResult<N extends ViewName> = FunctionEntry<N>['outputs'] extends readonly [infer O]
  ? AbiValue<O>
  : AbiStruct<FunctionEntry<N>['outputs']>

// ------------------------------------------------------------------ runtime

/** Decodes one value at a character offset of a hex string (no 0x); `base` is where its enclosing tuple starts. */
interface Coder {
  /** Whether the value is encoded in the tail (behind an offset in the head). */
  readonly dynamic: boolean
  /** Head size in hex characters (64 for a dynamic value: its offset). */
  readonly size: number
  decode(h: string, at: number): unknown
}

const WORD = 64
const ZERO_WORD = '0'.repeat(WORD)
const ZERO_HIGH = '0'.repeat(WORD - 12)
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function need(h: string, at: number, chars: number): void {
  if (at < 0 || at + chars > h.length) throw new RangeError('ABI data is truncated')
}

/** A word holding an offset or a length, in bytes; refused when it cannot be one. */
function index(h: string, at: number): number {
  need(h, at, WORD)
  if (!h.startsWith(ZERO_HIGH, at)) throw new RangeError('ABI offset or length is too large')
  return Number.parseInt(h.slice(at + WORD - 12, at + WORD), 16)
}

function uint(bits: number): Coder {
  const chars = bits / 4
  if (bits <= 48)
    return {
      dynamic: false,
      size: WORD,
      decode: (h, at) => {
        need(h, at, WORD)
        return Number.parseInt(h.slice(at + WORD - chars, at + WORD), 16)
      },
    }
  return {
    dynamic: false,
    size: WORD,
    decode: (h, at) => {
      need(h, at, WORD)
      return BigInt(`0x${h.slice(at + WORD - chars, at + WORD)}`)
    },
  }
}

const bool: Coder = {
  dynamic: false,
  size: WORD,
  decode: (h, at) => {
    need(h, at, WORD)
    return !h.startsWith(ZERO_WORD, at)
  },
}

const address: Coder = {
  dynamic: false,
  size: WORD,
  decode: (h, at) => {
    need(h, at, WORD)
    return `0x${h.slice(at + 24, at + WORD).toLowerCase()}`
  },
}

function fixedBytes(n: number): Coder {
  return {
    dynamic: false,
    size: WORD,
    decode: (h, at) => {
      need(h, at, WORD)
      return `0x${h.slice(at, at + 2 * n).toLowerCase()}`
    },
  }
}

/** The content of a `bytes` or `string` at `at`: its length word, then the bytes. */
function content(h: string, at: number): string {
  const length = 2 * index(h, at)
  need(h, at + WORD, length)
  return h.slice(at + WORD, at + WORD + length)
}

const bytes: Coder = { dynamic: true, size: WORD, decode: (h, at) => `0x${content(h, at).toLowerCase()}` }
const string: Coder = {
  dynamic: true,
  size: WORD,
  decode: (h, at) => utf8.decode(Buffer.from(content(h, at), 'hex')),
}

/** A head/tail sequence (a tuple, or an array's elements) starting at `at`. */
function decodeSequence(coders: readonly Coder[], h: string, at: number): unknown[] {
  const out = new Array<unknown>(coders.length)
  let head = at
  for (let i = 0; i < coders.length; i++) {
    const c = coders[i]!
    out[i] = c.dynamic ? c.decode(h, at + 2 * index(h, head)) : c.decode(h, head)
    head += c.size
  }
  return out
}

function tuple(params: readonly AbiParam[]): Coder {
  const coders = params.map(coder)
  const names = params.map(p => p.name)
  const dynamic = coders.some(c => c.dynamic)
  return {
    dynamic,
    size: dynamic ? WORD : coders.reduce((n, c) => n + c.size, 0),
    decode: (h, at) => {
      const values = decodeSequence(coders, h, at)
      const out: Record<string, unknown> = {}
      for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]
      return out
    },
  }
}

function array(element: Coder): Coder {
  return {
    dynamic: true,
    size: WORD,
    decode: (h, at) => {
      const length = index(h, at)
      const start = at + WORD
      // Each element takes at least one word of head: a length past the data is refused before allocating.
      need(h, start, length * element.size)
      const out = new Array<unknown>(length)
      let head = start
      for (let i = 0; i < length; i++) {
        out[i] = element.dynamic ? element.decode(h, start + 2 * index(h, head)) : element.decode(h, head)
        head += element.size
      }
      return out
    },
  }
}

/** The coder of one ABI parameter. */
function coder(p: AbiParam): Coder {
  const { type } = p
  if (type.endsWith('[]')) return array(coder({ ...p, type: type.slice(0, -2) }))
  if (type === 'tuple') return tuple(p.components ?? [])
  if (type === 'bool') return bool
  if (type === 'address') return address
  if (type === 'bytes') return bytes
  if (type === 'string') return string
  const u = /^uint(\d+)$/.exec(type)
  if (u) return uint(Number(u[1]))
  const b = /^bytes(\d+)$/.exec(type)
  if (b) return fixedBytes(Number(b[1]))
  throw new TypeError(`ABI type ${type} is not supported by the linear decoder`)
}

interface EventDecoder {
  readonly names: string[]
  readonly indexed: Array<{ name: string; coder: Coder } | null>
  readonly data: Coder[]
  readonly dataNames: string[]
}

const events = new Map<string, EventDecoder>()
const views = new Map<string, { coders: Coder[]; names: string[] }>()
for (const entry of datapactAbi as readonly { type: string; name?: string; inputs?: readonly AbiParam[] }[]) {
  if (entry.type === 'event') {
    const inputs = entry.inputs ?? []
    const data = inputs.filter(p => !p.indexed)
    events.set(entry.name!, {
      names: inputs.map(p => p.name),
      indexed: inputs.map(p => (p.indexed ? { name: p.name, coder: coder(p) } : null)),
      data: data.map(coder),
      dataNames: data.map(p => p.name),
    })
  } else if (entry.type === 'function') {
    const outputs = (entry as { outputs?: readonly AbiParam[] }).outputs ?? []
    views.set(entry.name!, { coders: outputs.map(coder), names: outputs.map(p => p.name) })
  }
}

const strip = (hex: string): string => (hex.startsWith('0x') ? hex.slice(2) : hex)

/**
 * Decodes a log of event `name` into its arguments by name, in time linear in the log's size.
 *
 * @param name - The event (the log's first topic must be its topic hash; not checked here).
 * @param topics - The log's topics (0x hex), the event's topic hash first.
 * @param data - The log's data (0x hex).
 * @returns The arguments, indexed ones read from their topics.
 * @throws `RangeError` when the data or topics are truncated or hold an impossible offset or length; `TypeError`
 *   when a string is not valid UTF-8.
 */
export function decodeEvent<N extends EventName>(name: N, topics: readonly string[], data: string): EventArgs<N> {
  const d = events.get(name)!
  const h = strip(data)
  const values = decodeSequence(d.data, h, 0)
  const out: Record<string, unknown> = {}
  let topic = 1
  let next = 0
  for (let i = 0; i < d.names.length; i++) {
    const indexed = d.indexed[i]
    if (indexed) {
      const t = topics[topic++]
      if (t === undefined) throw new RangeError(`log of ${name} has too few topics`)
      // Dynamic indexed values are only their hash in the topic (the contract indexes none).
      out[indexed.name] = indexed.coder.dynamic ? t.toLowerCase() : indexed.coder.decode(strip(t), 0)
    } else out[d.dataNames[next]!] = values[next++]
  }
  return out as EventArgs<N>
}

/**
 * Decodes only the indexed arguments of a log of event `name`, from its topics (the data is not read).
 *
 * @param name - The event.
 * @param topics - The log's topics (0x hex), the event's topic hash first.
 * @returns The indexed arguments by name.
 * @throws `RangeError` when a topic is missing.
 */
export function decodeTopics<N extends EventName>(name: N, topics: readonly string[]): EventTopics<N> {
  const d = events.get(name)!
  const out: Record<string, unknown> = {}
  let topic = 1
  for (const indexed of d.indexed) {
    if (!indexed) continue
    const t = topics[topic++]
    if (t === undefined) throw new RangeError(`log of ${name} has too few topics`)
    out[indexed.name] = indexed.coder.dynamic ? t.toLowerCase() : indexed.coder.decode(strip(t), 0)
  }
  return out as EventTopics<N>
}

/**
 * Decodes what view `name` returned.
 *
 * @param name - The view function.
 * @param data - The `eth_call` result (0x hex).
 * @returns Its only output, or an object of its named outputs.
 * @throws `RangeError` when the data is truncated or holds an impossible offset or length; `TypeError` when a string
 *   is not valid UTF-8.
 */
export function decodeView<N extends ViewName>(name: N, data: string): ViewResult<N> {
  const v = views.get(name)!
  const values = decodeSequence(v.coders, strip(data), 0)
  if (values.length === 1) return values[0] as ViewResult<N>
  const out: Record<string, unknown> = {}
  v.names.forEach((n, i) => {
    out[n] = values[i]
  })
  return out as ViewResult<N>
}
