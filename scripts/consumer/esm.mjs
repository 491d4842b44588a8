// The consumer check's ESM entry: imports every entry point of every published package by name.

import * as evm from '@datapact/adapter-evm'
import * as evmTesting from '@datapact/adapter-evm/testing'
import * as fabric from '@datapact/adapter-fabric'
import * as fabricTesting from '@datapact/adapter-fabric/testing'
import * as memory from '@datapact/adapter-memory'
import * as cliLib from '@datapact/cli'
import * as core from '@datapact/core'
import * as codec from '@datapact/core/codec'
import * as crypto from '@datapact/core/crypto'
import * as errors from '@datapact/core/errors'
import * as rules from '@datapact/core/rules'
import * as service from '@datapact/core/service'
import * as testing from '@datapact/core/testing'
import * as postgresIndex from '@datapact/index-postgres'
import * as postgresTesting from '@datapact/index-postgres/testing'
import * as sqliteIndex from '@datapact/index-sqlite'
import * as ipfs from '@datapact/store-ipfs'
import * as ipfsTesting from '@datapact/store-ipfs/testing'
import { check, postgresStory, story } from './story.mjs'

check(typeof evm.EvmLedger === 'function', '@datapact/adapter-evm')
// Loaded only: the app installs with --ignore-scripts, so better-sqlite3's native addon is not built there.
check(typeof sqliteIndex.SqliteIndexStore === 'function', '@datapact/index-sqlite')
check(typeof cliLib.run === 'function' && cliLib.EXIT_CODES.GRANT_REVOKED === 6, '@datapact/cli')
check(typeof ipfs.IpfsPayloadStore === 'function', '@datapact/store-ipfs')
check(typeof ipfsTesting.startKuboSwarm === 'function', '@datapact/store-ipfs/testing')
check(typeof fabric.FabricLedger === 'function', '@datapact/adapter-fabric')
check(typeof fabricTesting.createFabricHarness === 'function', '@datapact/adapter-fabric/testing')
const chaincode = await import('@datapact/chaincode')
check(typeof chaincode.DatapactContract === 'function', '@datapact/chaincode')
const wire = await import('@datapact/chaincode/wire')
check(typeof wire.memberIdOf === 'function', '@datapact/chaincode/wire')
await story({ core, crypto, codec, rules, errors, service, testing, memory, evmTesting })
await postgresStory({ core, memory, postgresIndex, postgresTesting })
console.log(`esm ok on node ${process.version}`)
