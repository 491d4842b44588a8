// Types under moduleResolution nodenext. The consumer check copies this file to types.mts (ESM side: import
// conditions, .d.ts) and to types.cts (CommonJS side: require conditions, .d.cts): one text, both resolutions.

import { EvmLedger } from '@datapact/adapter-evm'
import { type AnvilInstance, startAnvil } from '@datapact/adapter-evm/testing'
import { FabricLedger, type FabricLedgerOptions } from '@datapact/adapter-fabric'
import { createFabricHarness } from '@datapact/adapter-fabric/testing'
import { MemoryLedger } from '@datapact/adapter-memory'
import { DatapactContract, serializers } from '@datapact/chaincode'
import { memberIdOf } from '@datapact/chaincode/wire'
import {
  Datapact,
  type DatapactErrorCode,
  type DatasetId,
  generateMemberKeys,
  type LedgerAdapter,
  type MemberId,
  toDatasetId,
} from '@datapact/core'
import { decode, encode, records } from '@datapact/core/codec'
import { sha256 } from '@datapact/core/crypto'
import { DatapactError, isDatapactError } from '@datapact/core/errors'
import { executeRule } from '@datapact/core/rules'
import { httpStatusOf, toNodeReadable, toWebStream } from '@datapact/core/service'
import { type ConformanceRunner, describeLedgerConformance, type LedgerHarness } from '@datapact/core/testing'
import { PostgresIndexStore, type PostgresIndexStoreOptions } from '@datapact/index-postgres'
import { type PostgresServer, startPostgres } from '@datapact/index-postgres/testing'
import { SqliteIndexStore } from '@datapact/index-sqlite'
import { IpfsPayloadStore } from '@datapact/store-ipfs'
import { startKuboSwarm } from '@datapact/store-ipfs/testing'

const ledger: LedgerAdapter = new MemoryLedger().as('mem:alice')
const client: Promise<Datapact> = Datapact.open({ ledger, keys: generateMemberKeys() })
const digest: Uint8Array = sha256(new Uint8Array(0))
// One brand across the entry points: the codec's member id schema gives the root's MemberId.
const member: MemberId = records.memberId.check('mem:alice', 'member')
const datasetId: DatasetId = toDatasetId('ab'.repeat(32))
const wire: Uint8Array = encode(records.terms, { pricePerAccess: 1n, pricePerByte: 0n, currency: 'CNY', licence: '' })
const price: bigint = decode(records.terms, wire).pricePerAccess
const code: DatapactErrorCode | undefined = isDatapactError(new DatapactError('NOT_FOUND', 'x'))
  ? 'NOT_FOUND'
  : undefined
type Harness = LedgerHarness
declare const runner: ConformanceRunner
declare const options: FabricLedgerOptions
declare const anvil: AnvilInstance
declare const postgres: PostgresServer
const postgresOptions: PostgresIndexStoreOptions = { connection: 'postgres://localhost/x', prefix: 'alice_' }
export const all = [
  client,
  digest,
  member,
  datasetId,
  price,
  code,
  executeRule,
  httpStatusOf,
  toNodeReadable,
  toWebStream,
  describeLedgerConformance,
  runner,
  FabricLedger,
  options,
  DatapactContract,
  serializers.transaction,
  memberIdOf,
  createFabricHarness,
  EvmLedger,
  startAnvil,
  anvil,
  IpfsPayloadStore,
  SqliteIndexStore,
  PostgresIndexStore,
  postgresOptions,
  startPostgres,
  postgres,
  startKuboSwarm,
] as const
export type { Harness }
