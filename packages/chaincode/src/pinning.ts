import { createHash, X509Certificate } from 'node:crypto'
import type { Context } from 'fabric-contract-api'

// A member id is `<mspId>/<CN>`. Its first certificate pins it: the certificate's key and NodeOU roles (the
// subject's OU values, e.g. `client`, `admin`, `peer`). Another certificate with the same MSP and CN but another
// key or role does not act as that member; a new certificate takes over only through `rotateFabricCertificate`,
// signed by the pinned one. The pins live outside core's key space (core's keys never contain `~`), so the rules
// never see them.

/** State key prefix of the certificate pins. */
export const pinKeyPrefix = 'fabric~pin/'

/** The state key of a member's pin. */
export const pinKey = (memberId: string): string => `${pinKeyPrefix}${memberId}`

/**
 * The pin of a certificate: `v1;<sorted OU values, comma-separated>;<SHA-256 hex of the public key (SPKI DER)>`.
 *
 * @param certificate - PEM or DER
 * @returns the pin text
 * @throws Error when the certificate does not parse
 */
export function pinOf(certificate: string | Uint8Array): string {
  const x509 = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate))
  const ou = x509.toLegacyObject().subject.OU
  const roles = (ou === undefined ? [] : Array.isArray(ou) ? ou : [ou]).slice().sort()
  const key = createHash('sha256')
    .update(x509.publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
  return `v1;${roles.join(',')};${key}`
}

/** What {@link checkPin} found: whether the member is pinned yet, and the caller's pin. */
export interface PinCheck {
  readonly pinned: boolean
  readonly pin: string
}

/**
 * Checks the submitting certificate against the member's pin.
 *
 * @param ctx - the transaction context
 * @param memberId - the caller's member id
 * @returns whether a pin exists (it then matches) and the caller's pin
 * @throws Error `mismatch` when the member is pinned to another key or role
 */
export async function checkPin(ctx: Context, memberId: string): Promise<PinCheck & { mismatch: boolean }> {
  const pin = pinOf(ctx.clientIdentity.getIDBytes())
  const stored = await ctx.stub.getState(pinKey(memberId))
  if (stored.length === 0) return { pinned: false, pin, mismatch: false }
  return { pinned: true, pin, mismatch: Buffer.from(stored).toString('utf8') !== pin }
}

/** Writes the member's pin. */
export async function writePin(ctx: Context, memberId: string, pin: string): Promise<void> {
  await ctx.stub.putState(pinKey(memberId), Buffer.from(pin, 'utf8'))
}
