/**
 * Datapact embedded in a backend service: a consumer's HTTP API over its own ledger node. Each GET of a dataset is a
 * verified, metered fetch streamed to the caller; the statement endpoint shows the bill both sides see.
 *
 *   DATAPACT_PASSPHRASE=... pnpm --filter @datapact/example-service start   # 127.0.0.1:8787 (PORT to change)
 *   curl 127.0.0.1:8787/datasets
 *   curl 127.0.0.1:8787/datasets/<id>                      # plaintext, metered on the ledger
 *   curl 127.0.0.1:8787/statement
 *
 * The service's keys live in a keystore file (KEYSTORE, default .datapact-service/service.keystore.json), locked with
 * the passphrase in DATAPACT_PASSPHRASE; the first start creates it. With SELF_TEST=1 it calls its own endpoints once
 * and exits (what CI-style smoke runs use).
 */
import { existsSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { MemoryLedger } from '@datapact/adapter-memory'
import { Datapact, generateMemberKeys } from '@datapact/core'
import { ensureMember, openKeystore, PASSPHRASE_ENV, saveKeystore } from '@datapact/core/service'
import { createService } from './service.js'

if (!process.env[PASSPHRASE_ENV]) {
  console.warn(`${PASSPHRASE_ENV} is not set: using a demo passphrase (never do this outside a demo)`)
  process.env[PASSPHRASE_ENV] = 'demo passphrase'
}
const keystore = process.env.KEYSTORE ?? join(process.cwd(), '.datapact-service', 'service.keystore.json')
if (!existsSync(keystore)) {
  mkdirSync(dirname(keystore), { recursive: true })
  await saveKeystore(keystore, generateMemberKeys())
  console.log(`created the service's keystore ${keystore}`)
}
const keys = await openKeystore(keystore) // the passphrase from DATAPACT_PASSPHRASE
console.log(`keys from the keystore ${keystore}`)

// A consortium in this process: a provider publishes and grants; the service acts as the consumer, with its keys
// from the keystore file, joining only if it is not a member yet (a restart changes nothing).
const ledger = new MemoryLedger()
const provider = await Datapact.open({ ledger: ledger.as('mem:provider'), keys: generateMemberKeys() })
const consumer = await Datapact.open({ ledger: ledger.as('mem:analytics-service'), keys })
await ensureMember(provider, { name: 'Provider', roles: ['provider'] })
await ensureMember(consumer, { name: 'Analytics service', roles: ['consumer'] })
const { id } = await provider.datasets.register({
  title: 'Hourly load',
  mediaType: 'text/csv',
  terms: { pricePerAccess: 25n, currency: 'CNY' },
  data: new TextEncoder().encode('hour,mw\n00,812\n01,790\n'),
})
await provider.grants.grant(id, consumer.memberId, { maxAccesses: 100 })

const { server } = createService(consumer, provider.memberId)
const port = Number(process.env.PORT ?? 8787)
server.listen(port, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  console.log(`Datapact consumer service on ${base} (dataset ${id})`)
  if (!process.env.SELF_TEST) return
  for (const path of ['/datasets', `/datasets/${id}`, '/datasets/nope', '/statement']) {
    const r = await fetch(base + path)
    console.log(`GET ${path} -> ${r.status} ${(await r.text()).slice(0, 120).replace(/\n/g, '\\n')}`)
  }
  server.close()
})
