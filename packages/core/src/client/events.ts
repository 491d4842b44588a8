import type { LedgerEvent, LedgerEventRecord } from '../domain/index.js'
import { DatapactError } from '../errors.js'
import { describe, invalidArgument, readOptions } from '../internal/assert.js'
import { checkSubscription, type LedgerAdapter } from '../ledger/index.js'

/** Every committed event, from the start, read page by page (of `pageSize`) from this member's node. */
export async function readAllEvents(ledger: LedgerAdapter, pageSize = 5000): Promise<LedgerEventRecord[]> {
  const out: LedgerEventRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await ledger.readEvents({ after, limit: pageSize })
    if (page.events.length === 0) return out
    out.push(...page.events)
    after = page.cursor
  }
}

/** Every ledger event type, in the order of the domain's union (a new type does not compile until it is here). */
export const EVENT_TYPES = [
  'ConsortiumBootstrapped',
  'SettingsUpdated',
  'MemberAdmitted',
  'MemberJoined',
  'MemberRolesChanged',
  'EnvelopeKeyRotated',
  'MemberLeft',
  'DatasetRegistered',
  'DatasetUpdated',
  'DatasetRetired',
  'VersionPublished',
  'AccessGranted',
  'KeysWrapped',
  'AccessRevoked',
  'TermsAccepted',
  'UsageRecorded',
  'StatementAcknowledged',
  'StatementSettled',
  'PayloadStored',
] as const satisfies ReadonlyArray<LedgerEvent['type']>

/** One ledger event type, such as `UsageRecorded`. */
export type EventType = LedgerEvent['type']
// Compile-time check that EVENT_TYPES lists every type of the union.
type Missing = Exclude<EventType, (typeof EVENT_TYPES)[number]>
const everyType: Missing extends never ? true : Missing = true
void everyType

/** A committed event of one type: its cursor, transaction, ledger time and caller, and the decoded event. */
export interface EventRecord<T extends EventType = EventType> extends Omit<LedgerEventRecord, 'event'> {
  /** The decoded domain event (a `UsageRecorded` carries its `UsageRecord`, an `AccessGranted` its `Grant`). */
  event: Extract<LedgerEvent, { type: T }>
}

/** Options of `events.on()`. */
export interface EventsOnOptions {
  /**
   * Resume: deliver the committed events after this cursor (an {@link EventRecord.cursor} kept from before) first,
   * then the new ones, without a gap or a repeat. `null`: from the first event. Absent: only events from now on.
   */
  after?: string | null
  /** Every failure of the subscription, asynchronously: CLOSED, LEDGER_UNAVAILABLE. */
  onError?: (error: DatapactError) => void
}

/** Options of `events.stream()`. */
export interface EventsStreamOptions<T extends EventType = EventType> {
  /** Only these types (default: every type). */
  types?: readonly T[]
  /** As {@link EventsOnOptions.after}. */
  after?: string | null
}

function checkTypes(value: unknown, argument: string): ReadonlySet<EventType> {
  let list: unknown[]
  try {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype || value.length === 0)
      throw invalidArgument(argument, 'a non-empty array of event types', describe(value))
    list = Array.from({ length: value.length }, (_, i) => {
      if (!Object.hasOwn(value, i)) throw invalidArgument(argument, 'an array without holes', 'a hole')
      return value[i] as unknown
    })
  } catch (e) {
    if (e instanceof DatapactError) throw e
    throw invalidArgument(argument, 'an array of event types', 'a value that throws when read')
  }
  for (const [i, t] of list.entries()) checkType(t, `${argument}[${i}]`)
  return new Set(list as EventType[])
}

function checkType(value: unknown, argument: string): asserts value is EventType {
  if (typeof value !== 'string' || !(EVENT_TYPES as readonly string[]).includes(value))
    throw invalidArgument(argument, `an event type (${EVENT_TYPES.join(', ')})`, describe(value))
}

/**
 * Ledger events as typed, decoded domain objects: a handler per type, or an async iterator; resumable from a cursor.
 * Read from this member's own node.
 */
