import { decode, encode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import type { Dataset, Grant, LedgerEventRecord } from '../domain/index.js'
import { DatapactError, isDatapactError } from '../errors.js'
import type { LedgerAdapter } from '../ledger/index.js'
import { datasetAfter, datasetChangedBy, grantAfter, grantChangedBy, grantKey } from './entities.js'
import type { IndexedEntity, IndexedEntityKind, IndexStore } from './store.js'

/** The record schema each kind of entity is stored with. */
const SCHEMAS = { dataset: r.dataset, grant: r.grant } as const

/**
 * Reads the stored entities of a kind (whose key starts with `prefix`), decoded. A stored value that does not decode
 * means the index was damaged: INTEGRITY, naming the key.
 */
export async function readEntities<K extends IndexedEntityKind>(
  store: IndexStore,
  kind: K,
  prefix = '',
): Promise<Array<K extends 'dataset' ? Dataset : Grant>> {
  const schema = SCHEMAS[kind]
  return (await store.entities(kind, prefix)).map(x => {
    try {
      return decode(schema as typeof r.dataset, x.value, `index ${kind} ${x.key}`)
    } catch (cause) {
      throw new DatapactError('INTEGRITY', `the index holds a ${kind} at ${x.key} that does not decode`, {
        details: { kind, key: x.key },
        cause,
      })
    }
  }) as Array<K extends 'dataset' ? Dataset : Grant>
}

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
        await this.store.append(cursor, page.events, page.cursor, await this.#changed(page.events))
        cursor = page.cursor
      } catch (e) {
        // Another client sharing this store appended first: continue from where it stands.
        if (!isDatapactError(e, 'CONFLICT')) throw e
        ;({ cursor } = await this.store.position())
      }
    }
  }

  /**
   * The datasets and grants a page changes, as it leaves them ({@link datasetAfter}, {@link grantAfter}): each read
   * once from the store, then carried through the page's events in order.
   */
  async #changed(events: readonly LedgerEventRecord[]): Promise<IndexedEntity[]> {
    const datasets = new Map<string, Dataset | undefined>()
    const grants = new Map<string, Grant | undefined>()
    const storedDataset = async (id: string) => (await readEntities(this.store, 'dataset', id)).find(x => x.id === id)
    const storedGrant = async (key: string) =>
      (await readEntities(this.store, 'grant', key)).find(x => grantKey(x.datasetId, x.grantee) === key)
    for (const rec of events) {
      const datasetId = datasetChangedBy(rec.event)
      if (datasetId !== undefined) {
        const before = datasets.has(datasetId) ? datasets.get(datasetId) : await storedDataset(datasetId)
        datasets.set(datasetId, datasetAfter(before, rec.event))
      }
      const grant = grantChangedBy(rec.event)
      if (grant !== undefined) {
        const key = grantKey(grant.datasetId, grant.grantee)
        const before = grants.has(key) ? grants.get(key) : await storedGrant(key)
        grants.set(key, grantAfter(before, rec.event, rec.at))
      }
    }
    const out: IndexedEntity[] = []
    for (const [key, ds] of datasets) if (ds) out.push({ kind: 'dataset', key, value: encode(r.dataset, ds) })
    for (const [key, g] of grants) if (g) out.push({ kind: 'grant', key, value: encode(r.grant, g) })
    return out
  }
}
