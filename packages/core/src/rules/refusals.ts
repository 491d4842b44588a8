import type { DatapactErrorCode } from '../errors.js'
import type { WriteRuleName } from './index.js'

/**
 * One way a write rule refuses a call: the error code, and the condition in the words of docs/rules.md (empty when
 * the code says it all, as `ACCESS_DENIED` for a caller without the right role).
 */
export interface Refusal {
  /** Stable id, `<the row's first rule>.<name>`: what a conformance case names to say it checks this refusal. */
  readonly id: string
  /** The code the ledger refuses with. */
  readonly code: DatapactErrorCode
  /** When, as the doc says it. */
  readonly when: string
}

/** One row of the "Writes" table: the rules it describes, who may call them, and their refusals in order. */
export interface WriteRefusals {
  /** The rules of the row (two when they share who and refusals: `updateDataset`, `retireDataset`). */
  readonly rules: readonly WriteRuleName[]
  /** Said after the rule names in the doc, as `(1–1000, all or nothing)`. */
  readonly qualifier?: string
  /** Who may call the rules. */
  readonly who: string
  /** The refusals, in the order the doc lists them. */
  readonly refusals: readonly Refusal[]
  /** What the rule does without refusing, said after the refusals (a repeated call that changes nothing). */
  readonly note?: string
}

/**
 * The refusals of every write rule, as docs/rules.md lists them in its "Writes" table (the table is rendered from
 * this constant, and a test fails when they differ). Each refusal is checked on every ledger by a case of the
 * conformance suite that names its id.
 */
