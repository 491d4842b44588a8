// The consumer check's CommonJS entry: requires every entry point of every published package by name.
const core = require('@datapact/core')
const codec = require('@datapact/core/codec')
const crypto = require('@datapact/core/crypto')
const errors = require('@datapact/core/errors')
const rules = require('@datapact/core/rules')
const testing = require('@datapact/core/testing')
const memory = require('@datapact/adapter-memory')
const evm = require('@datapact/adapter-evm')
const cliLib = require('@datapact/cli')
const evmTesting = require('@datapact/adapter-evm/testing')
const fabric = require('@datapact/adapter-fabric')
const fabricTesting = require('@datapact/adapter-fabric/testing')
const chaincode = require('@datapact/adapter-fabric/chaincode')
const ipfs = require('@datapact/store-ipfs')
const ipfsTesting = require('@datapact/store-ipfs/testing')

async function main() {
  // story.mjs is ESM: a CommonJS app can still import it, and it only uses what is passed in (the CJS modules).
  const { check, story } = await import('./story.mjs')
  check(typeof evm.EvmLedger === 'function', '@datapact/adapter-evm')
  check(typeof cliLib.run === 'function' && cliLib.EXIT_CODES.GRANT_REVOKED === 6, '@datapact/cli')
  check(typeof ipfs.IpfsPayloadStore === 'function', '@datapact/store-ipfs')
  check(typeof ipfsTesting.startKuboSwarm === 'function', '@datapact/store-ipfs/testing')
  check(typeof fabric.FabricLedger === 'function', '@datapact/adapter-fabric')
  check(typeof fabricTesting.createFabricHarness === 'function', '@datapact/adapter-fabric/testing')
  check(typeof chaincode.DatapactContract === 'function', '@datapact/adapter-fabric/chaincode')
  await story({ core, crypto, codec, rules, errors, testing, memory, evmTesting })
  console.log(`cjs ok on node ${process.version}`)
}
main().catch(e => {
  console.error(e)
  process.exit(1)
})
