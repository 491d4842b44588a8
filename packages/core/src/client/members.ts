import * as r from '../codec/records.js'
import { checkMemberKeys, type MemberKeys } from '../crypto/index.js'
import type { ConsortiumSettings, Member, MemberId, Role } from '../domain/index.js'
import { readOptions, readParams } from '../internal/assert.js'
import { type ClientContext, requireMember, settingsOf } from './context.js'
import { checkPage, type Page, type PageOptions, pageByKey, sortedBy } from './pages.js'

/** What `members.join()` asks for. */
export interface JoinParameters {
  /** Display name. */
  name: string
  /** Roles asked for (in an `admin`-admission consortium, the admitted roles apply instead). */
  roles: Role[]
  /** Only for the member that bootstraps the consortium; default open admission, no escrow, 30-day periods. */
  settings?: ConsortiumSettings
}

/** Members: join the consortium, admit others, change roles and settings. */
export class Members {
  readonly #ctx: ClientContext

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx
  }

  /**
   * Joins the consortium as this member, registering its envelope public key. The first member bootstraps the
   * consortium and becomes its admin.
   *
   * @returns The member as the ledger recorded it.
   * @throws {@link DatapactError} CONFLICT (already a member), ACCESS_DENIED (not admitted, or asking for admin),
   *   INVALID_INPUT.
   * @example
   * ```ts
   * await alice.members.join({ name: 'Alice Data Ltd', roles: ['provider'] })
   * ```
   */
  async join(given: JoinParameters): Promise<Member> {
    const params = readParams(given, 'params', ['name', 'roles', 'settings']) as JoinParameters
    await this.#ctx.ledger.submit('joinConsortium', {
      name: params.name,
      roles: params.roles,
      envelopeKey: this.#ctx.keys.envelope.publicKey,
      settings: params.settings ?? null,
    })
    return requireMember(this.#ctx, this.#ctx.me)
  }

  /**
   * This member as the ledger knows it, or null before joining.
   *
   * @returns The member record, or null.
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async me(): Promise<Member | null> {
    return this.#ctx.ledger.query('getMember', { member: this.#ctx.me })
  }

  /** A member by id. @throws {@link DatapactError} NOT_FOUND. */
  async get(member: MemberId): Promise<Member> {
    r.memberId.check(member, 'member')
    return requireMember(this.#ctx, member)
  }

  /**
   * Every member, active or not.
   *
   * @returns The member records.
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async list(): Promise<Member[]> {
    return this.#ctx.ledger.query('listMembers', {})
  }

  /**
   * One page of the members, active or not, ordered by id.
   *
   * @param options - `cursor` (from the previous page) and `limit` (1..1000, default 100).
   * @returns The page's members and the cursor of the next page (null on the last one).
   * @throws {@link DatapactError} INVALID_INPUT (a cursor that is not one this method returned, a limit outside
   *   1..1000), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   * @example
   * ```ts
   * const { items, cursor } = await alice.members.listPage({ limit: 50 })
   * ```
   */
  async listPage(options?: PageOptions): Promise<Page<Member>> {
    const o = readOptions(options, 'options', ['cursor', 'limit'])
    const page = checkPage(o.cursor, o.limit, 'options')
    const all = await this.#ctx.ledger.query('listMembers', {})
    return pageByKey(
      sortedBy(all, m => m.id),
      m => m.id,
      page,
      'options',
    )
  }

  /**
   * (Admin) admits a future member with the roles it will have when it joins.
   *
   * @param member - The future member's id.
   * @param roles - Its roles.
   * @throws {@link DatapactError} INVALID_INPUT (bad id or roles), ACCESS_DENIED (not an admin), CONFLICT
   *   (already a member), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async admit(member: MemberId, roles: Role[]): Promise<void> {
    await this.#ctx.ledger.submit('admitMember', { member, roles })
  }

  /**
   * (Admin) replaces a member's roles.
   *
   * @param member - The member.
   * @param roles - Its new roles.
   * @returns The updated member.
   * @throws {@link DatapactError} INVALID_INPUT (bad roles, or dropping one's own admin role), ACCESS_DENIED (not
   *   an admin), NOT_FOUND (no such member), CONFLICT (removing the escrow regulator's role), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async setRoles(member: MemberId, roles: Role[]): Promise<Member> {
    await this.#ctx.ledger.submit('setMemberRoles', { member, roles })
    return requireMember(this.#ctx, member)
  }

  /**
   * Registers a new envelope public key for this member. Versions published from now on are wrapped to it; keys
   * already wrapped stay wrapped to the old key (keep the old keys to read those versions). Open a new client with
   * `newKeys` to use it.
   *
   * @param newKeys - The member's new keys.
   * @returns The member with its new envelope key.
   * @throws {@link DatapactError} ACCESS_DENIED (not an active member), INVALID_INPUT.
   */
  async rotateEnvelopeKey(newKeys: MemberKeys): Promise<Member> {
    const keys = checkMemberKeys(newKeys, 'newKeys')
    await this.#ctx.ledger.submit('rotateEnvelopeKey', { envelopeKey: keys.envelope.publicKey })
    return requireMember(this.#ctx, this.#ctx.me)
  }

  /**
   * Leaves the consortium.
   *
   * @throws {@link DatapactError} ACCESS_DENIED (not a member), CONFLICT (the last admin, or the escrow
   *   regulator), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async leave(): Promise<void> {
    await this.#ctx.ledger.submit('leaveConsortium', {})
  }

  /**
   * The consortium settings.
   *
   * @returns Admission rule, regulator escrow and billing period length.
   * @throws {@link DatapactError} LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  settings(): Promise<ConsortiumSettings> {
    return settingsOf(this.#ctx)
  }

  /**
   * (Admin) replaces the consortium settings.
   *
   * @param settings - The new settings.
   * @returns The settings now in force.
   * @throws {@link DatapactError} INVALID_INPUT (bad settings, or an escrow that is not an active regulator),
   *   ACCESS_DENIED (not an admin), LEDGER_UNAVAILABLE when the ledger cannot be reached, CLOSED after `close()`.
   */
  async updateSettings(settings: ConsortiumSettings): Promise<ConsortiumSettings> {
    await this.#ctx.ledger.submit('updateSettings', { settings })
    return settingsOf(this.#ctx)
  }
}
