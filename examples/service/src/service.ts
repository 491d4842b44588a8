/**
 * The consumer's HTTP API over its own ledger node, built from `@datapact/core/service`. Each GET of a dataset is a
 * verified, metered `data.stream()` piped to the response with backpressure: a chunk that fails verification aborts
 * the response (the client sees a failed download, never a truncated 200). Errors become statuses from one table.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { type Datapact, type MemberId, toDatasetId } from '@datapact/core'
import { errorResponse, jsonReplacer, toNodeReadable } from '@datapact/core/service'

/** What the service reports about itself (read by its tests and a metrics endpoint). */
export interface ServiceStats {
  /** Plaintext bytes pulled out of `data.stream()` (verified and decrypted) so far, over all downloads. */
  plaintextBytes: number
  /** Downloads aborted mid-stream because a chunk failed. */
  aborted: number
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  // bigint amounts and byte digests as {"$bigint": ...} / {"$bytes": hex}; jsonReviver turns them back.
  res.end(JSON.stringify(body, jsonReplacer))
}

/**
 * Creates (does not start) the HTTP service of a consumer.
 *
 * @param consumer - The consumer's open client.
 * @param provider - The provider whose statement `/statement` shows.
 * @returns The server and its stats.
 */
export function createService(consumer: Datapact, provider: MemberId): { server: Server; stats: ServiceStats } {
  const stats: ServiceStats = { plaintextBytes: 0, aborted: 0 }
  async function* counted(stream: AsyncIterable<Uint8Array>) {
    for await (const chunk of stream) {
      stats.plaintextBytes += chunk.length
      yield chunk
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const [, resource, id, ...rest] = url.pathname.split('/')
    if (req.method !== 'GET') return json(res, 405, { error: 'GET only' })
    if (resource === 'datasets' && !id)
      return json(
        res,
        200,
        (await consumer.datasets.catalog()).map(d => ({ id: d.id, title: d.metadata.title })),
      )
    if (resource === 'datasets' && id && rest.length === 0) {
      // A malformed id is INVALID_INPUT (400), before anything is read or metered.
      const datasetId = toDatasetId(id, 'id')
      // Verified and metered before the first byte: refusals (403, 429) and bad data (502) are plain statuses.
      const { stream, version, receipt } = await consumer.data.stream(datasetId)
      res.writeHead(200, {
        'content-type': (await consumer.datasets.get(datasetId)).metadata.mediaType,
        'x-datapact-version': String(version.number),
        'x-datapact-receipt': receipt?.txId ?? 'unmetered',
      })
      try {
        // Backpressure: the next chunk is read and decrypted only when the socket takes more. A failed chunk
        // destroys the response: the chunked body is never terminated, so the client sees an aborted download.
        await pipeline(toNodeReadable(counted(stream)), res)
      } catch {
        stats.aborted++
      }
      return
    }
    if (resource === 'statement') return json(res, 200, await consumer.billing.statement({ provider }))
    return json(res, 404, { error: 'no such resource' })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // Typed errors become statuses; their messages and details carry ids and shapes, never secrets.
      const { status, body } = errorResponse(e)
      if (res.headersSent) res.destroy()
      else json(res, status, body)
    })
  })
  return { server, stats }
}
