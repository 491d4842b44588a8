import { createHash, verify, X509Certificate } from 'node:crypto'
import { common, msp, peer } from '@hyperledger/fabric-protos'

// Parsing and checking of what clients send, as a Fabric peer's MSP and endorser do. TEST utility.

/** An organisation the test network trusts: its MSP id and the PEM certificate of its CA. */
export interface OrganisationConfig {
  readonly mspId: string
  readonly caCertPem: string
}

/** A deserialised creator: the MSP id and certificate from a `msp.SerializedIdentity`. */
export interface Creator {
  readonly mspId: string
  readonly certificate: X509Certificate
}

// Curve orders for the low-S rule that Fabric's MSP applies to ECDSA signatures.
const halfOrders: Readonly<Record<string, bigint>> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n,
  secp384r1: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n >> 1n,
}

/** Checks identities against the configured organisations, as the channel MSPs of a peer would. */
export class Membership {
  readonly #authorities = new Map<string, X509Certificate>()

  constructor(organisations: readonly OrganisationConfig[]) {
    for (const org of organisations) this.#authorities.set(org.mspId, new X509Certificate(org.caCertPem))
  }

  /** Decodes a serialised identity; throws when it is malformed or names an MSP the channel does not know. */
  deserialize(creatorBytes: Uint8Array): Creator {
    const identity = msp.SerializedIdentity.deserializeBinary(creatorBytes)
    const mspId = identity.getMspid()
    if (!this.#authorities.has(mspId)) throw new Error(`MSP ${mspId} is unknown`)
    return { mspId, certificate: new X509Certificate(Buffer.from(identity.getIdBytes_asU8())) }
  }

  /** True when the certificate is a current, non-CA certificate issued by the creator's organisation CA. */
  isValid(creator: Creator, now = new Date()): boolean {
    const ca = this.#authorities.get(creator.mspId)
    const cert = creator.certificate
    if (!ca || cert.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false
    return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo)
  }

  /** Deserialises, validates and checks the signature; throws the messages a Fabric peer uses on failure. */
  authenticate(creatorBytes: Uint8Array, data: Uint8Array, signature: Uint8Array, channelId: string): Creator {
    let creator: Creator
    try {
      creator = this.deserialize(creatorBytes)
    } catch {
      throw new Error(`access denied: channel [${channelId}] creator org unknown, creator is malformed`)
    }
    if (!this.isValid(creator) || !verifySignature(creator.certificate, data, signature)) {
      throw new Error(`access denied: channel [${channelId}] creator org [${creator.mspId}]`)
    }
    return creator
  }
}

/** Verifies a DER ECDSA-SHA256 signature (low-S only, as Fabric requires) or an Ed25519 signature. */
export function verifySignature(certificate: X509Certificate, data: Uint8Array, signature: Uint8Array): boolean {
  const key = certificate.publicKey
  if (key.asymmetricKeyType === 'ed25519') return verify(null, data, key, signature)
  const halfOrder = halfOrders[key.asymmetricKeyDetails?.namedCurve ?? '']
  const s = derSignatureS(signature)
  if (halfOrder === undefined || s === undefined || s > halfOrder) return false
  return verify('sha256', data, { key, dsaEncoding: 'der' }, signature)
}

// Reads S from SEQUENCE { INTEGER r, INTEGER s } with short-form lengths (all P-256/P-384 signatures).
function derSignatureS(der: Uint8Array): bigint | undefined {
  if (der[0] !== 0x30 || der[2] !== 0x02) return undefined
  const rLength = der[3] ?? 0
  const sAt = 4 + rLength
  if (der[sAt] !== 0x02) return undefined
  const sBytes = der.subarray(sAt + 2, sAt + 2 + (der[sAt + 1] ?? 0))
  return sBytes.length === 0 ? undefined : BigInt(`0x${Buffer.from(sBytes).toString('hex')}`)
}

/** The parts of a signed proposal that the endorser needs. */
export interface UnpackedProposal {
  readonly signedProposal: peer.SignedProposal
  readonly headerBytes: Uint8Array
  readonly channelHeader: common.ChannelHeader
  readonly signatureHeader: common.SignatureHeader
  readonly channelId: string
  readonly txId: string
  readonly chaincodeName: string
  readonly args: readonly Uint8Array[]
  /** The ChaincodeProposalPayload without its transient map: what goes into the transaction. */
  readonly payloadWithoutTransient: Uint8Array
  /** SHA-256 over channel header, signature header and payload without transient, as the peer computes it. */
  readonly proposalHash: Uint8Array
}

/** Decodes a signed proposal; throws when a part is missing or malformed. */
export function unpackProposal(signedProposal: peer.SignedProposal | undefined): UnpackedProposal {
  const proposalBytes = signedProposal?.getProposalBytes_asU8() ?? new Uint8Array()
  if (!signedProposal || proposalBytes.length === 0) throw new Error('a signed proposal is required')
  const proposal = peer.Proposal.deserializeBinary(proposalBytes)
  const headerBytes = proposal.getHeader_asU8()
  const header = common.Header.deserializeBinary(headerBytes)
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8())
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8())
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8())
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec()
  const chaincodeName = spec?.getChaincodeId()?.getName() ?? ''
  if (chaincodeName === '') throw new Error('no chaincode name is provided')
  const withoutTransient = new peer.ChaincodeProposalPayload()
  withoutTransient.setInput(payload.getInput_asU8())
  const payloadWithoutTransient = withoutTransient.serializeBinary()
  const proposalHash = createHash('sha256')
    .update(header.getChannelHeader_asU8())
    .update(header.getSignatureHeader_asU8())
    .update(payloadWithoutTransient)
    .digest()
  return {
    signedProposal,
    headerBytes,
    channelHeader,
    signatureHeader,
    channelId: channelHeader.getChannelId(),
    txId: channelHeader.getTxId(),
    chaincodeName,
    args: spec?.getInput()?.getArgsList_asU8() ?? [],
    payloadWithoutTransient,
    proposalHash,
  }
}

