import { isDatapactError } from '../errors.js'
import type { LedgerAdapter } from '../ledger/index.js'
import type { IndexStore } from './store.js'

/** Events read from the ledger per page (and stored per transaction) while catching up. */
export const INDEX_PAGE_SIZE = 5000

/**
 * Keeps an {@link IndexStore} caught up with this member's node: before every read, the events after the stored
 * cursor are read page by page and each page is appended with its cursor in one store transaction. Catch-ups of
 * one client run one after another; a client sharing the store with another one that got there first re-reads the
 * position and carries on from there.
 */
export class LedgerIndex {
  readonly store: IndexStore
  readonly #ledger: LedgerAdapter
  readonly #pageSize: number
  #tail: Promise<void> = Promise.resolve()

  constructor(ledger: LedgerAdapter, store: IndexStore, pageSize = INDEX_PAGE_SIZE) {
    this.#ledger = ledger
    this.store = store
    this.#pageSize = pageSize
  }

  /** Reads and stores every event committed after the stored cursor; resolves once the index is at the head. */
  sync(): Promise<void> {
    const run = this.#tail.then(() => this.#catchUp())
    this.#tail = run.catch(() => undefined)
    return run
  }

  async #catchUp(): Promise<void> {
    let { cursor } = await this.store.position()
    for (;;) {
      const page = await this.#ledger.readEvents({ after: cursor, limit: this.#pageSize })
      if (page.events.length === 0 || page.cursor === null) return
      try {
        await this.store.append(cursor, page.events, page.cursor)
        cursor = page.cursor
      } catch (e) {
        // Another client sharing this store appended first: continue from where it stands.
        if (!isDatapactError(e, 'CONFLICT')) throw e
        ;({ cursor } = await this.store.position())
      }
    }
  }
}
