/**
 * The provider's process of the offline test: connects to the consortium's ledger as the provider (the EVM
 * contract on Anvil, or a memory ledger kept in a file), registers a generated dataset into its own IPFS node,
 * grants the consumers, prints one JSON line and exits.
 * Input: the JSON in `DATAPACT_PROVIDER_INPUT` (see offline.test.ts).
 */
import { readFileSync } from 'node:fs'
import { EvmLedger } from '@datapact/adapter-evm'
import { MemoryLedger } from '@datapact/adapter-memory'
import { Datapact, toMemberId, unlockKeystore } from '@datapact/core'
import { TERMS } from '@datapact/core/testing'
import { IpfsPayloadStore } from '../src/index.js'
import { generated } from './generated.js'

interface Input {
  ledger:
    | { kind: 'evm'; rpcUrl: string; contract: string; privateKey: string }
    | { kind: 'memory'; file: string; memberId: string }
  keystore: string
  passphrase: string
  ipfsUrl: string
  grantees: string[]
  size: number
  chunkSize: number
}
const input = JSON.parse(process.env.DATAPACT_PROVIDER_INPUT ?? '{}') as Input
const ledger =
  input.ledger.kind === 'evm'
    ? await EvmLedger.attach({
        rpcUrl: input.ledger.rpcUrl,
        privateKey: input.ledger.privateKey,
        address: input.ledger.contract,
      })
    : new MemoryLedger({ file: input.ledger.file }).as(input.ledger.memberId)
const keys = await unlockKeystore(readFileSync(input.keystore, 'utf8'), input.passphrase)
const client = await Datapact.open({ ledger, keys, stores: [new IpfsPayloadStore({ url: input.ipfsUrl })] })
const t0 = performance.now()
const { id, version } = await client.datasets.register({
  title: 'Offline test dataset',
  terms: TERMS,
  data: generated(input.size),
  chunkSize: input.chunkSize,
  store: 'ipfs',
})
const seconds = (performance.now() - t0) / 1000
for (const grantee of input.grantees) await client.grants.grant(id, toMemberId(grantee, 'grantee'), { scope: 'all' })
await client.close()
console.log(JSON.stringify({ datasetId: id, address: version!.location.address, seconds }))
