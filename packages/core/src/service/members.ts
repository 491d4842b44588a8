import type { Datapact, JoinParameters } from '../client/index.js'
import * as r from '../codec/records.js'
import type { Member } from '../domain/index.js'
import { isDatapactError } from '../errors.js'
import { describe, invalidArgument, readParams } from '../internal/assert.js'

/** What {@link ensureMember} returns. */
export interface EnsureMemberResult {
  /** The member as the ledger records it. */
  member: Member
  /** Whether this call joined (false when the member was already active). */
  joined: boolean
}

/**
 * Joins the consortium unless this client's member is already an active member: what a service does at start-up,
 * every time it starts. Idempotent, and safe when two instances start at once (the one that loses the race finds
 * the member joined). The parameters are checked whether or not a join is needed.
 *
 * @param client - An open client (its keys must already be the member's, which `Datapact.open` checks).
 * @param params - What `members.join()` takes: name, roles and, for the bootstrapping member, settings.
 * @returns The member and whether this call joined.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} INVALID_INPUT (not a client, malformed parameters); ACCESS_DENIED (not admitted, or
 *   asking for admin); LEDGER_UNAVAILABLE, CLOSED.
 * @example
 * ```ts
 * const { joined } = await ensureMember(client, { name: 'Analytics service', roles: ['consumer'] })
 * ```
 */
export async function ensureMember(client: Datapact, params: JoinParameters): Promise<EnsureMemberResult> {
  checkClient(client)
  const p = readParams(params, 'params', ['name', 'roles', 'settings'])
  r.memberName.check(p.name, 'params.name')
  r.roles.check(p.roles, 'params.roles')
  if (p.settings !== undefined) r.settings.check(p.settings, 'params.settings')
  const existing = await client.members.me()
  if (existing?.status === 'active') return { member: existing, joined: false }
  try {
    return { member: await client.members.join(p as JoinParameters), joined: true }
  } catch (e) {
    // Another instance of the service joined first.
    if (!isDatapactError(e, 'CONFLICT')) throw e
    const now = await client.members.me()
    if (now?.status !== 'active') throw e
    return { member: now, joined: false }
  }
}

function checkClient(client: unknown): void {
  let ok = false
  try {
    const members = (client as { members?: Record<string, unknown> } | null)?.members
    ok =
      typeof client === 'object' &&
      client !== null &&
      typeof members?.me === 'function' &&
      typeof members.join === 'function'
  } catch {
    throw invalidArgument('client', 'a Datapact client', 'a value that throws when read')
  }
  if (!ok) throw invalidArgument('client', 'a Datapact client', describe(client))
}
