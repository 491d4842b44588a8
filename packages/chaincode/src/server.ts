import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { contracts, serializers } from './index.js'

// The chaincode-as-a-service entry: serves the Datapact contract on CHAINCODE_SERVER_ADDRESS under CHAINCODE_ID,
// the two values the peer's connection.json and the chaincode package id give. What `fabric-chaincode-node server`
// does, without a module path to resolve, so that the bundle (dist/chaincode-server.cjs) is all an image needs
// besides fabric-shim and fabric-contract-api (installed next to it).
//
// Environment:
//   CHAINCODE_SERVER_ADDRESS  host:port to listen on, e.g. 0.0.0.0:9999 (or CORE_CHAINCODE_ADDRESS)
//   CHAINCODE_ID              the package id, e.g. datapact_1.0:0f3a... (or CORE_CHAINCODE_ID)
//   CHAINCODE_TLS_KEY_FILE, CHAINCODE_TLS_CERT_FILE    PEM files: serve TLS (connection.json "tls_required": true)
//   CHAINCODE_TLS_CLIENT_CACERT_FILE                    PEM file: also require the peer's client certificate

interface ChaincodeFromContractClass {
  new (contracts: unknown[], serializers: unknown, metadata: unknown, title: string, version: string): unknown
}

// Required, not imported, so that they load after the chaincode entry (see runtime.ts).
const require = createRequire(import.meta.url)
const { Shim }: typeof import('fabric-shim') = require('fabric-shim')
const ChaincodeFromContract: ChaincodeFromContractClass = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js')

const env = (name: string, legacy: string) => process.env[name] ?? process.env[legacy]
const file = (name: string) => (process.env[name] ? readFileSync(process.env[name]) : undefined)

async function main(): Promise<void> {
  const address = env('CHAINCODE_SERVER_ADDRESS', 'CORE_CHAINCODE_ADDRESS')
  const ccid = env('CHAINCODE_ID', 'CORE_CHAINCODE_ID')
  if (!address || !ccid) throw new Error('set CHAINCODE_SERVER_ADDRESS and CHAINCODE_ID')
  const key = file('CHAINCODE_TLS_KEY_FILE')
  const cert = file('CHAINCODE_TLS_CERT_FILE')
  const clientCACerts = file('CHAINCODE_TLS_CLIENT_CACERT_FILE')
  const tlsProps = key && cert ? { key, cert, ...(clientCACerts && { clientCACerts }) } : undefined
  const chaincode = new ChaincodeFromContract(contracts, serializers, {}, 'datapact', '1.0')
  // As fabric-chaincode-node server: no message size cap of its own (the peer caps at 100 MiB), Fabric's keepalive.
  const server = Shim.server(
    chaincode as never,
    {
      ccid,
      address,
      ...(tlsProps && { tlsProps }),
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': 110_000,
      'grpc.http2.min_time_between_pings_ms': 110_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.http2.max_pings_without_data': 0,
      'grpc.keepalive_permit_without_calls': 1,
    } as never,
  )
  await server.start()
  console.log(`datapact chaincode ${ccid} serving on ${address}${tlsProps ? ' (TLS)' : ''}`)
}

// No top-level await: the bundle is CommonJS.
main().catch((error: unknown) => {
  console.error('datapact chaincode:', error instanceof Error ? error.message : error)
  process.exit(1)
})
