import { ledger, peer } from '@hyperledger/fabric-protos'

// The versioned key-value world state, the read-write set of a simulation and MVCC validation. TEST utility.
const { kvrwset } = ledger.rwset

/** A state version: the block and transaction position of the write that produced it. */
export interface Version {
  readonly blockNum: number
  readonly txNum: number
}

/** A committed state entry. */
export interface StateEntry {
  readonly key: string
  readonly value: Uint8Array
  readonly version: Version
}

/** A Fabric transaction validation code (`peer.TxValidationCode`). */
export type ValidationCode = peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]

// Fabric orders keys as bytes (LevelDB), which differs from UTF-16 string order above U+FFFF.
const compareKeys = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** Committed world state: namespace (chaincode name) -> key -> value and version. */
export class WorldState {
  readonly #namespaces = new Map<string, Map<string, StateEntry>>()

  get(namespace: string, key: string): StateEntry | undefined {
    return this.#namespaces.get(namespace)?.get(key)
  }

  /** Entries with `startKey <= key < endKey` in byte order; an empty `endKey` means no upper bound. */
  range(namespace: string, startKey: string, endKey: string): StateEntry[] {
    const entries = [...(this.#namespaces.get(namespace)?.values() ?? [])]
    return entries
      .filter(e => compareKeys(e.key, startKey) >= 0 && (endKey === '' || compareKeys(e.key, endKey) < 0))
      .sort((a, b) => compareKeys(a.key, b.key))
  }

  /** Every entry, namespace by namespace. */
  *entries(): Generator<readonly [namespace: string, entry: StateEntry]> {
    for (const [namespace, entries] of this.#namespaces) for (const entry of entries.values()) yield [namespace, entry]
  }

  /** Applies the writes of a valid transaction's read-write set at the given version. */
  applyWrites(results: Uint8Array, version: Version): void {
    for (const [namespace, set] of namespaceSets(results)) {
      const entries = this.#namespaces.get(namespace) ?? new Map<string, StateEntry>()
      this.#namespaces.set(namespace, entries)
      for (const write of set.getWritesList()) {
        if (write.getIsDelete()) entries.delete(write.getKey())
        else entries.set(write.getKey(), { key: write.getKey(), value: write.getValue_asU8().slice(), version })
      }
    }
  }

  /**
   * Validates a read-write set against the current state as a Fabric committer does: a read whose version changed
   * is an MVCC read conflict, a range query whose results changed is a phantom read conflict.
   */
  validate(results: Uint8Array): ValidationCode {
    for (const [namespace, set] of namespaceSets(results)) {
      for (const read of set.getReadsList()) {
        if (!sameVersion(read.getVersion(), this.get(namespace, read.getKey())?.version)) {
          return peer.TxValidationCode.MVCC_READ_CONFLICT
        }
      }
      for (const query of set.getRangeQueriesInfoList()) {
        const reads = query.getRawReads()?.getKvReadsList() ?? []
        const last = reads[reads.length - 1]
        let current = this.range(namespace, query.getStartKey(), query.getEndKey())
        // An iterator closed early only saw keys up to the last one it read.
        if (!query.getItrExhausted()) current = last ? current.filter(e => compareKeys(e.key, last.getKey()) <= 0) : []
        const same =
          current.length === reads.length &&
          current.every((e, i) => e.key === reads[i]?.getKey() && sameVersion(reads[i]?.getVersion(), e.version))
        if (!same) return peer.TxValidationCode.PHANTOM_READ_CONFLICT
      }
    }
    return peer.TxValidationCode.VALID
  }
}

function namespaceSets(results: Uint8Array): Array<[string, ledger.rwset.kvrwset.KVRWSet]> {
  return ledger.rwset.TxReadWriteSet.deserializeBinary(results)
    .getNsRwsetList()
    .map(ns => [ns.getNamespace(), kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8())])
}

function sameVersion(read: ledger.rwset.kvrwset.Version | undefined, current: Version | undefined): boolean {
  if (!read || !current) return read === current
  return read.getBlockNum() === current.blockNum && read.getTxNum() === current.txNum
}

function newRead(key: string, version: Version | undefined): ledger.rwset.kvrwset.KVRead {
  const read = new kvrwset.KVRead()
  read.setKey(key)
  if (version) {
    const v = new kvrwset.Version()
    v.setBlockNum(version.blockNum)
    v.setTxNum(version.txNum)
    read.setVersion(v)
  }
  return read
}

/** One page of a range query, as the shim receives it. */
export interface RangePage {
  readonly entries: readonly StateEntry[]
  readonly hasMore: boolean
}

interface OpenRange {
  readonly info: ledger.rwset.kvrwset.RangeQueryInfo
  readonly entries: readonly StateEntry[]
  served: number
}

/**
 * The simulation of one transaction: reads come from committed state (Fabric does not read its own writes) and are
 * recorded with their versions; writes are buffered. `results()` is the TxReadWriteSet the endorsement carries.
 */
export class Simulation {
  readonly #state: WorldState
  readonly #namespace: string
  readonly #reads = new Map<string, Version | undefined>()
  readonly #writes = new Map<string, Uint8Array | null>()
  readonly #ranges = new Map<string, OpenRange>()
  readonly #rangeInfos: ledger.rwset.kvrwset.RangeQueryInfo[] = []
  #nextRangeId = 0

  constructor(state: WorldState, namespace: string) {
    this.#state = state
    this.#namespace = namespace
  }

  getState(key: string): Uint8Array {
    const entry = this.#state.get(this.#namespace, key)
    if (!this.#reads.has(key)) this.#reads.set(key, entry?.version)
    return entry?.value ?? new Uint8Array()
  }

  putState(key: string, value: Uint8Array): void {
    this.#writes.set(key, value.slice())
  }

  deleteState(key: string): void {
    this.#writes.set(key, null)
  }

  /** Opens a range query and returns its id and first page. */
  openRange(startKey: string, endKey: string, pageSize: number): { id: string; page: RangePage } {
    const info = new kvrwset.RangeQueryInfo()
    info.setStartKey(startKey)
    info.setEndKey(endKey)
    info.setRawReads(new kvrwset.QueryReads())
    this.#rangeInfos.push(info)
    const id = String(this.#nextRangeId++)
    this.#ranges.set(id, { info, entries: this.#state.range(this.#namespace, startKey, endKey), served: 0 })
    return { id, page: this.nextPage(id, pageSize) }
  }

  /** Serves the next page of an open range query; throws when the id is unknown. */
  nextPage(id: string, pageSize: number): RangePage {
    const range = this.#ranges.get(id)
    if (!range) throw new Error(`query iterator not found: ${id}`)
    const entries = range.entries.slice(range.served, range.served + pageSize)
    range.served += entries.length
    for (const entry of entries) range.info.getRawReads()?.addKvReads(newRead(entry.key, entry.version))
    const hasMore = range.served < range.entries.length
    if (!hasMore) range.info.setItrExhausted(true)
    return { entries, hasMore }
  }

  closeRange(id: string): void {
    this.#ranges.delete(id)
  }

  /** The TxReadWriteSet bytes of this simulation (reads and writes sorted by key, as Fabric does). */
  results(): Uint8Array {
    const set = new kvrwset.KVRWSet()
    for (const key of [...this.#reads.keys()].sort(compareKeys)) set.addReads(newRead(key, this.#reads.get(key)))
    set.setRangeQueriesInfoList(this.#rangeInfos)
    for (const key of [...this.#writes.keys()].sort(compareKeys)) {
      const write = new kvrwset.KVWrite()
      const value = this.#writes.get(key)
      write.setKey(key)
      if (value) write.setValue(value)
      else write.setIsDelete(true)
      set.addWrites(write)
    }
    const ns = new ledger.rwset.NsReadWriteSet()
    ns.setNamespace(this.#namespace)
    ns.setRwset(set.serializeBinary())
    const rwset = new ledger.rwset.TxReadWriteSet()
    rwset.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV)
    rwset.setNsRwsetList([ns])
    return rwset.serializeBinary()
  }
}
