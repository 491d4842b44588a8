import { readAllEvents } from '../client/events.js'
import { Datapact } from '../client/index.js'
import { generateMemberKeys, type MemberKeys } from '../crypto/index.js'
import type { ConsortiumSettings, DatasetId, Digest, MemberId, Nonce, Role, Terms } from '../domain/index.js'
import type { LedgerAdapter } from '../ledger/index.js'
import type { IndexStore } from '../ledgerIndex/index.js'
import type { WriteArgs } from '../rules/index.js'
import { MemoryPayloadStore } from '../stores/memoryStore.js'
import type { LedgerHarness } from './harness.js'

/** One member of a test world: its client, its raw ledger connection and its keys. */
export interface Party {
  client: Datapact
  ledger: LedgerAdapter
  keys: MemberKeys
  id: MemberId
}

/** A small consortium on a fresh ledger: a provider (the bootstrapping admin), two consumers, a regulator. */
export interface World {
  h: LedgerHarness
  provider: Party
  consumer: Party
  consumer2: Party
  regulator: Party
  /** An external payload store every party shares, which the tests may tamper with. */
  store: MemoryPayloadStore
  /** A new party on the same ledger that has not joined. */
  stranger(label?: string): Promise<Party>
}

/** The terms every conformance dataset is registered with: 100 minor units of CNY per access. */
export const TERMS: Terms = { pricePerAccess: 100n, pricePerByte: 0n, currency: 'CNY', licence: 'CC-BY-4.0' }

/** Deterministic test bytes: `n` bytes from a seed, cheap to compare. */
export function testBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed * 2654435761
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

/**
 * A member of the test world: fresh keys, a client on the harness's ledger and the shared payload store. It has not
 * joined yet.
 *
 * @param h - The ledger harness.
 * @param label - The member's label (the harness turns it into a ledger identity).
 * @param store - The shared payload store.
 * @param index - Opens the member-side index of the party's client (default: a memory index).
 * @returns The party.
 * @throws {@link @datapact/core!index.DatapactError | DatapactError} as `Datapact.open` does (INVALID_INPUT, LEDGER_UNAVAILABLE).
 */
export async function party(
  h: LedgerHarness,
  label: string,
  store: MemoryPayloadStore,
  index?: (label: string) => IndexStore,
): Promise<Party> {
  const ledger = await h.member(label)
  const keys = generateMemberKeys()
  const client = await Datapact.open({ ledger, keys, stores: [store], ...(index ? { index: index(label) } : {}) })
  return { client, ledger, keys, id: ledger.memberId }
}

/** Options of {@link world}. */
export interface WorldOptions {
  /** Consortium settings the provider bootstraps with. */
  settings?: ConsortiumSettings
  /** Roles the consumers join with (default `['consumer']`). */
  consumerRoles?: Role[]
  /** Opens each party's member-side index, by its label (default: a memory index per client). */
  index?: (label: string) => IndexStore
}

/** Builds the standard world; the provider joins first and so bootstraps the consortium as its admin. */
export async function world(h: LedgerHarness, options: WorldOptions = {}): Promise<World> {
  const store = new MemoryPayloadStore('shared')
  const provider = await party(h, 'provider', store, options.index)
  await provider.client.members.join({
    name: 'Provider Ltd',
    roles: ['provider'],
    ...(options.settings ? { settings: options.settings } : {}),
  })
  const consumer = await party(h, 'consumer', store, options.index)
  const consumer2 = await party(h, 'consumer2', store, options.index)
  const regulator = await party(h, 'regulator', store, options.index)
  await consumer.client.members.join({ name: 'Consumer One', roles: options.consumerRoles ?? ['consumer'] })
  await consumer2.client.members.join({ name: 'Consumer Two', roles: ['consumer'] })
  await regulator.client.members.join({ name: 'Regulator', roles: ['regulator'] })
  let n = 0
  return {
    h,
    provider,
    consumer,
    consumer2,
    regulator,
    store,
    stranger: (label = `stranger${++n}`) => party(h, label, store, options.index),
  }
}

/** A fingerprint of everything a ledger holds that a refused call must leave alone: the events so far. */
export async function eventCount(ledger: LedgerAdapter): Promise<number> {
  return (await readAllEvents(ledger)).length
}

/** A fresh random 16-byte nonce as hex. */
export function nonce(): Nonce {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('') as Nonce
}

/** 32 zero bytes: a placeholder digest (for a raw usage claim's wrap hash). */
export const ZERO32: Digest = /* @__PURE__ */ new Uint8Array(32) as Digest

/** A well-formed key-wrap envelope (the ledger checks only its shape) that opens for nobody; `fill` varies it. */
export function fakeWrap(fill = 0): Uint8Array {
  const w = new Uint8Array(91).fill(fill)
  w.set([0x44, 0x50, 0x4b, 0x57, 0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03])
  return w
}

/**
 * Arguments of a raw `publishVersion` call, for tests that write to a ledger without the client: version `number`
 * of `datasetId` with a key wrap for each of `members` (in that order). Fingerprints and header are stand-ins that
 * differ by version (the rules check their shape, not their content); `size`, `chunkSize` and `chunkCount` agree.
 *
 * @param datasetId - A registered dataset.
 * @param number - The version.
 * @param members - Who gets a (fake) key wrap: the owner, and each consumer holding a grant in force.
 * @param changes - Fields to replace.
 * @returns The arguments.
 */
export function versionArgs(
  datasetId: DatasetId,
  number: number,
  members: readonly MemberId[],
  changes: Partial<WriteArgs['publishVersion']> = {},
): WriteArgs['publishVersion'] {
  const fill = (n: number) => new Uint8Array(32).fill(n % 256) as Digest
  return {
    datasetId,
    number,
    plaintextDigest: fill(number),
    merkleRoot: fill(number + 100),
    size: 1000 * number,
    chunkSize: 1024,
    chunkCount: Math.ceil((1000 * number) / 1024),
    header: new Uint8Array(40).fill(number % 256),
    keyCommitment: fill(number + 200),
    location: { store: 'shared', address: `addr-${number}` },
    wraps: members.map((member, i) => ({ member, wrapped: fakeWrap(i + 1) })),
    ...changes,
  }
}