export const WRITE_REFUSALS = [
  {
    rules: ['joinConsortium'],
    who: 'anyone (the genesis admin fixed at deployment bootstraps — or, where none is fixed, the first caller — and becomes admin; may pass settings)',
    refusals: [
      { id: 'joinConsortium.member', code: 'CONFLICT', when: 'already a member' },
      {
        id: 'joinConsortium.denied',
        code: 'ACCESS_DENIED',
        when: 'bootstrapping when not the genesis admin, asking for admin, or not admitted under `admin` admission',
      },
      {
        id: 'joinConsortium.input',
        code: 'INVALID_INPUT',
        when: 'settings after bootstrap, a small-order envelope key',
      },
    ],
  },
  {
    rules: ['admitMember'],
    who: 'admin',
    refusals: [
      { id: 'admitMember.notAdmin', code: 'ACCESS_DENIED', when: '' },
      { id: 'admitMember.member', code: 'CONFLICT', when: 'already a member' },
    ],
  },
  {
    rules: ['setMemberRoles'],
    who: 'admin',
    refusals: [
      { id: 'setMemberRoles.notAdmin', code: 'ACCESS_DENIED', when: '' },
      { id: 'setMemberRoles.notMember', code: 'NOT_FOUND', when: '' },
      { id: 'setMemberRoles.ownAdmin', code: 'INVALID_INPUT', when: "dropping one's own admin role" },
      { id: 'setMemberRoles.escrow', code: 'CONFLICT', when: "removing the escrow regulator's role" },
    ],
  },
  {
    rules: ['rotateEnvelopeKey'],
    who: 'the member',
    refusals: [
      { id: 'rotateEnvelopeKey.notMember', code: 'ACCESS_DENIED', when: 'not an active member' },
      { id: 'rotateEnvelopeKey.weakKey', code: 'INVALID_INPUT', when: 'a small-order envelope key' },
    ],
  },
  {
    rules: ['leaveConsortium'],
    who: 'the member',
    refusals: [{ id: 'leaveConsortium.governance', code: 'CONFLICT', when: 'the last admin, or the escrow regulator' }],
  },
  {
    rules: ['updateSettings'],
    who: 'admin',
    refusals: [
      { id: 'updateSettings.notAdmin', code: 'ACCESS_DENIED', when: '' },
      { id: 'updateSettings.escrow', code: 'INVALID_INPUT', when: 'escrow regulator not an active regulator' },
    ],
  },
  {
    rules: ['registerDataset'],
    who: 'provider',
    refusals: [
      { id: 'registerDataset.notProvider', code: 'ACCESS_DENIED', when: '' },
      { id: 'registerDataset.taken', code: 'CONFLICT', when: 'id taken' },
    ],
  },
  {
    rules: ['updateDataset', 'retireDataset'],
    who: 'owner',
    refusals: [
      { id: 'updateDataset.notOwner', code: 'ACCESS_DENIED', when: '' },
      { id: 'updateDataset.missing', code: 'NOT_FOUND', when: '' },
      { id: 'updateDataset.retired', code: 'CONFLICT', when: 'retired' },
    ],
  },
  {
    rules: ['storePayload'],
    who: "provider (the upload's starter)",
    refusals: [
      { id: 'storePayload.denied', code: 'ACCESS_DENIED', when: '' },
      { id: 'storePayload.order', code: 'CONFLICT', when: 'out of order or complete' },
    ],
  },
  {
    rules: ['publishVersion'],
    who: 'owner',
    refusals: [
      {
        id: 'publishVersion.shape',
        code: 'INVALID_INPUT',
        when: 'chunk count ≠ ⌈size / chunk size⌉ (checked first), a wrap that is not the 91-byte `DPKW` v1 envelope',
      },
      { id: 'publishVersion.notOwner', code: 'ACCESS_DENIED', when: '' },
      { id: 'publishVersion.sequence', code: 'CONFLICT', when: 'number ≠ latest + 1, or retired' },
      {
        id: 'publishVersion.wraps',
        code: 'INVALID_INPUT',
        when: 'wrap set ≠ entitled members (owner, escrow regulator, grants in force covering it), payload not fully on the ledger, size 0',
      },
    ],
  },
  {
    rules: ['grantAccess'],
    who: 'owner',
    refusals: [
      { id: 'grantAccess.notOwner', code: 'ACCESS_DENIED', when: '' },
      { id: 'grantAccess.inForce', code: 'CONFLICT', when: 'a grant in force, or retired' },
      {
        id: 'grantAccess.input',
        code: 'INVALID_INPUT',
        when: 'grantee not an active consumer, owner as grantee, expiry not in the future, wraps ≠ covered versions',
      },
    ],
  },
  {
    rules: ['addKeyWraps'],
    who: 'owner',
    refusals: [
      { id: 'addKeyWraps.notOwner', code: 'ACCESS_DENIED', when: '' },
      { id: 'addKeyWraps.noVersion', code: 'NOT_FOUND', when: 'version' },
      { id: 'addKeyWraps.notEntitled', code: 'INVALID_INPUT', when: 'member not entitled' },
    ],
  },
  {
    rules: ['revokeAccess'],
    who: 'owner',
    refusals: [
      { id: 'revokeAccess.notOwner', code: 'ACCESS_DENIED', when: '' },
      { id: 'revokeAccess.missing', code: 'NOT_FOUND', when: '' },
      { id: 'revokeAccess.revoked', code: 'CONFLICT', when: 'already revoked' },
    ],
  },
  {
    rules: ['acceptTerms'],
    who: 'the grantee',
    refusals: [
      { id: 'acceptTerms.notMember', code: 'ACCESS_DENIED', when: '' },
      { id: 'acceptTerms.missing', code: 'NOT_FOUND', when: 'dataset or grant' },
      { id: 'acceptTerms.revoked', code: 'GRANT_REVOKED', when: '' },
      { id: 'acceptTerms.expired', code: 'GRANT_EXPIRED', when: '' },
      { id: 'acceptTerms.changed', code: 'CONFLICT', when: "the dataset's terms are not the ones accepted" },
    ],
    note: 'The terms already pinned: no change, no event',
  },
  {
    rules: ['recordUsage'],
    qualifier: '(1–1000, all or nothing)',
    who: 'the consumer',
    refusals: [
      { id: 'recordUsage.noGrant', code: 'ACCESS_DENIED', when: 'no grant / version not covered' },
      { id: 'recordUsage.revoked', code: 'GRANT_REVOKED', when: '' },
      { id: 'recordUsage.expired', code: 'GRANT_EXPIRED', when: '' },
      { id: 'recordUsage.time', code: 'CONFLICT', when: 'ledger time before the grant or its last usage' },
      { id: 'recordUsage.quota', code: 'QUOTA_EXCEEDED', when: '' },
      { id: 'recordUsage.bytes', code: 'INVALID_INPUT', when: 'bytes ≠ version size' },
      { id: 'recordUsage.amount', code: 'AMOUNT_MISMATCH', when: '' },
      { id: 'recordUsage.nonce', code: 'NONCE_REUSED', when: '' },
    ],
  },
  {
    rules: ['acknowledgeStatement'],
    who: 'the provider or the consumer',
    refusals: [
      { id: 'acknowledgeStatement.party', code: 'ACCESS_DENIED', when: '' },
      { id: 'acknowledgeStatement.empty', code: 'INVALID_INPUT', when: 'an empty statement' },
      { id: 'acknowledgeStatement.totals', code: 'SETTLEMENT_MISMATCH', when: 'amount or count ≠ the open totals' },
    ],
    note: "This side's own acknowledgement again, or the statement last settled: no change, no event",
  },
] as const satisfies readonly WriteRefusals[]

/** The id of one refusal of {@link WRITE_REFUSALS}. */
export type RefusalId = (typeof WRITE_REFUSALS)[number]['refusals'][number]['id']

/** The refusals of {@link WRITE_REFUSALS} by id. */
export const REFUSALS: ReadonlyMap<RefusalId, Refusal> = /* @__PURE__ */ new Map(
  WRITE_REFUSALS.flatMap(row => row.refusals.map(r => [r.id, r] as const)),
)