export class Events {
  readonly #ledger: LedgerAdapter
  /** Subscriptions to end with CLOSED when the client closes (the adapter just stops delivering). */
  readonly #open: Set<(error: DatapactError) => void>

  /** @internal */
  constructor(ledger: LedgerAdapter, open: Set<(error: DatapactError) => void>) {
    this.#ledger = ledger
    this.#open = open
  }

  /**
   * Calls `handler` with every committed event of `type`, decoded. A handler that throws does not stop the feed.
   *
   * @param type - The event type, such as `UsageRecorded`.
   * @param handler - Called with each event record (keep its `cursor` to resume later with `after`).
   * @param options - `after` (resume from a cursor) and `onError` (failures of the subscription).
   * @returns A function that stops the subscription.
   * @throws {@link DatapactError} INVALID_INPUT (synchronously) for an unknown type, a handler that is not a
   *   function or malformed options. CLOSED (the connection is or gets closed) and LEDGER_UNAVAILABLE go to
   *   `onError`.
   * @example
   * ```ts
   * const off = provider.events.on('UsageRecorded', ({ event, cursor }) => bill(event.record, cursor), { after })
   * ```
   */
  on<T extends EventType>(type: T, handler: (record: EventRecord<T>) => void, options?: EventsOnOptions): () => void {
    checkType(type, 'type')
    const { listener, after, onError } = checkSubscription(handler, options)
    const stop = this.#ledger.subscribe(
      record => {
        if (record.event.type === type) listener(record)
      },
      { ...(after === undefined ? {} : { after }), onError },
    )
    const closed = (e: DatapactError) => onError(e)
    this.#open.add(closed)
    return () => {
      this.#open.delete(closed)
      stop()
    }
  }

  /**
   * The committed events as an async iterator (`for await`), decoded and filtered by type; ending the loop
   * (`break`, `return`) stops the subscription. Events that arrive faster than the loop reads them are buffered. A
   * failure of the subscription (CLOSED, LEDGER_UNAVAILABLE) is thrown by the loop, after the events before it.
   *
   * @param options - `types` to keep (default all) and `after` (resume from a cursor; absent: from now on).
   * @returns The async iterator of event records.
   * @throws {@link DatapactError} INVALID_INPUT (synchronously) for malformed options or an unknown type.
   * @example
   * ```ts
   * for await (const { event } of consumer.events.stream({ types: ['AccessRevoked'], after: null })) notify(event)
   * ```
   */
  stream<T extends EventType = EventType>(options?: EventsStreamOptions<T>): AsyncIterableIterator<EventRecord<T>> {
    const o = readOptions(options, 'options', ['types', 'after'])
    const types = o.types === undefined ? null : checkTypes(o.types, 'options.types')
    // `after` is checked by the same rule the ledger uses.
    const { after } = checkSubscription(() => undefined, o.after === undefined ? {} : { after: o.after })
    const queue: Array<EventRecord<T>> = []
    let failure: DatapactError | null = null
    let done = false
    let wake: (() => void) | null = null
    const notify = () => {
      const w = wake
      wake = null
      w?.()
    }
    const stop = this.#ledger.subscribe(
      record => {
        if (done || (types && !types.has(record.event.type))) return
        queue.push(record as EventRecord<T>)
        notify()
      },
      {
        ...(after === undefined ? {} : { after }),
        onError: e => {
          failure ??= e
          notify()
        },
      },
    )
    const closed = (e: DatapactError) => {
      failure ??= e
      notify()
    }
    this.#open.add(closed)
    const finish = () => {
      if (done) return
      done = true
      this.#open.delete(closed)
      stop()
      notify()
    }
    const iterator: AsyncIterableIterator<EventRecord<T>> = {
      async next() {
        for (;;) {
          const record = queue.shift()
          if (record) return { done: false, value: record }
          if (done) return { done: true, value: undefined }
          if (failure) {
            finish()
            throw failure
          }
          await new Promise<void>(resolve => {
            wake = resolve
          })
        }
      },
      async return() {
        finish()
        queue.length = 0
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]() {
        return iterator
      },
    }
    return iterator
  }
}
