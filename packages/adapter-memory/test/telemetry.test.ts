// The client's observability on a real ledger: spans (in-memory exporter of the OpenTelemetry SDK) around every
// ledger call, store access and operation, with attributes that never carry secrets; counters for bytes, accesses and
// refusals (read from the metrics SDK); a pino/console-shaped logger.
import { Datapact, generateMemberKeys, isDatapactError, MemoryPayloadStore, TELEMETRY_SCOPE } from '@datapact/core'
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../src/index.js'

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

async function observed() {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = []
  const logger = Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as const).map(level => [
      level,
      (obj: Record<string, unknown>, msg?: string) => lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) }),
    ]),
  ) as unknown as Parameters<typeof Datapact.open>[0]['logger']
  const ledger = new MemoryLedger()
  const store = new MemoryPayloadStore('shared')
  const providerKeys = generateMemberKeys()
  const consumerKeys = generateMemberKeys()
  const telemetry = { tracerProvider, meterProvider, ...(logger ? { logger } : {}) }
  const provider = await Datapact.open({
    ledger: ledger.as('mem:p'),
    keys: providerKeys,
    stores: [store],
    ...telemetry,
  })
  const consumer = await Datapact.open({
    ledger: ledger.as('mem:c'),
    keys: consumerKeys,
    stores: [store],
    ...telemetry,
  })
  const counters = async () => {
    const { resourceMetrics } = await reader.collect()
    const out: Record<string, number> = {}
    for (const scope of resourceMetrics.scopeMetrics)
      for (const m of scope.metrics)
        for (const p of m.dataPoints) {
          const label = Object.values(p.attributes).join(',')
          const key = label ? `${m.descriptor.name}{${label}}` : m.descriptor.name
          out[key] = (out[key] ?? 0) + (p.value as number)
        }
    return out
  }
  return { exporter, provider, consumer, lines, counters, secrets: [providerKeys, consumerKeys] }
}