/** Validates a proposal as the endorser's preProcess does; throws the peer's messages. */
export function validateProposal(proposal: UnpackedProposal, membership: Membership, channel: string): Creator {
  const fail = (message: string) => new Error(`error validating proposal: ${message}`)
  if (proposal.channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) throw fail('invalid header type')
  if (proposal.channelHeader.getEpoch() !== 0) throw fail('epoch is non-zero')
  const nonce = proposal.signatureHeader.getNonce_asU8()
  const creatorBytes = proposal.signatureHeader.getCreator_asU8()
  if (nonce.length === 0) throw fail('nonce is empty')
  if (creatorBytes.length === 0) throw fail('creator is empty')
  const expectedTxId = computeTxId(nonce, creatorBytes)
  if (proposal.txId !== expectedTxId) {
    throw fail(`incorrectly computed txid '${proposal.txId}' -- expected '${expectedTxId}'`)
  }
  if (proposal.channelId !== channel) throw new Error(`channel '${proposal.channelId}' not found`)
  const signature = proposal.signedProposal.getSignature_asU8()
  if (signature.length === 0) throw fail('empty signature bytes')
  try {
    return membership.authenticate(creatorBytes, proposal.signedProposal.getProposalBytes_asU8(), signature, channel)
  } catch (error) {
    throw fail((error as Error).message)
  }
}

/** Fabric's transaction id: hex(SHA-256(nonce || creator)). */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex')
}

/** What the simulated chaincode produced, ready to be endorsed. */
export interface SimulationOutcome {
  readonly response: peer.Response
  readonly results: Uint8Array
  readonly event?: peer.ChaincodeEvent
}

/** The endorsing peer: its serialised identity and a signer over raw bytes. */
export interface Endorser {
  readonly creator: Uint8Array
  sign(data: Uint8Array): Promise<Uint8Array>
}

