import { encode } from '../codec/cbor.js'
import * as r from '../codec/records.js'
import type { Schema } from '../codec/schema.js'
import { decryptChunks } from '../crypto/index.js'
import type {
  ConsortiumSettings,
  Dataset,
  DatasetId,
  Grant,
  LedgerEvent,
  LedgerEventRecord,
  Member,
  MemberId,
  UsageRecord,
  UsageTotals,
  Version,
} from '../domain/index.js'
import { isDatapactError } from '../errors.js'
import { throwIfAborted } from '../internal/assert.js'
import { bytesToHex, equalBytes } from '../internal/bytes.js'
import { datasetAfter, grantAfter, grantKey } from '../ledgerIndex/entities.js'
import {
  checkUsageTime,
  chunkCountOf,
  covers,
  DEFAULT_SETTINGS,
  entitles,
  granteeRefusal,
  inForce,
  keyRecipients,
  periodOf,
  pinTerms,
  priceOf,
  quotaExhausted,
  samePinnedTerms,
} from '../rules/index.js'
import { buildStatement } from './billing.js'
import type { ClientContext } from './context.js'
import { unwrapOwnKey } from './grants.js'
import { verifyCiphertext } from './payload.js'

/** The invariants the audit checks; each violation names one. */
export type AuditCheck =
  | 'EVENT_MALFORMED'
  | 'BOOTSTRAP'
  | 'MEMBERSHIP'
  | 'AUTHORITY'
  | 'VERSION_SEQUENCE'
  | 'KEY_WRAPS'
  | 'GRANT'
  | 'USAGE_OUTSIDE_GRANT'
  | 'QUOTA'
  | 'AMOUNT'
  | 'NONCE'
  | 'SETTLEMENT'
  | 'STATE'
  | 'PAYLOAD'

/** One invariant the audit found broken. */
export interface AuditViolation {
  /** Which invariant. */
  check: AuditCheck
  /** What is wrong, for people. */
  message: string
  /** The event where it was found (absent for state and payload checks). */
  cursor?: string
  /** The transaction of that event, when known. */
  txId?: string
}

/** The result of `audit.verify()`: what was replayed and every violation found. */
export interface AuditReport {
  /** True when no invariant is violated. */
  ok: boolean
  /** Events replayed in all, from genesis up to the cursor this report reached. */
  events: number
  /** Of those, the events this call replayed: all of them on the first or a `full` audit, then the new ones. */
  eventsChecked: number
  /** The cursor of the last event replayed (null on an empty ledger): the next audit goes on from it. */
  cursor: string | null
  datasets: number
  versions: number
  grants: number
  usageRecords: number
  settlements: number
  /** Payload Merkle roots re-checked against the ledger (with `payloads: true`). */
  payloadsChecked: number
  /**
   * Versions also decrypted and checked against their plaintext digest (with `payloads: true`, for the versions this
   * member reads unmetered: its own, or all of them as the escrow regulator).
   */
  plaintextsChecked: number
  violations: AuditViolation[]
}

/** Options of `audit.verify()`. */
export interface AuditOptions {
  /**
   * Also re-read every version's ciphertext from its store and check its Merkle root; where this member reads
   * unmetered (owner, escrow regulator), decrypt it and check the plaintext digest too. Default false.
   */
  payloads?: boolean
  /**
   * Replay from genesis with a fresh model, rather than going on from the last verified cursor of this client.
   * Default false: the first audit of a client replays everything, later ones only the events committed since.
   */
  full?: boolean
  /**
   * Stops the audit between two pages of events or two payloads: the call rejects with ABORTED. The events already
   * replayed stay in this client's model, so the next audit goes on from there.
   */
  signal?: AbortSignal
}

/**
 * What an audit keeps between calls: the replayed model and the cursor it reached. The next audit applies the
 * events after that cursor to the same model, so it checks the same invariants over the whole history while
 * reading only what is new.
 */
export interface AuditProgress {
  replay: Replay
  cursor: string | null
  events: number
}

/** A fresh audit: nothing replayed yet. */
export const newAuditProgress = (): AuditProgress => ({ replay: new Replay(), cursor: null, events: 0 })

type Key = string
const totalsKey = (p: string, c: string, period: number, cur: string): Key => `${p}|${c}|${period}|${cur}`

