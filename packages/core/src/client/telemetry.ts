import {
  type Attributes,
  type Counter,
  type MeterProvider,
  metrics,
  type Span,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import type { LedgerEventRecord } from '../domain/index.js'
import { type DatapactErrorCode, isDatapactError } from '../errors.js'
import { describe, invalidArgument } from '../internal/assert.js'
import type { LedgerAdapter, PayloadStore, SubscribeOptions } from '../ledger/index.js'

/**
 * A logger the client reports to: pino, console, or anything with these four methods. Each call passes an object of
 * non-secret facts (operation, member, ids, codes, durations) and a message; never keys, plaintext or payloads.
 */
export interface Logger {
  /** Every ledger call and client operation that succeeded. */
  debug(obj: Record<string, unknown>, msg?: string): void
  /** Rarely used: reserved for lifecycle events. */
  info(obj: Record<string, unknown>, msg?: string): void
  /** A refusal or an input error: the caller asked for something the rules do not allow. */
  warn(obj: Record<string, unknown>, msg?: string): void
  /** A failure the operator must look at: INTEGRITY, LEDGER_UNAVAILABLE, INTERNAL, an unexpected error. */
  error(obj: Record<string, unknown>, msg?: string): void
}

/** The instrumentation scope name of Datapact's tracer and meter. */
export const TELEMETRY_SCOPE = '@datapact/core'

/** Codes counted as refusals (the ledger's rules said no). */
const REFUSALS: ReadonlySet<DatapactErrorCode> = new Set([
  'ACCESS_DENIED',
  'GRANT_EXPIRED',
  'GRANT_REVOKED',
  'QUOTA_EXCEEDED',
])
const OPERATOR_ERRORS: ReadonlySet<DatapactErrorCode> = new Set(['INTEGRITY', 'LEDGER_UNAVAILABLE', 'INTERNAL'])

/** What the client's instrumentation shares. @internal */
export interface Telemetry {
  readonly tracer: Tracer
  readonly logger: Logger | undefined
  readonly me: string
  readonly bytes: Counter
  readonly accesses: Counter
  readonly refusals: Counter
  /** Errors already counted and logged by an inner operation (a fetch's metering), so they count once. */
  readonly seen: WeakSet<object>
}

/** Checks and builds the telemetry of a client. @internal */
export function createTelemetry(
  me: string,
  options: { logger?: unknown; tracerProvider?: unknown; meterProvider?: unknown },
): Telemetry {
  const { logger, tracerProvider, meterProvider } = options
  if (logger !== undefined) {
    const ok = guard(
      () =>
        typeof logger === 'object' &&
        logger !== null &&
        ['debug', 'info', 'warn', 'error'].every(m => typeof (logger as Record<string, unknown>)[m] === 'function'),
      'options.logger',
    )
    if (!ok) throw invalidArgument('options.logger', 'a logger with debug, info, warn and error', describe(logger))
  }
  if (
    tracerProvider !== undefined &&
    !guard(() => typeof (tracerProvider as TracerProvider | null)?.getTracer === 'function', 'options.tracerProvider')
  )
    throw invalidArgument('options.tracerProvider', 'an OpenTelemetry TracerProvider', describe(tracerProvider))
  if (
    meterProvider !== undefined &&
    !guard(() => typeof (meterProvider as MeterProvider | null)?.getMeter === 'function', 'options.meterProvider')
  )
    throw invalidArgument('options.meterProvider', 'an OpenTelemetry MeterProvider', describe(meterProvider))
  const tracer = ((tracerProvider as TracerProvider | undefined) ?? trace).getTracer(TELEMETRY_SCOPE)
  const meter = ((meterProvider as MeterProvider | undefined) ?? metrics).getMeter(TELEMETRY_SCOPE)
  return {
    tracer,
    logger: logger as Logger | undefined,
    me,
    bytes: meter.createCounter('datapact.bytes', {
      unit: 'By',
      description: 'Plaintext bytes read (data.fetch, data.stream) and published (datasets.register, publish)',
    }),
    accesses: meter.createCounter('datapact.accesses', { description: 'Accesses recorded on the ledger (metered)' }),
    refusals: meter.createCounter('datapact.refusals', {
      description: 'Operations the ledger refused: ACCESS_DENIED, GRANT_EXPIRED, GRANT_REVOKED, QUOTA_EXCEEDED',
    }),
    seen: new WeakSet(),
  }
}

function guard(test: () => boolean, argument: string): boolean {
  try {
    return test()
  } catch {
    throw invalidArgument(argument, 'a readable value', 'a value that throws when read')
  }
}

/** Calls the logger; a logger that throws never breaks the operation. */
function log(t: Telemetry, level: keyof Logger, obj: Record<string, unknown>, msg: string): void {
  try {
    t.logger?.[level](obj, msg)
  } catch {
    // A broken logger must not change what the client does.
  }
}

/** Whether `e`, or an error in its `cause` chain, was already counted by an inner operation. */
function alreadySeen(t: Telemetry, e: unknown): boolean {
  for (let x = e, depth = 0; typeof x === 'object' && x !== null && depth < 8; x = (x as Error).cause, depth++)
    if (t.seen.has(x)) return true
  return false
}

/**
 * Records a failure on the span; for a client operation (`count`) also on the counters and the log, once per error
 * (an inner operation's error rethrown or wrapped by the outer one counts once).
 */
function failed(t: Telemetry, span: Span, operation: string, e: unknown, started: number, count: boolean): void {
  const code = isDatapactError(e) ? e.code : 'UNEXPECTED'
  // Messages and details of DatapactErrors carry ids, lengths and shapes only; another error's message is not kept.
  span.setAttribute('datapact.error.code', code)
  span.setStatus({ code: SpanStatusCode.ERROR, message: code })
  if (!count) return
  const seen = alreadySeen(t, e)
  if (typeof e === 'object' && e !== null) t.seen.add(e)
  if (seen) return
  const facts = { operation, member: t.me, code, ms: Date.now() - started }
  if (isDatapactError(e) && REFUSALS.has(e.code))
    t.refusals.add(1, { 'datapact.code': e.code, 'datapact.operation': operation })
  if (!isDatapactError(e) || OPERATOR_ERRORS.has(e.code))
    log(t, 'error', { ...facts, ...(isDatapactError(e) ? { message: e.message } : {}) }, `datapact ${operation} failed`)
  else log(t, 'warn', { ...facts, message: e.message }, `datapact ${operation} refused`)
}

/** Runs `fn` in an active span named `datapact.<operation>`; `done` adds attributes from the result. @internal */
export async function traced<T>(
  t: Telemetry,
  operation: string,
  attributes: Attributes,
  fn: () => Promise<T>,
  done?: (result: T, span: Span) => void,
  count = true,
): Promise<T> {
  return t.tracer.startActiveSpan(
    `datapact.${operation}`,
    { attributes: { 'datapact.member': t.me, ...attributes } },
    async span => {
      const started = Date.now()
      try {
        const result = await fn()
        done?.(result, span)
        log(t, 'debug', { operation, member: t.me, ...attributes, ms: Date.now() - started }, `datapact ${operation}`)
        return result
      } catch (e) {
        failed(t, span, operation, e, started, count)
        throw e
      } finally {
        span.end()
      }
    },
  )
}

/** A ledger connection whose every call is a span (rule or query name, transaction id; never arguments). @internal */
export function instrumentLedger(ledger: LedgerAdapter, t: Telemetry): LedgerAdapter {
  const kind = { 'datapact.ledger': String(ledger.kind) }
  const wrapped: LedgerAdapter = {
    get kind() {
      return ledger.kind
    },
    get memberId() {
      return ledger.memberId
    },
    submit: (rule, args) =>
      traced(
        t,
        'ledger.submit',
        { ...kind, 'datapact.rule': rule },
        () => ledger.submit(rule, args),
        (r, span) => span.setAttribute('datapact.tx', r.txId),
        false,
      ),
    query: (name, args) =>
      traced(t, 'ledger.query', { ...kind, 'datapact.query': name }, () => ledger.query(name, args)),
    readEvents: options =>
      traced(
        t,
        'ledger.readEvents',
        kind,
        () => ledger.readEvents(options),
        (page, span) => span.setAttribute('datapact.events', page.events.length),
        false,
      ),
    subscribe: (listener: (event: LedgerEventRecord) => void, options?: SubscribeOptions) =>
      ledger.subscribe(listener, options),
    close: () => traced(t, 'ledger.close', kind, () => ledger.close(), undefined, false),
  }
  if (ledger.maxPayloadBatchBytes !== undefined)
    Object.defineProperty(wrapped, 'maxPayloadBatchBytes', { get: () => ledger.maxPayloadBatchBytes, enumerable: true })
  return wrapped
}

/** A payload store whose writes and reads are spans (store name, chunks, bytes; never the bytes). @internal */
export function instrumentStore(store: PayloadStore, t: Telemetry): PayloadStore {
  const name = { 'datapact.store': store.name }
  return {
    name: store.name,
    put: chunks => {
      let n = 0
      let bytes = 0
      async function* counted() {
        for await (const c of chunks) {
          n++
          bytes += c.length
          yield c
        }
      }
      return traced(
        t,
        'store.put',
        name,
        () => store.put(counted()),
        (_address, span) => span.setAttributes({ 'datapact.chunks': n, 'datapact.bytes': bytes }),
        false,
      )
    },
    get: (address, chunkCount) => ({
      [Symbol.asyncIterator]() {
        return t.tracer.startActiveSpan(
          'datapact.store.get',
          { attributes: { 'datapact.member': t.me, ...name, 'datapact.chunks': chunkCount } },
          span => {
            const started = Date.now()
            let it: AsyncIterator<Uint8Array>
            try {
              it = store.get(address, chunkCount)[Symbol.asyncIterator]()
            } catch (e) {
              failed(t, span, 'store.get', e, started, false)
              span.end()
              throw e
            }
            let bytes = 0
            let open = true
            const end = (e?: unknown) => {
              if (!open) return
              open = false
              if (e === undefined) span.setAttribute('datapact.bytes', bytes)
              else failed(t, span, 'store.get', e, started, false)
              span.end()
            }
            return {
              async next() {
                try {
                  const r = await it.next()
                  if (r.done) end()
                  else bytes += r.value.length
                  return r
                } catch (e) {
                  end(e)
                  throw e
                }
              },
              async return(value?: unknown) {
                end()
                return (await it.return?.(value)) ?? { done: true as const, value: undefined }
              },
            } as AsyncIterator<Uint8Array>
          },
        )
      },
    }),
  }
}

type AnyMethod = (...args: unknown[]) => Promise<unknown>

/**
 * Wraps the public methods of a client area (own properties over the prototype's, so the area's class and
 * reflection stay as they are) in spans, counters and log lines. @internal
 */
export function instrumentArea(area: object, areaName: string, t: Telemetry): void {
  const proto = Object.getPrototypeOf(area) as Record<string, unknown>
  for (const method of Object.getOwnPropertyNames(proto)) {
    const original = proto[method]
    if (method === 'constructor' || typeof original !== 'function') continue
    const operation = `${areaName}.${method}`
    const call = original as AnyMethod
    Object.defineProperty(area, method, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        const first = args[0]
        const attributes: Attributes =
          typeof first === 'string' && /^[0-9a-f]{64}$/.test(first) ? { 'datapact.dataset': first } : {}
        return traced(
          t,
          operation,
          attributes,
          () => call.apply(area, args),
          result => onResult(t, operation, result),
        )
      },
    })
  }
}

/** Counters and attributes from what an operation returned. */
function onResult(t: Telemetry, operation: string, result: unknown): void {
  const r = result as Record<string, unknown> | null
  switch (operation) {
    case 'data.fetch':
      t.bytes.add((r!.bytes as Uint8Array).length, { 'datapact.direction': 'read' })
      break
    case 'data.stream': {
      // Bytes count as the plaintext is read.
      const stream = r!.stream as AsyncIterable<Uint8Array>
      r!.stream = (async function* () {
        for await (const c of stream) {
          t.bytes.add(c.length, { 'datapact.direction': 'read' })
          yield c
        }
      })()
      break
    }
    case 'datasets.register': {
      const v = r?.version as { size: number } | null
      if (v) t.bytes.add(v.size, { 'datapact.direction': 'published' })
      break
    }
    case 'datasets.publish':
      t.bytes.add((r as { size: number }).size, { 'datapact.direction': 'published' })
      break
    case 'usage.record':
      t.accesses.add((result as unknown[]).length)
      break
  }
}
