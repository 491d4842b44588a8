import { X509Certificate } from 'node:crypto'
import type { MemberId } from '@datapact/core'

// The member id of a Fabric identity. The chaincode and the client both compute it with this one function, so
// a member knows its own id before its first transaction and every endorsing peer derives the same id.

const maxMemberIdLength = 512
// RFC 3986 unreserved characters plus `@` pass through; every other UTF-8 byte is percent-encoded.
const unreserved = /^[A-Za-z0-9\-._~@]$/

/** Why a certificate has no member id; the caller decides the error code (INVALID_INPUT or ACCESS_DENIED). */
export class MemberIdError extends Error {
  override name = 'MemberIdError'
}

/**
 * The Datapact member id of a Fabric identity: `<mspId>/<CN>`, both parts percent-encoded (UTF-8) except for
 * `A-Z a-z 0-9 - . _ ~ @`, so the id is printable ASCII without spaces and `/` separates the two parts.
 *
 * Examples: `Org1MSP/alice`, `Org1MSP/admin@org1.example.com`, `Org2MSP/Alice%20Smith`.
 *
 * The CN is read from the certificate's subject with Node's X.509 parser (`toLegacyObject()`), which decodes the
 * attribute itself, not a printed form, so the result is the same on every Node version that runs the chaincode.
 * The subject must hold exactly one CN. Renewing a certificate with the same MSP and CN keeps the member id; the
 * consortium relies on each organisation's CA issuing a CN to one party only (Fabric CA enrolment ids are unique).
 * The chaincode also pins each id to the key and NodeOU roles of its first certificate: another certificate acts
 * as the member only after `FabricLedger.rotateCertificate`.
 *
 * @param mspId - the identity's MSP id, as in its `SerializedIdentity`
 * @param certificate - the identity's X.509 certificate, PEM or DER
 * @returns the member id
 * @throws {@link MemberIdError} when the certificate does not parse, has no single non-empty CN, or the id would
 *   exceed 512 characters
 */
export function memberIdOf(mspId: string, certificate: string | Uint8Array): MemberId {
  if (mspId.length === 0) throw new MemberIdError('the MSP id is empty')
  let subject: NodeJS.Dict<string | string[]>
  try {
    subject = new X509Certificate(
      typeof certificate === 'string' ? certificate : Buffer.from(certificate),
    ).toLegacyObject().subject
  } catch (cause) {
    throw new MemberIdError('the certificate does not parse as X.509', { cause })
  }
  const cn = subject.CN
  if (typeof cn !== 'string' || cn.length === 0)
    throw new MemberIdError('the certificate subject must have exactly one non-empty CN')
  const id = `${percentEncode(mspId)}/${percentEncode(cn)}`
  if (id.length > maxMemberIdLength)
    throw new MemberIdError(`the member id would exceed ${maxMemberIdLength} characters`)
  // Percent-encoding leaves printable ASCII without spaces, and the length is checked: a member id by construction.
  return id as MemberId
}

function percentEncode(text: string): string {
  let out = ''
  for (const char of text) {
    if (unreserved.test(char)) out += char
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