describe('observability', () => {
  it('spans around every ledger call, store access and operation; no secret in any attribute', async () => {
    const { exporter, provider, consumer, secrets } = await observed()
    await provider.members.join({ name: 'P', roles: ['provider'] })
    await consumer.members.join({ name: 'C', roles: ['consumer'] })
    const marker = 'PLAINTEXT-MARKER-'.repeat(40)
    const data = new TextEncoder().encode(marker)
    const { id } = await provider.datasets.register({
      title: 'T',
      terms: { pricePerAccess: 2n, currency: 'CNY' },
      data,
      store: 'shared',
    })
    await provider.grants.grant(id, consumer.memberId, { maxAccesses: 5 })
    await consumer.data.fetch(id)
    for await (const _ of (await consumer.data.stream(id)).stream);
    await consumer.billing.statement({ provider: provider.memberId })
    await provider.audit.verify({ payloads: true })

    const spans = exporter.getFinishedSpans()
    const names = new Set(spans.map(s => s.name))
    for (const n of [
      'datapact.ledger.submit',
      'datapact.ledger.query',
      'datapact.ledger.readEvents',
      'datapact.store.put',
      'datapact.store.get',
      'datapact.datasets.register',
      'datapact.grants.grant',
      'datapact.data.fetch',
      'datapact.data.stream',
      'datapact.usage.record',
      'datapact.audit.verify',
    ])
      expect(names, n).toContain(n)
    expect(spans.every(s => s.instrumentationScope.name === TELEMETRY_SCOPE)).toBe(true)
    const submits = spans.filter(s => s.name === 'datapact.ledger.submit').map(s => s.attributes['datapact.rule'])
    expect(submits).toEqual(expect.arrayContaining(['joinConsortium', 'registerDataset', 'grantAccess']))
    const fetch = spans.find(s => s.name === 'datapact.data.fetch')!
    expect(fetch.attributes).toMatchObject({ 'datapact.member': 'mem:c', 'datapact.dataset': id })

    // No key, no plaintext, no payload: attribute values are ids, names, counts and codes.
    const forbidden = [
      ...secrets.flatMap(k => [hex(k.envelope.secretKey), ...(k.signing ? [hex(k.signing.secretKey)] : [])]),
      'PLAINTEXT-MARKER',
    ]
    for (const s of spans)
      for (const [k, v] of Object.entries(s.attributes)) {
        expect(['string', 'number', 'boolean'], `${s.name} ${k}`).toContain(typeof v)
        for (const f of forbidden) expect(String(v), `${s.name} ${k}`).not.toContain(f)
        expect(String(v).length, `${s.name} ${k}`).toBeLessThanOrEqual(128)
      }
  })

  it('counters: bytes read and published, accesses recorded, refusals by code; refusals logged as warnings', async () => {
    const { provider, consumer, counters, lines, exporter } = await observed()
    await provider.members.join({ name: 'P', roles: ['provider'] })
    await consumer.members.join({ name: 'C', roles: ['consumer'] })
    const data = new Uint8Array(5000).fill(1)
    const { id } = await provider.datasets.register({
      title: 'T',
      terms: { pricePerAccess: 2n, currency: 'CNY' },
      data,
      store: 'shared',
    })
    await provider.grants.grant(id, consumer.memberId, { maxAccesses: 2 })
    await consumer.data.fetch(id)
    for await (const _ of (await consumer.data.stream(id)).stream);
    const refused = await consumer.data.fetch(id).catch(e => e)
    expect(isDatapactError(refused, 'QUOTA_EXCEEDED')).toBe(true)
    await provider.grants.revoke(id, consumer.memberId)
    const revoked = await consumer.data.fetch(id).catch(e => e)
    expect(isDatapactError(revoked)).toBe(true)

    const c = await counters()
    expect(c['datapact.bytes{published}']).toBe(5000)
    expect(c['datapact.bytes{read}']).toBe(10_000)
    expect(c['datapact.accesses']).toBe(2)
    // Each refused fetch counts once, though the refusal passes through the fetch and its metering.
    const refusals = Object.entries(c).filter(([k]) => k.startsWith('datapact.refusals'))
    expect(refusals.map(([k]) => k.replace(/,.*/, '}'))).toEqual(
      expect.arrayContaining(['datapact.refusals{QUOTA_EXCEEDED}', `datapact.refusals{${revoked.code}}`]),
    )
    expect(refusals.reduce((n, [, v]) => n + v, 0)).toBe(2)

    const warnings = lines.filter(l => l.level === 'warn')
    expect(warnings.map(w => w.obj.code)).toEqual(expect.arrayContaining(['QUOTA_EXCEEDED', revoked.code]))
    expect(lines.some(l => l.level === 'debug' && l.obj.operation === 'ledger.submit')).toBe(true)
    const failedSpan = exporter.getFinishedSpans().find(s => s.attributes['datapact.error.code'] === 'QUOTA_EXCEEDED')
    expect(failedSpan?.status.code).toBe(2) // SpanStatusCode.ERROR
  })

  it('a logger that throws does not change what the client does; a bad logger is refused at open', async () => {
    const ledger = new MemoryLedger()
    const boom = () => {
      throw new Error('logger down')
    }
    const c = await Datapact.open({
      ledger: ledger.as('mem:x'),
      keys: generateMemberKeys(),
      logger: { debug: boom, info: boom, warn: boom, error: boom },
    })
    expect((await c.members.join({ name: 'X', roles: ['consumer'] })).id).toBe('mem:x')
    const bad = await Datapact.open({
      ledger: ledger.as('mem:y'),
      keys: generateMemberKeys(),
      logger: { debug: () => undefined } as never,
    }).catch(e => e)
    expect(isDatapactError(bad, 'INVALID_INPUT')).toBe(true)
    // console fits the interface.
    await Datapact.open({ ledger: ledger.as('mem:z'), keys: generateMemberKeys(), logger: console })
  })
})