/** Replays every event from this member's node into a model of the state and checks the invariants of the map. */
export class Replay {
  settings: ConsortiumSettings | undefined
  readonly members = new Map<MemberId, Member>()
  readonly admissions = new Map<MemberId, Member['roles']>()
  readonly datasets = new Map<DatasetId, Dataset>()
  readonly versions = new Map<string, Version>()
  readonly grants = new Map<string, Grant>()
  readonly nonces = new Set<string>()
  readonly totals = new Map<Key, UsageTotals>()
  readonly records = new Map<Key, UsageRecord[]>()
  /** Per statement key: settled statements and records, and each party's acknowledgement of the open one. */
  readonly settled = new Map<
    Key,
    { statements: number; closedCount: number; closedAmount: bigint; acks: Map<string, string> }
  >()
  readonly violations: AuditViolation[] = []
  usageCount = 0
  settlements = 0
  #at: LedgerEventRecord | undefined

  flag(check: AuditCheck, message: string): void {
    this.violations.push({ check, message, ...(this.#at && { cursor: this.#at.cursor, txId: this.#at.txId }) })
  }

  apply(rec: LedgerEventRecord, index: number): void {
    this.#at = rec
    try {
      r.event.check(rec.event, 'event')
    } catch {
      this.flag('EVENT_MALFORMED', `event ${rec.cursor} does not decode as a Datapact event`)
      return
    }
    const e = rec.event
    if (e.type !== 'ConsortiumBootstrapped' && !this.settings) this.flag('BOOTSTRAP', `${e.type} before the bootstrap`)
    this.#apply(e, rec, index)
  }

  #member(id: MemberId): Member | undefined {
    const m = this.members.get(id)
    return m?.status === 'active' ? m : undefined
  }

  #requireCaller(rec: LedgerEventRecord, role?: Member['roles'][number]): Member | undefined {
    const m = this.#member(rec.caller)
    if (!m) this.flag('MEMBERSHIP', `${rec.caller} acted without being an active member`)
    else if (role && !m.roles.includes(role)) this.flag('AUTHORITY', `${rec.caller} acted as ${role} without the role`)
    return m
  }

  #owner(rec: LedgerEventRecord, datasetId: DatasetId): Dataset | undefined {
    const ds = this.datasets.get(datasetId)
    if (!ds) this.flag('STATE', `event on unknown dataset ${datasetId}`)
    else if (ds.owner !== rec.caller)
      this.flag('AUTHORITY', `${rec.caller} changed dataset ${datasetId} it does not own`)
    return ds
  }

