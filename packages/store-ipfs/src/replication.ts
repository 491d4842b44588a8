import {
  DatapactError,
  type DatasetId,
  type LedgerAdapter,
  type LedgerEventRecord,
  type MemberId,
} from '@datapact/core'

/** A node that can keep payloads: an {@link IpfsPayloadStore} on the member's own Kubo node. */
export interface PinningNode {
  readonly name: string
  /** Pins the payload at `address` on this node (fetching it from the swarm when needed). */
  pin(address: string, options?: { signal?: AbortSignal }): Promise<void>
  /** Unpins the payload at `address` on this node. */
  unpin(address: string): Promise<void>
}

/** What a replication did, as reported to {@link ReplicationOptions.onPinned} and `onUnpinned`. */
export interface ReplicationEvent {
  /** The member on whose node the payload was pinned or unpinned. */
  member: MemberId
  datasetId: DatasetId
  version: number
  address: string
}

/** Options of {@link startReplication}. */
export interface ReplicationOptions {
  /** A connection to the member's own ledger node; only its events are read. */
  readonly ledger: LedgerAdapter
  /**
   * The nodes to keep payloads on, by member id: usually just the member's own (`{ [me]: myStore }`); a test or
   * an operator of several members may give more. Members without a node here are skipped.
   */
  readonly nodes: Readonly<Record<string, PinningNode>>
  /** Only versions in this store are pinned (default: the name of the first node). */
  readonly store?: string
  /** Unpin a grantee's versions when its grant is revoked (default false: the member keeps what it had). */
  readonly unpinOnRevoke?: boolean
  /** Start after this cursor (default null: replay from the first event, so nothing published earlier is missed). */
  readonly after?: string | null
  /** Called after each pin. */
  readonly onPinned?: (event: ReplicationEvent) => void
  /** Called after each unpin. */
  readonly onUnpinned?: (event: ReplicationEvent) => void
  /** Called when a pin or unpin fails (the replication goes on); default: ignored. */
  readonly onError?: (error: DatapactError, event: ReplicationEvent) => void
}

/** A running replication. */
export interface Replication {
  /** Resolves once every pin and unpin asked for by the events delivered so far has been attempted. */
  idle(): Promise<void>
  /** The cursor of the last event handled (to resume with `after` later), null before the first. */
  readonly cursor: string | null
  /** Stops following the ledger and aborts the pins in flight. Idempotent. */
  stop(): Promise<void>
}

/**
 * Keeps every member's node pinning exactly what the ledger entitles that member to: it follows the ledger's
 * events (`LedgerAdapter.subscribe`, from the first event by default) and pins a version's payload on the node
 * of every member its data key was wrapped for, that is the owner, the escrow regulator and each grantee whose
 * grant covers it, when the version is published (`VersionPublished.wrappedFor`), when a grant is given
 * (`AccessGranted.wrappedVersions`) and when keys are wrapped later (`KeysWrapped`). With `unpinOnRevoke`, a
 * revoked grantee's node drops the dataset's versions it pinned for that grantee.
 *
 * Pinning is availability, not access: the ciphertext is useless without a wrapped key, and a consumer's
 * revoked node may keep serving blocks it already has until it unpins and collects garbage. Opt-in; run one per
 * member next to its node.
 *
 * @param options - The ledger connection, the nodes, and what to do on revocation.
 * @returns The running replication.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT when `ledger` or `nodes` is malformed.
 * @example
 * ```ts
 * const replication = startReplication({ ledger, nodes: { [ledger.memberId]: ipfs } })
 * // ... later
 * await replication.stop()
 * ```
 */
