/**
 * Generates `evm.json`, known-answer vectors of the EVM encodings in docs/format.md §10, with the adapter's codec
 * from fixed inputs. Run once, by hand: `pnpm --filter @datapact/adapter-evm exec tsx test/vectors/generate-evm.ts`.
 * `test/formatVectors.test.ts` checks the codec against the file and recomputes the words from the specification.
 */
import { writeFileSync } from 'node:fs'
import { toDatasetId, toDigest, toNonce } from '@datapact/core'
import { AbiCoder, keccak256 } from 'ethers'
import { currencyToBytes8, encodeUsage, metadataHash, versionInfoHash } from '../../src/codec.js'

const provider = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const consumer = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const ds1 = toDatasetId('11'.repeat(32))
const ds2 = toDatasetId('02'.repeat(32))
const w1 = toDigest(Uint8Array.from({ length: 32 }, (_, i) => i))
const w2 = toDigest(Uint8Array.from({ length: 32 }, (_, i) => 255 - i))
const records = [
  {
    datasetId: ds1,
    version: 3,
    bytes: 2500,
    amount: 100n,
    nonce: toNonce('00112233445566778899aabbccddee00'),
    wrapHash: w1,
  },
  {
    datasetId: ds2,
    version: 1,
    bytes: 1024,
    amount: 12345678901234567890n,
    nonce: toNonce('00112233445566778899aabbccddee01'),
    wrapHash: w2,
  },
  {
    datasetId: ds1,
    version: 3,
    bytes: 2500,
    amount: 100n,
    nonce: toNonce('00112233445566778899aabbccddee02'),
    wrapHash: w1,
  },
]
const [datasetIds, wrapHashes, claims] = encodeUsage({ records })
const metadata = { title: 'Prices', description: 'EOD', tags: ['finance', 'eu'], mediaType: 'text/csv', schema: '' }
const header = Uint8Array.from({ length: 78 }, (_, i) => (i * 7) & 0xff)
const statementKey = keccak256(
  AbiCoder.defaultAbiCoder().encode(
    ['address', 'address', 'uint256', 'bytes8'],
    [provider, consumer, 20_000, currencyToBytes8('CNY')],
  ),
)
const json = (v: unknown) =>
  JSON.parse(
    JSON.stringify(v, (_, x) =>
      typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? `0x${Buffer.from(x).toString('hex')}` : x,
    ),
  )
writeFileSync(
  new URL('./evm.json', import.meta.url),
  `${JSON.stringify(
    {
      about:
        'Known-answer vectors of the EVM encodings (docs/format.md section 10), generated once with @datapact/adapter-evm 0.1.0 (test/vectors/generate-evm.ts). Amounts are decimal strings; words are 0x hex.',
      recordUsage: {
        consumer,
        provider,
        grantSeq: 2,
        currency: 'CNY',
        period: 20_000,
        at: 1_728_000_123,
        records: json(records),
        datasetIds,
        wrapHashes,
        claims: claims.map(c => `0x${c.toString(16).padStart(64, '0')}`),
      },
      currencyBytes8: { code: 'CNY', bytes8: currencyToBytes8('CNY') },
      metadataHash: { metadata, licence: 'CC-BY-4.0', hash: metadataHash(metadata, 'CC-BY-4.0') },
      versionInfoHash: {
        header: Buffer.from(header).toString('hex'),
        store: 'ledger',
        address: 'ab'.repeat(32),
        hash: versionInfoHash(header, 'ledger', 'ab'.repeat(32)),
      },
      statementKey: { provider, consumer, period: 20_000, currency: 'CNY', key: statementKey },
    },
    null,
    2,
  )}\n`,
)
