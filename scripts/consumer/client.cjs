// The Fabric client entries (CommonJS) do not load the chaincode runtime; see client.mjs.
const fabric = require('@datapact/adapter-fabric')
const fabricTesting = require('@datapact/adapter-fabric/testing')

const runtime = () =>
  Object.keys(require.cache).filter(file => /[\\/]node_modules[\\/](fabric-shim|fabric-contract-api)[\\/]/.test(file))
if (typeof fabric.FabricLedger !== 'function' || typeof fabricTesting.createFabricHarness !== 'function')
  throw new Error('@datapact/adapter-fabric entries did not load')
if (runtime().length > 0) throw new Error(`@datapact/adapter-fabric loaded the chaincode runtime: ${runtime()[0]}`)
if (process.argv.includes('--with-chaincode')) {
  require('@datapact/chaincode')
  if (runtime().length === 0) throw new Error('loading @datapact/chaincode left no trace in the module cache')
}
console.log(`client cjs ok on node ${process.version}`)
