import { readFileSync } from 'node:fs'
import { toDatasetId, toDigest, toMemberId, toNonce } from '@datapact/core'
import { getBytes, hexlify, keccak256 } from 'ethers'
import { describe, expect, it } from 'vitest'
import { currencyToBytes8, encodeUsage, metadataHash, toLedgerEvents, versionInfoHash } from '../src/codec.js'

/**
 * Known-answer vectors of the EVM encodings (test/vectors/evm.json, specified in docs/format.md §10): the codec
 * produces and reads these words, and the words are recomputed here from the specification's arithmetic.
 */
const v = JSON.parse(readFileSync(new URL('./vectors/evm.json', import.meta.url), 'utf8')) as {
  recordUsage: {
    consumer: string
    provider: string
    grantSeq: number
    currency: string
    period: number
    at: number
    records: { datasetId: string; version: number; bytes: number; amount: string; nonce: string; wrapHash: string }[]
    datasetIds: string[]
    wrapHashes: string[]
    claims: string[]
  }
  currencyBytes8: { code: string; bytes8: string }
  metadataHash: {
    metadata: { title: string; description: string; tags: string[]; mediaType: string; schema: string }
    licence: string
    hash: string
  }
  versionInfoHash: { header: string; store: string; address: string; hash: string }
  statementKey: { provider: string; consumer: string; period: number; currency: string; key: string }
}

const word = (n: bigint) => n.toString(16).padStart(64, '0')
const records = v.recordUsage.records.map(r => ({
  ...r,
  datasetId: toDatasetId(r.datasetId),
  nonce: toNonce(r.nonce),
  amount: BigInt(r.amount),
  wrapHash: toDigest(getBytes(r.wrapHash)),
}))

describe('EVM format vectors', () => {
  it('recordUsage: datasets sorted, wrap hashes in first-use order, two claim words per record', () => {
    const ids = [...new Set(records.map(r => r.datasetId))].sort()
    expect(ids.map(id => `0x${id}`)).toEqual(v.recordUsage.datasetIds)
    const wraps = [...new Set(v.recordUsage.records.map(r => r.wrapHash))]
    expect(wraps).toEqual(v.recordUsage.wrapHashes)
    // claims[2i] = nonce << 128 | amount; claims[2i+1] = wrapIndex << 128 | datasetIndex << 96 | version << 64 | bytes
    const spec = records.flatMap(r => [
      (BigInt(`0x${r.nonce}`) << 128n) | r.amount,
      (BigInt(wraps.indexOf(hexlify(r.wrapHash))) << 128n) |
        (BigInt(ids.indexOf(r.datasetId)) << 96n) |
        (BigInt(r.version) << 64n) |
        BigInt(r.bytes),
    ])
    expect(spec.map(c => `0x${word(c)}`)).toEqual(v.recordUsage.claims)
    const [datasetIds, wrapHashes, claims] = encodeUsage({ records })
    expect([datasetIds, wrapHashes]).toEqual([v.recordUsage.datasetIds, v.recordUsage.wrapHashes])
    expect(claims.map(c => `0x${word(c)}`)).toEqual(v.recordUsage.claims)
  })

  it('UsageRecorded: the context word provider << 96 | grantSeq << 64 | currency rebuilds every record', () => {
    const u = v.recordUsage
    const currency = BigInt(v.currencyBytes8.bytes8)
    const context = u.datasetIds.map(() => (BigInt(u.provider) << 96n) | (BigInt(u.grantSeq) << 64n) | currency)
    const claims = u.claims.map(c => BigInt(c))
    // The event's arguments by name, as the decoder gives them.
    const args = {
      consumer: toMemberId(u.consumer),
      period: BigInt(u.period),
      at: BigInt(u.at),
      datasetIds: u.datasetIds,
      context,
      wrapHashes: u.wrapHashes,
      claims,
    }
    const { events, caller } = toLedgerEvents('UsageRecorded', args)
    expect(caller).toBe(u.consumer)
    expect(events).toEqual(
      records.map(r => ({
        type: 'UsageRecorded',
        record: {
          ...r,
          consumer: u.consumer,
          provider: u.provider,
          currency: u.currency,
          period: u.period,
          at: u.at,
          grantSeq: u.grantSeq,
        },
      })),
    )
  })

  it('currencies are bytes8: ASCII, left-aligned, zero-padded', () => {
    const { code, bytes8 } = v.currencyBytes8
    expect(`0x${Buffer.from(code, 'latin1').toString('hex').padEnd(16, '0')}`).toBe(bytes8)
    expect(currencyToBytes8(code)).toBe(bytes8)
  })

  it('statement key = keccak256(abi.encode(address provider, address consumer, uint256 period, bytes8 currency))', () => {
    const k = v.statementKey
    const encoded =
      word(BigInt(k.provider)) +
      word(BigInt(k.consumer)) +
      word(BigInt(k.period)) +
      Buffer.from(k.currency, 'latin1').toString('hex').padEnd(64, '0')
    expect(keccak256(`0x${encoded}`)).toBe(k.key)
  })

  it('storage hashes: dataset infoHash and version infoHash', () => {
    const m = v.metadataHash
    expect(metadataHash(m.metadata, m.licence)).toBe(m.hash)
    const h = v.versionInfoHash
    expect(versionInfoHash(Buffer.from(h.header, 'hex'), h.store, h.address)).toBe(h.hash)
  })
})