export function startReplication(options: ReplicationOptions): Replication {
  if (typeof options?.ledger?.subscribe !== 'function')
    throw invalid('options.ledger', 'a LedgerAdapter', typeof options?.ledger)
  const nodes = options.nodes
  if (typeof nodes !== 'object' || nodes === null || Object.values(nodes).some(n => typeof n?.pin !== 'function'))
    throw invalid('options.nodes', 'a record of member id to IpfsPayloadStore', typeof nodes)
  const store = options.store ?? Object.values(nodes)[0]?.name
  const controller = new AbortController()
  // Payload addresses by dataset and version, learnt from VersionPublished.
  const addresses = new Map<string, string>()
  // Which members each node pins an address for, so one member's revocation never drops another's pin.
  const holders = new Map<string, Set<string>>()
  let queue: Promise<void> = Promise.resolve()
  let cursor: string | null = null
  let stopped = false

  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(() => (stopped ? undefined : work()))
  }
  const key = (datasetId: string, version: number) => `${datasetId}/${version}`

  /** The address of a version in this store: from its VersionPublished event, else (published before `after`) from the ledger. */
  const addressOf = async (datasetId: DatasetId, version: number): Promise<string | undefined> => {
    const known = addresses.get(key(datasetId, version))
    if (known) return known
    const v = await options.ledger.query('getVersion', { datasetId, number: version })
    if (!v || v.location.store !== store) return undefined
    addresses.set(key(datasetId, version), v.location.address)
    return v.location.address
  }

  const pin = (member: MemberId, datasetId: DatasetId, version: number) => {
    const node = nodes[member]
    if (!node) return
    enqueue(async () => {
      const event = { member, datasetId, version, address: addresses.get(key(datasetId, version)) ?? '' }
      try {
        const address = await addressOf(datasetId, version)
        if (!address) return
        event.address = address
        const held = `${member} ${address}`
        await node.pin(address, { signal: controller.signal })
        const set = holders.get(held) ?? new Set<string>()
        holders.set(held, set)
        set.add(key(datasetId, version))
        options.onPinned?.(event)
      } catch (e) {
        if (!stopped) options.onError?.(asDatapactError(e), event)
      }
    })
  }

  const unpinDataset = (member: MemberId, datasetId: DatasetId) => {
    const node = nodes[member]
    if (!node) return
    enqueue(async () => {
      for (const [k, address] of addresses) {
        if (!k.startsWith(`${datasetId}/`)) continue
        const set = holders.get(`${member} ${address}`)
        if (!set?.delete(k) || set.size > 0) continue
        const event = { member, datasetId, version: Number(k.slice(datasetId.length + 1)), address }
        try {
          await node.unpin(address)
          holders.delete(`${member} ${address}`)
          options.onUnpinned?.(event)
        } catch (e) {
          if (!stopped) options.onError?.(asDatapactError(e), event)
        }
      }
    })
  }

  const onEvent = ({ event, cursor: c }: LedgerEventRecord) => {
    cursor = c
    switch (event.type) {
      case 'VersionPublished': {
        const v = event.version
        if (v.location.store !== store) return
        addresses.set(key(v.datasetId, v.number), v.location.address)
        for (const m of event.wrappedFor) pin(m, v.datasetId, v.number)
        return
      }
      case 'AccessGranted':
        for (const n of event.wrappedVersions) pin(event.grant.grantee, event.grant.datasetId, n)
        return
      case 'KeysWrapped':
        for (const n of event.versions) pin(event.member, event.datasetId, n)
        return
      case 'AccessRevoked':
        if (options.unpinOnRevoke) unpinDataset(event.grantee, event.datasetId)
        return
      default:
        return
    }
  }

  const unsubscribe = options.ledger.subscribe(onEvent, { after: options.after ?? null })
  return {
    idle: async () => {
      // Work queued while waiting is waited for too.
      let seen: Promise<void>
      do {
        seen = queue
        await seen
      } while (seen !== queue)
    },
    get cursor() {
      return cursor
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      unsubscribe()
      controller.abort()
      await queue
    },
  }
}

const asDatapactError = (e: unknown) =>
  e instanceof DatapactError ? e : new DatapactError('INTERNAL', 'replication step failed', { cause: e })

const invalid = (argument: string, expected: string, got: string) =>
  new DatapactError('INVALID_INPUT', `"${argument}" must be ${expected}, got ${got}`, {
    details: { argument, expected, got },
  })