  #apply(e: LedgerEvent, rec: LedgerEventRecord, index: number): void {
    switch (e.type) {
      case 'ConsortiumBootstrapped':
        if (index !== 0 || this.settings) this.flag('BOOTSTRAP', 'the consortium was bootstrapped twice or late')
        if (e.admin !== rec.caller) this.flag('BOOTSTRAP', 'the bootstrap admin is not the caller')
        this.settings = e.settings
        return
      case 'SettingsUpdated':
        this.#requireCaller(rec, 'admin')
        this.settings = e.settings
        return
      case 'MemberAdmitted':
        this.#requireCaller(rec, 'admin')
        this.admissions.set(e.member, e.roles)
        return
      case 'MemberJoined': {
        if (e.member !== rec.caller) this.flag('MEMBERSHIP', `${rec.caller} joined as ${e.member}`)
        if (this.#member(e.member)) this.flag('MEMBERSHIP', `${e.member} joined twice`)
        const bootstrap = index === 1 && this.members.size === 0
        if (!bootstrap && e.roles.includes('admin') && this.settings?.admission !== 'admin')
          this.flag('AUTHORITY', `${e.member} gave itself the admin role`)
        if (!bootstrap && this.settings?.admission === 'admin') {
          const admitted = this.admissions.get(e.member)
          if (!admitted || !sameBytes(r.roles, admitted, e.roles))
            this.flag('MEMBERSHIP', `${e.member} joined without an admission for these roles`)
          this.admissions.delete(e.member)
        }
        this.members.set(e.member, {
          id: e.member,
          name: e.name,
          roles: e.roles,
          envelopeKey: e.envelopeKey,
          status: 'active',
          joinedAt: rec.at,
        })
        return
      }
      case 'MemberRolesChanged': {
        this.#requireCaller(rec, 'admin')
        const m = this.members.get(e.member)
        if (m) this.members.set(e.member, { ...m, roles: e.roles })
        else this.flag('STATE', `roles changed for unknown member ${e.member}`)
        return
      }
      case 'EnvelopeKeyRotated':
      case 'MemberLeft': {
        if (e.member !== rec.caller) this.flag('AUTHORITY', `${rec.caller} changed member ${e.member}`)
        const m = this.members.get(e.member)
        if (!m) {
          this.flag('STATE', `unknown member ${e.member}`)
          return
        }
        this.members.set(
          e.member,
          e.type === 'MemberLeft' ? { ...m, status: 'left' } : { ...m, envelopeKey: e.envelopeKey },
        )
        return
      }
      case 'DatasetRegistered': {
        this.#requireCaller(rec, 'provider')
        const ds = e.dataset
        if (ds.owner !== rec.caller) this.flag('AUTHORITY', `dataset ${ds.id} registered for another owner`)
        if (this.datasets.has(ds.id)) this.flag('STATE', `dataset ${ds.id} registered twice`)
        if (ds.latestVersion !== 0 || ds.grantCount !== 0) this.flag('STATE', `dataset ${ds.id} registered non-empty`)
        this.datasets.set(ds.id, ds)
        return
      }
      case 'DatasetUpdated': {
        const ds = this.#owner(rec, e.datasetId)
        if (ds) this.datasets.set(ds.id, datasetAfter(ds, e)!)
        return
      }
      case 'DatasetRetired': {
        const ds = this.#owner(rec, e.datasetId)
        if (ds) this.datasets.set(ds.id, datasetAfter(ds, e)!)
        return
      }
      case 'VersionPublished': {
        const v = e.version
        const ds = this.#owner(rec, v.datasetId)
        if (!ds) return
        if (v.number !== ds.latestVersion + 1 || v.previous !== ds.latestVersion)
          this.flag('VERSION_SEQUENCE', `version ${v.number} of ${ds.id} follows ${ds.latestVersion}`)
        if (v.publisher !== rec.caller)
          this.flag('AUTHORITY', `version ${v.number} of ${ds.id} names another publisher`)
        if (v.chunkCount !== chunkCountOf(v.size, v.chunkSize))
          this.flag('PAYLOAD', `version ${v.number} of ${ds.id} has ${v.chunkCount} chunks for ${v.size} bytes`)
        const entitled = this.#entitled(ds, v.number, rec.at)
        if (entitled.join() !== [...e.wrappedFor].sort().join())
          this.flag('KEY_WRAPS', `version ${v.number} of ${ds.id} was wrapped for [${e.wrappedFor}], not [${entitled}]`)
        this.versions.set(`${ds.id}/${v.number}`, v)
        this.datasets.set(ds.id, datasetAfter(ds, e)!)
        return
      }
      case 'AccessGranted': {
        const g = e.grant
        const ds = this.#owner(rec, g.datasetId)
        if (!ds) return
        // The rule's own check (granteeRefusal): one definition of who may hold a grant.
        const refusal = granteeRefusal(ds, g.grantee, this.#member(g.grantee))
        if (refusal) this.flag('GRANT', `grant to ${g.grantee}: ${refusal.message}`)
        const previous = this.grants.get(`${ds.id}/${g.grantee}`)
        if (previous && inForce(previous, rec.at))
          this.flag('GRANT', `second grant in force to ${g.grantee} on ${ds.id}`)
        if (g.seq !== ds.grantCount + 1 || g.used !== 0 || g.state !== 'active' || g.lastUsedAt !== null)
          this.flag('GRANT', `grant ${g.seq} on ${ds.id} is not a fresh grant`)
        if (!samePinnedTerms(g.terms, pinTerms(ds.terms)))
          this.flag('GRANT', `grant ${g.seq} on ${ds.id} pins other terms than the dataset's`)
        const covered: number[] = []
        for (let n = 1; n <= ds.latestVersion; n++) if (covers(g.scope, n)) covered.push(n)
        if (covered.join() !== e.wrappedVersions.join())
          this.flag('KEY_WRAPS', `grant ${g.seq} on ${ds.id} wrapped versions [${e.wrappedVersions}], not [${covered}]`)
        this.grants.set(grantKey(ds.id, g.grantee), grantAfter(previous, e, rec.at)!)
        this.datasets.set(ds.id, datasetAfter(ds, e)!)
        return
      }
      case 'KeysWrapped': {
        const ds = this.#owner(rec, e.datasetId)
        if (!ds) return
        for (const n of e.versions)
          if (!this.#entitled(ds, n, rec.at).includes(e.member))
            this.flag(
              'KEY_WRAPS',
              `the key of version ${n} of ${ds.id} was wrapped for ${e.member}, who is not entitled`,
            )
        return
      }
      case 'AccessRevoked': {
        this.#owner(rec, e.datasetId)
        const g = this.grants.get(`${e.datasetId}/${e.grantee}`)
        if (g?.state !== 'active' || g.seq !== e.seq) {
          this.flag('GRANT', 'revocation of a grant not active')
          return
        }
        this.grants.set(grantKey(e.datasetId, e.grantee), grantAfter(g, e, rec.at)!)
        return
      }
      case 'UsageRecorded':
        this.#usage(e, rec)
        return
      case 'TermsAccepted': {
        const g = this.grants.get(`${e.datasetId}/${e.grantee}`)
        const ds = this.datasets.get(e.datasetId)
        if (e.grantee !== rec.caller) this.flag('AUTHORITY', `${rec.caller} accepted terms for ${e.grantee}`)
        if (!g || !ds || g.seq !== e.seq || !inForce(g, rec.at)) {
          this.flag('GRANT', `terms accepted for grant ${e.seq} on ${e.datasetId}, which is not in force`)
          return
        }
        if (!samePinnedTerms(pinTerms(ds.terms), e.terms))
          this.flag('GRANT', `terms accepted for grant ${e.seq} on ${ds.id} are not the dataset's terms`)
        this.grants.set(grantKey(e.datasetId, e.grantee), grantAfter(g, e, rec.at)!)
        return
      }
      case 'StatementAcknowledged':
      case 'StatementSettled': {
        if (
          e.type === 'StatementAcknowledged' &&
          (e.party !== rec.caller || (e.party !== e.provider && e.party !== e.consumer))
        )
          this.flag('AUTHORITY', `${rec.caller} acknowledged a statement it is not a party to`)
        const key = totalsKey(e.provider, e.consumer, e.period, e.currency)
        const t = this.totals.get(key)
        const s = this.settled.get(key) ?? { statements: 0, closedCount: 0, closedAmount: 0n, acks: new Map() }
        this.settled.set(key, s)
        const open = { amount: (t?.amount ?? 0n) - s.closedAmount, count: (t?.count ?? 0) - s.closedCount }
        if (open.amount !== e.amount || open.count !== e.count || e.count === 0)
          this.flag(
            'SETTLEMENT',
            `${e.type} for ${e.amount} (${e.count}) but the open records total ${open.amount} (${open.count})`,
          )
        const ack = `${bytesToHex(e.digest)}/${e.amount}/${e.count}`
        if (e.type === 'StatementAcknowledged') {
          s.acks.set(e.party, ack)
          return
        }
        const st = buildStatement(
          { provider: e.provider, consumer: e.consumer, period: e.period, currency: e.currency },
          (this.settings ?? DEFAULT_SETTINGS).periodSeconds,
          this.records.get(key) ?? [],
          s,
        )
        this.settlements++
        if (e.sequence !== s.statements + 1)
          this.flag('SETTLEMENT', `statement ${e.sequence} settled after ${s.statements} statements`)
        if (!equalBytes(st.digest, e.digest))
          this.flag('SETTLEMENT', `settled digest ${bytesToHex(e.digest)} is not the statement of the records`)
        if (s.acks.get(e.provider) !== ack || s.acks.get(e.consumer) !== ack)
          this.flag('SETTLEMENT', `statement ${e.sequence} settled without both parties acknowledging it`)
        s.statements++
        s.closedCount += e.count
        s.closedAmount += e.amount
        s.acks.clear()
        return
      }
      case 'PayloadStored':
        this.#requireCaller(rec, 'provider')
        return
    }
  }

  #entitled(ds: Dataset, n: number, at: number): MemberId[] {
    return keyRecipients({
      owner: ds.owner,
      regulatorEscrow: this.settings?.regulatorEscrow,
      grants: [...this.grants.values()].filter(g => g.datasetId === ds.id),
      version: n,
      now: at,
      isActiveMember: id => this.#member(id) !== undefined,
    })
  }

  #usage(e: Extract<LedgerEvent, { type: 'UsageRecorded' }>, rec: LedgerEventRecord): void {
    const u = e.record
    this.usageCount++
    const where = `usage ${u.nonce} of ${u.datasetId} v${u.version}`
    if (u.consumer !== rec.caller) this.flag('AUTHORITY', `${where} recorded by ${rec.caller} for ${u.consumer}`)
    if (u.at !== rec.at) this.flag('STATE', `${where} is dated ${u.at}, its transaction ${rec.at}`)
    const ds = this.datasets.get(u.datasetId)
    const v = this.versions.get(`${u.datasetId}/${u.version}`)
    const g = this.grants.get(`${u.datasetId}/${u.consumer}`)
    if (!ds || !v) {
      this.flag('USAGE_OUTSIDE_GRANT', `${where}: no such dataset version`)
      return
    }
    if (u.provider !== ds.owner) this.flag('STATE', `${where} names provider ${u.provider}, not the owner`)
    if (!g || g.seq !== u.grantSeq || !entitles(g, u.version, u.at))
      this.flag('USAGE_OUTSIDE_GRANT', `${where} is outside a grant in force`)
    else {
      if (quotaExhausted(g)) this.flag('QUOTA', `${where} exceeds the quota of ${g.maxAccesses}`)
      const expected = priceOf(g, v.size)
      if (u.amount !== expected || u.bytes !== v.size || u.currency !== g.terms.currency)
        this.flag(
          'AMOUNT',
          `${where} charged ${u.amount} ${u.currency} for ${u.bytes} bytes; the grant's terms give ${expected} ${g.terms.currency} for ${v.size}`,
        )
      try {
        checkUsageTime(g, u.at)
      } catch {
        this.flag('STATE', `${where} is dated before its grant or the grant's last usage`)
      }
      this.grants.set(grantKey(u.datasetId, u.consumer), grantAfter(g, e, rec.at)!)
    }
    if (u.period !== periodOf(u.at, (this.settings ?? DEFAULT_SETTINGS).periodSeconds))
      this.flag('STATE', `${where} is filed in the wrong period`)
    const nonceKey = `${u.consumer}/${u.nonce}`
    if (this.nonces.has(nonceKey)) this.flag('NONCE', `${where} reuses a nonce`)
    this.nonces.add(nonceKey)
    const key = totalsKey(u.provider, u.consumer, u.period, u.currency)
    const t = this.totals.get(key) ?? {
      provider: u.provider,
      consumer: u.consumer,
      period: u.period,
      currency: u.currency,
      count: 0,
      bytes: 0,
      amount: 0n,
    }
    this.totals.set(key, { ...t, count: t.count + 1, bytes: t.bytes + u.bytes, amount: t.amount + u.amount })
    const list = this.records.get(key)
    if (list) list.push(u)
    else this.records.set(key, [u])
  }
}

