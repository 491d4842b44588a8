// The Fabric client entries (ESM) do not load the chaincode runtime. With `--with-chaincode` (where
// @datapact/chaincode is installed) it then loads the chaincode entry and sees the runtime in the module cache, so
// the check is known to detect it.
import { createRequire } from 'node:module'
import * as fabric from '@datapact/adapter-fabric'
import * as fabricTesting from '@datapact/adapter-fabric/testing'

const cache = createRequire(import.meta.url).cache
const runtime = () =>
  Object.keys(cache).filter(file => /[\\/]node_modules[\\/](fabric-shim|fabric-contract-api)[\\/]/.test(file))
if (typeof fabric.FabricLedger !== 'function' || typeof fabricTesting.createFabricHarness !== 'function')
  throw new Error('@datapact/adapter-fabric entries did not load')
if (runtime().length > 0) throw new Error(`@datapact/adapter-fabric loaded the chaincode runtime: ${runtime()[0]}`)
if (process.argv.includes('--with-chaincode')) {
  await import('@datapact/chaincode')
  if (runtime().length === 0) throw new Error('loading @datapact/chaincode left no trace in the module cache')
}
console.log(`client esm ok on node ${process.version}`)
