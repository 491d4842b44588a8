import { describe, expect, expectTypeOf, it } from 'vitest'
import type { Datapact } from '../client/index.js'
import type { DatasetId, Digest, MemberId, Nonce, UsageRecord } from '../domain/index.js'
import { isDatasetId, isDigest, isMemberId, isNonce, toDatasetId, toDigest, toMemberId, toNonce } from './ids.js'
import * as r from './records.js'

const DATASET = 'ab'.repeat(32)
const NONCE = '0f'.repeat(16)

describe('id constructors', () => {
  it('return the value unchanged (a plain string, or a copy of the bytes) when it is valid', () => {
    expect(toMemberId('Org1MSP/alice')).toBe('Org1MSP/alice')
    expect(toDatasetId(DATASET)).toBe(DATASET)
    expect(toNonce(NONCE)).toBe(NONCE)
    const bytes = new Uint8Array(32).fill(7)
    const digest = toDigest(bytes)
    expect(digest).toEqual(bytes)
    bytes[0] = 0
    expect(digest[0]).toBe(7)
    expect(JSON.stringify({ id: toDatasetId(DATASET) })).toBe(JSON.stringify({ id: DATASET }))
  })

  it.each([
    ['toMemberId', () => toMemberId(''), 'memberId'],
    ['toMemberId', () => toMemberId('has space'), 'memberId'],
    ['toMemberId', () => toMemberId('x'.repeat(513)), 'memberId'],
    ['toMemberId', () => toMemberId(42 as never, 'grantee'), 'grantee'],
    ['toDatasetId', () => toDatasetId('AB'.repeat(32)), 'datasetId'],
    ['toDatasetId', () => toDatasetId('ab'), 'datasetId'],
    ['toDatasetId', () => toDatasetId(null as never, 'id'), 'id'],
    ['toDigest', () => toDigest(new Uint8Array(31)), 'digest'],
    ['toDigest', () => toDigest('00'.repeat(32) as never, 'wrapHash'), 'wrapHash'],
    ['toNonce', () => toNonce('0F'.repeat(16)), 'nonce'],
    ['toNonce', () => toNonce(DATASET), 'nonce'],
  ])('%s refuses a malformed value with INVALID_INPUT naming the argument (%#)', (_, make, argument) => {
    expect(make).toThrow(expect.objectContaining({ name: 'DatapactError', code: 'INVALID_INPUT' }))
    try {
      make()
    } catch (e) {
      expect((e as { details: Record<string, unknown> }).details).toMatchObject({ argument })
    }
  })

  it('check exactly what the codec checks (one schema, not a copy)', () => {
    for (const v of ['mem:a', '', ' ', 'x'.repeat(512), 'x'.repeat(513), DATASET, 'é'])
      expect(isMemberId(v)).toBe(isValid(r.memberId, v))
    for (const v of [DATASET, DATASET.toUpperCase(), `${DATASET}0`, NONCE, 5])
      expect(isDatasetId(v)).toBe(isValid(r.datasetId, v))
    for (const v of [NONCE, NONCE.toUpperCase(), DATASET, undefined]) expect(isNonce(v)).toBe(isValid(r.nonce, v))
    for (const v of [new Uint8Array(32), new Uint8Array(33), [0], 'x']) expect(isDigest(v)).toBe(isValid(r.digest, v))
  })
})

const isValid = (schema: { check(v: unknown, path: string): unknown }, v: unknown) => {
  try {
    schema.check(v, 'v')
    return true
  } catch {
    return false
  }
}

describe('branded id types', () => {
  it('the constructors and guards produce the brands', () => {
    expectTypeOf(toMemberId).returns.toEqualTypeOf<MemberId>()
    expectTypeOf(toDatasetId).returns.toEqualTypeOf<DatasetId>()
    expectTypeOf(toDigest).returns.toEqualTypeOf<Digest>()
    expectTypeOf(toNonce).returns.toEqualTypeOf<Nonce>()
    expectTypeOf(isMemberId).guards.toEqualTypeOf<MemberId>()
    expectTypeOf(isDatasetId).guards.toEqualTypeOf<DatasetId>()
    expectTypeOf(isDigest).guards.toEqualTypeOf<Digest>()
    expectTypeOf(isNonce).guards.toEqualTypeOf<Nonce>()
    // A brand is still its base type: it goes wherever a string (or bytes) goes.
    expectTypeOf<MemberId>().toExtend<string>()
    expectTypeOf<Digest>().toExtend<Uint8Array>()
  })

  it('keeps the kinds apart: none is another, and a plain value is none of them', () => {
    expectTypeOf<DatasetId>().not.toExtend<MemberId>()
    expectTypeOf<MemberId>().not.toExtend<DatasetId>()
    expectTypeOf<Nonce>().not.toExtend<DatasetId>()
    expectTypeOf<DatasetId>().not.toExtend<Nonce>()
    expectTypeOf<Digest>().not.toExtend<Nonce>()
    expectTypeOf<string>().not.toExtend<MemberId>()
    expectTypeOf<Uint8Array>().not.toExtend<Digest>()
  })

  it('the API takes and gives the brands', () => {
    expectTypeOf<Datapact['memberId']>().toEqualTypeOf<MemberId>()
    expectTypeOf<Awaited<ReturnType<Datapact['datasets']['register']>>['id']>().toEqualTypeOf<DatasetId>()
    expectTypeOf<UsageRecord['nonce']>().toEqualTypeOf<Nonce>()
    expectTypeOf<UsageRecord['wrapHash']>().toEqualTypeOf<Digest>()
    expectTypeOf<Parameters<Datapact['grants']['grant']>>().toEqualTypeOf<
      [datasetId: DatasetId, grantee: MemberId, options?: Parameters<Datapact['grants']['grant']>[2]]
    >()
    // Never called: `tsc --noEmit` (pnpm typecheck) checks that each mix-up below is a compile error.
    const mixUps = (client: Datapact, member: MemberId, dataset: DatasetId, digest: Digest) => {
      // @ts-expect-error a dataset id where a member id goes
      client.grants.grant(dataset, dataset)
      // @ts-expect-error a member id where a dataset id goes
      client.grants.grant(member, member)
      // @ts-expect-error a plain string where a dataset id goes
      client.data.fetch('ab'.repeat(32))
      // @ts-expect-error a dataset id where a nonce goes
      client.data.fetch(dataset, { nonce: dataset })
      // @ts-expect-error a digest where a nonce goes
      client.usage.record([{ datasetId: dataset, version: 1, nonce: digest }])
      // @ts-expect-error plain bytes where a digest goes
      client.usage.record([{ datasetId: dataset, version: 1, wrapHash: new Uint8Array(32) }])
      // @ts-expect-error a dataset id where a member id goes
      client.billing.statement({ provider: dataset })
      // The constructors make the plain values acceptable.
      client.grants.grant(toDatasetId('ab'.repeat(32)), toMemberId('mem:bob'))
      client.data.fetch(dataset, { nonce: toNonce(NONCE) })
      client.usage.record([{ datasetId: dataset, version: 1, wrapHash: toDigest(new Uint8Array(32)) }])
    }
    expectTypeOf(mixUps).toBeFunction()
  })
})