function sameBytes<T>(schema: Schema<T>, a: T, b: T): boolean {
  return equalBytes(encode(schema, a), encode(schema, b))
}

/**
 * Replays every event from this member's node, checks every invariant, and compares the replayed state with the
 * state the ledger serves.
 */
export async function verifyLedger(
  ctx: ClientContext,
  options: AuditOptions = {},
  progress: AuditProgress = newAuditProgress(),
): Promise<AuditReport> {
  const { replay } = progress
  const from = progress.events
  for (;;) {
    throwIfAborted(options.signal, 'audit')
    const page = await ctx.ledger.readEvents({ after: progress.cursor, limit: 5000 })
    if (page.events.length === 0 || page.cursor === null) break
    for (const e of page.events) replay.apply(e, progress.events++)
    progress.cursor = page.cursor
  }
  // The history's violations stay with the model; the state and payload checks are made afresh on every call.
  const violations = [...replay.violations]
  const state = (check: AuditCheck, message: string): void => {
    violations.push({ check, message })
  }
  const compare = <T>(schema: Schema<T>, what: string, ledger: T | null, replayed: T | undefined): void => {
    if (!ledger && !replayed) return
    if (!ledger) state('STATE', `${what} is in the history but not in the ledger state`)
    else if (!replayed) state('STATE', `${what} is in the ledger state without any event`)
    else if (!sameBytes(schema, ledger, replayed))
      state('STATE', `${what} in the ledger state differs from its history`)
  }

  const [members, datasets, grants] = await Promise.all([
    ctx.ledger.query('listMembers', {}),
    ctx.ledger.query('listDatasets', { owner: null, tag: null, listedOnly: false }),
    ctx.ledger.query('listGrants', { datasetId: null, grantee: null }),
  ])
  const byId = <T, K extends string>(xs: T[], id: (x: T) => K) => new Map(xs.map(x => [id(x), x]))
  const ledgerMembers = byId(members, m => m.id)
  for (const id of new Set([...ledgerMembers.keys(), ...replay.members.keys()]))
    compare(r.member, `member ${id}`, ledgerMembers.get(id) ?? null, replay.members.get(id))
  const ledgerDatasets = byId(datasets, d => d.id)
  for (const id of new Set([...ledgerDatasets.keys(), ...replay.datasets.keys()]))
    compare(r.dataset, `dataset ${id}`, ledgerDatasets.get(id) ?? null, replay.datasets.get(id))
  const ledgerGrants = byId(grants, (g): string => `${g.datasetId}/${g.grantee}`)
  for (const id of new Set([...ledgerGrants.keys(), ...replay.grants.keys()]))
    compare(r.grant, `grant ${id}`, ledgerGrants.get(id) ?? null, replay.grants.get(id))
  let versions = 0
  let payloadsChecked = 0
  let plaintextsChecked = 0
  for (const id of replay.datasets.keys()) {
    const ledgerVersions = byId(
      await ctx.ledger.query('listVersions', { datasetId: id }),
      (v): string => `${v.datasetId}/${v.number}`,
    )
    for (const k of new Set([
      ...ledgerVersions.keys(),
      ...[...replay.versions.keys()].filter(k => k.startsWith(`${id}/`)),
    ])) {
      versions++
      compare(r.version, `version ${k}`, ledgerVersions.get(k) ?? null, replay.versions.get(k))
    }
  }
  for (const t of replay.totals.values()) {
    const key = { provider: t.provider, consumer: t.consumer, period: t.period, currency: t.currency }
    compare(
      r.totals,
      `totals ${t.provider}/${t.consumer}/${t.period}/${t.currency}`,
      await ctx.ledger.query('getTotals', key),
      t,
    )
  }
  if (options.payloads)
    for (const v of replay.versions.values()) {
      throwIfAborted(options.signal, 'audit')
      const verdict = await checkPayload(ctx, v, replay)
      if (verdict.problem) state('PAYLOAD', verdict.problem)
      if (verdict.checked) payloadsChecked++
      if (verdict.decrypted) plaintextsChecked++
    }
  return {
    ok: violations.length === 0,
    events: progress.events,
    eventsChecked: progress.events - from,
    cursor: progress.cursor,
    datasets: replay.datasets.size,
    versions,
    grants: replay.grants.size,
    usageRecords: replay.usageCount,
    settlements: replay.settlements,
    payloadsChecked,
    plaintextsChecked,
    violations,
  }
}