/**
 * Builds the prepared transaction envelope (unsigned, as the gateway returns it): Payload(header, Transaction(
 * ChaincodeActionPayload(payload without transient, ChaincodeEndorsedAction(ProposalResponsePayload, [endorsement])))).
 */
export async function prepareTransaction(
  proposal: UnpackedProposal,
  outcome: SimulationOutcome,
  endorser: Endorser,
  chaincodeVersion: string,
): Promise<common.Envelope> {
  const chaincodeId = new peer.ChaincodeID()
  chaincodeId.setName(proposal.chaincodeName)
  chaincodeId.setVersion(chaincodeVersion)
  const action = new peer.ChaincodeAction()
  action.setResults(outcome.results)
  if (outcome.event) action.setEvents(outcome.event.serializeBinary())
  action.setResponse(outcome.response)
  action.setChaincodeId(chaincodeId)
  const responsePayload = new peer.ProposalResponsePayload()
  responsePayload.setProposalHash(proposal.proposalHash)
  responsePayload.setExtension$(action.serializeBinary())
  const responsePayloadBytes = responsePayload.serializeBinary()

  const endorsement = new peer.Endorsement()
  endorsement.setEndorser(endorser.creator)
  endorsement.setSignature(await endorser.sign(concat(responsePayloadBytes, endorser.creator)))
  const endorsedAction = new peer.ChaincodeEndorsedAction()
  endorsedAction.setProposalResponsePayload(responsePayloadBytes)
  endorsedAction.setEndorsementsList([endorsement])
  const actionPayload = new peer.ChaincodeActionPayload()
  actionPayload.setChaincodeProposalPayload(proposal.payloadWithoutTransient)
  actionPayload.setAction(endorsedAction)
  const transactionAction = new peer.TransactionAction()
  transactionAction.setHeader(proposal.signatureHeader.serializeBinary())
  transactionAction.setPayload(actionPayload.serializeBinary())
  const transaction = new peer.Transaction()
  transaction.setActionsList([transactionAction])

  const payload = new common.Payload()
  payload.setHeader(common.Header.deserializeBinary(proposal.headerBytes))
  payload.setData(transaction.serializeBinary())
  const envelope = new common.Envelope()
  envelope.setPayload(payload.serializeBinary())
  return envelope
}

/** A submitted transaction, decoded down to what the committer validates. */
export interface UnpackedTransaction {
  readonly txId: string
  readonly channelId: string
  readonly creator: Uint8Array
  readonly payload: Uint8Array
  readonly signature: Uint8Array
  readonly responsePayload: Uint8Array
  readonly endorsements: readonly peer.Endorsement[]
  readonly action: peer.ChaincodeAction
}

/** Decodes an endorser transaction envelope; throws when it is not one. */
export function unpackTransaction(envelope: common.Envelope): UnpackedTransaction {
  const payloadBytes = envelope.getPayload_asU8()
  const payload = common.Payload.deserializeBinary(payloadBytes)
  const header = payload.getHeader()
  if (!header) throw new Error('missing header')
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8())
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) throw new Error('not an endorser transaction')
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8())
  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8())
  const first = transaction.getActionsList()[0]
  if (!first) throw new Error('transaction has no actions')
  const endorsed = peer.ChaincodeActionPayload.deserializeBinary(first.getPayload_asU8()).getAction()
  if (!endorsed) throw new Error('missing endorsed action')
  const responsePayload = endorsed.getProposalResponsePayload_asU8()
  const extension = peer.ProposalResponsePayload.deserializeBinary(responsePayload).getExtension_asU8()
  return {
    txId: channelHeader.getTxId(),
    channelId: channelHeader.getChannelId(),
    creator: signatureHeader.getCreator_asU8(),
    payload: payloadBytes,
    signature: envelope.getSignature_asU8(),
    responsePayload,
    endorsements: endorsed.getEndorsementsList(),
    action: peer.ChaincodeAction.deserializeBinary(extension),
  }
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}
