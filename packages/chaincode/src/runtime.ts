import { createRequire } from 'node:module'

// Loads the Fabric contract API for this package, after making it work with the class-transformer version that a
// plain install resolves.
//
// fabric-contract-api 2.5.8 depends on class-transformer ^0.4.0 and destructures `classToPlain` and `plainToClass`
// from it when its JSON serializer loads. class-transformer 0.4.1 (what ^0.4.0 resolves to) renamed them
// `instanceToPlain` and `plainToInstance`, so every non-string result, among them the contract API's own
// `org.hyperledger.fabric:GetMetadata`, failed with "classToPlain is not a function". Here the old names are set to
// the new functions (same signature and behaviour, only renamed) on the copy of class-transformer that
// fabric-contract-api itself resolves, BEFORE fabric-contract-api loads: no override is needed in the consumer's
// project, whatever the package manager. With 0.4.0 nothing is changed.
//
// When something loaded fabric-contract-api first (the shim's own `fabric-chaincode-node` CLI does), its
// serializer already holds the missing functions: `JSONSerializer` below is then a fresh copy of the serializer,
// loaded after the fix, and the chaincode entry exports it as its `serializers`.
//
// fabric-contract-api is loaded with require, not imported: an ESM import would run before this module's body.

type ContractApi = typeof import('fabric-contract-api')
type JsonSerializerClass = ContractApi['JSONSerializer']

const require = createRequire(import.meta.url)
const contractApiPath = require.resolve('fabric-contract-api')
const fromContractApi = createRequire(contractApiPath)
const serializerPath = fromContractApi.resolve('./lib/jsontransactionserializer.js')

/** Whether class-transformer needed the old names (0.4.1 and later); exported for tests. */
export const classTransformerRenamed: boolean = (() => {
  const transformer = fromContractApi('class-transformer') as Record<string, unknown>
  let renamed = false
  for (const [old, current] of [
    ['classToPlain', 'instanceToPlain'],
    ['plainToClass', 'plainToInstance'],
  ] as const) {
    if (typeof transformer[old] === 'function') continue
    if (typeof transformer[current] !== 'function')
      throw new Error(`class-transformer has neither ${old} nor ${current}: fabric-contract-api cannot serialize`)
    transformer[old] = transformer[current]
    renamed = true
  }
  return renamed
})()

const loadedEarlier = require.cache[serializerPath] !== undefined

/**
 * fabric-contract-api, loaded after the class-transformer fix. Its loggers take their level when it loads, from
 * CORE_CHAINCODE_LOGGING_LEVEL, and log every annotation at info level (about 90 lines for this contract): unless
 * that variable is set, they load at WARNING. The variable is left as it was, so the shim's own logging is unchanged.
 */
export const contractApi: ContractApi = (() => {
  const levelSet = process.env.CORE_CHAINCODE_LOGGING_LEVEL !== undefined
  if (!levelSet) process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'WARNING'
  try {
    return require('fabric-contract-api') as ContractApi
  } finally {
    if (!levelSet) delete process.env.CORE_CHAINCODE_LOGGING_LEVEL
  }
})()

/**
 * The contract API's JSON serializer, bound to working class-transformer functions: the module's own when it loaded
 * after the fix, else a fresh copy of it.
 */
export const JSONSerializer: JsonSerializerClass = (() => {
  if (!loadedEarlier || !classTransformerRenamed) return contractApi.JSONSerializer
  const cached = require.cache[serializerPath]
  delete require.cache[serializerPath]
  try {
    return fromContractApi(serializerPath) as JsonSerializerClass
  } finally {
    if (cached) require.cache[serializerPath] = cached
  }
})()