/** Re-reads one version's payload: Merkle root always, plaintext digest when this member holds an unmetered key. */
async function checkPayload(
  ctx: ClientContext,
  v: Version,
  replay: Replay,
): Promise<{ checked: boolean; decrypted: boolean; problem?: string }> {
  const store = ctx.stores.get(v.location.store)
  if (!store) return { checked: false, decrypted: false }
  const where = `the payload of ${v.datasetId} v${v.number}`
  try {
    await verifyCiphertext(store, v)
  } catch (e) {
    const problem = isDatapactError(e, 'INTEGRITY')
      ? `${where} does not match its Merkle root`
      : `${where} cannot be read from store ${v.location.store}`
    return { checked: true, decrypted: false, problem }
  }
  const owner = replay.datasets.get(v.datasetId)?.owner
  if (ctx.me !== owner && ctx.me !== replay.settings?.regulatorEscrow) return { checked: true, decrypted: false }
  let key: Uint8Array | null
  try {
    key = await unwrapOwnKey(ctx, v.datasetId, v.number, true)
  } catch {
    return { checked: true, decrypted: false, problem: `the key of ${v.datasetId} v${v.number} does not open` }
  }
  if (!key) return { checked: true, decrypted: false }
  try {
    const expected = { plaintextDigest: v.plaintextDigest, plaintextSize: v.size, chunkCount: v.chunkCount }
    const plaintext = decryptChunks({
      key,
      header: v.header,
      chunks: store.get(v.location.address, v.chunkCount),
      expected,
    })
    for await (const _piece of plaintext) {
      // Discarded: the decryptor checks digest, size and count against the ledger before its last piece.
    }
    return { checked: true, decrypted: true }
  } catch {
    return { checked: true, decrypted: true, problem: `${where} does not decrypt to its plaintext digest` }
  } finally {
    key.fill(0)
  }
}
