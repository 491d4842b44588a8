/**
 * Datapact embedded in a backend service: a consumer's HTTP API over its own ledger node. Each GET of a dataset is a
 * verified, metered fetch streamed to the caller; the statement endpoint shows the bill both sides see.
 *
 *   pnpm --filter @datapact/example-service start          # listens on 127.0.0.1:8787 (PORT to change)
 *   curl 127.0.0.1:8787/datasets
 *   curl 127.0.0.1:8787/datasets/<id>                      # plaintext, metered on the ledger
 *   curl 127.0.0.1:8787/statement
 *
 * With SELF_TEST=1 it calls its own endpoints once and exits (what CI-style smoke runs use).
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryLedger } from '@datapact/adapter-memory'
import { Datapact, type DatapactError, generateMemberKeys, isDatapactError } from '@datapact/core'

// A consortium in this process: a provider publishes and grants; the service acts as the consumer.
const ledger = new MemoryLedger()
const provider = await Datapact.open({ ledger: ledger.as('mem:provider'), keys: generateMemberKeys() })
const consumer = await Datapact.open({ ledger: ledger.as('mem:analytics-service'), keys: generateMemberKeys() })
await provider.members.join({ name: 'Provider', roles: ['provider'] })
await consumer.members.join({ name: 'Analytics service', roles: ['consumer'] })
const { id } = await provider.datasets.register({
  title: 'Hourly load',
  mediaType: 'text/csv',
  terms: { pricePerAccess: 25n, currency: 'CNY' },
  data: new TextEncoder().encode('hour,mw\n00,812\n01,790\n'),
})
await provider.grants.grant(id, consumer.memberId, { maxAccesses: 100 })

const HTTP_STATUS: Partial<Record<DatapactError['code'], number>> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  ACCESS_DENIED: 403,
  GRANT_REVOKED: 403,
  GRANT_EXPIRED: 403,
  QUOTA_EXCEEDED: 429,
  INTEGRITY: 502,
  LEDGER_UNAVAILABLE: 503,
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify(body, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ),
  )
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const [, resource, datasetId] = url.pathname.split('/')
    if (req.method !== 'GET') return json(res, 405, { error: 'GET only' })
    if (resource === 'datasets' && !datasetId)
      return json(
        res,
        200,
        (await consumer.datasets.catalog()).map(d => ({ id: d.id, title: d.metadata.title })),
      )
    if (resource === 'datasets' && datasetId) {
      // Usage is recorded on the ledger before the first plaintext byte is written.
      const { stream, version, receipt } = await consumer.data.stream(datasetId)
      res.writeHead(200, {
        'content-type': (await consumer.datasets.get(datasetId)).metadata.mediaType,
        'x-datapact-version': String(version.number),
        'x-datapact-receipt': receipt?.txId ?? 'unmetered',
      })
      for await (const piece of stream) res.write(piece)
      return res.end()
    }
    if (resource === 'statement')
      return json(res, 200, await consumer.billing.statement({ provider: provider.memberId }))
    return json(res, 404, { error: 'no such resource' })
  } catch (e) {
    // Typed errors become HTTP statuses; their messages carry ids and shapes, never secrets.
    if (isDatapactError(e)) return json(res, HTTP_STATUS[e.code] ?? 500, { code: e.code, message: e.message })
    return json(res, 500, { error: 'internal error' })
  }
})

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
