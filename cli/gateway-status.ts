import type { FastifyPluginAsync } from 'fastify'
import { Gauge, type Registry } from 'prom-client'
import type { Gateway, GatewayStatus } from '../gateway/gateway.ts'

/** What the routes and gauges read: the Gateway itself, or its answers from another thread (the node thread). */
export interface GatewayStatusSource {
  status(): GatewayStatus | Promise<GatewayStatus>
  deadLetters(): ReturnType<Gateway['deadLetters']> | Promise<ReturnType<Gateway['deadLetters']>>
}

/** GET /v1/gateway: the in-process gateway's health (outbox, submitter, each connector and serial port). */
export function gatewayStatusRoutes(gateway: GatewayStatusSource): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/gateway', async () => gateway.status())
    app.get('/v1/gateway/dead-letters', async () => ({ items: await gateway.deadLetters() }))
  }
}

/** Gateway gauges on the node's /metrics registry, read at scrape time. */
export function gatewayMetrics(gateway: GatewayStatusSource): (registry: Registry) => void {
  return (registry) => {
    const gauge = (name: string, help: string, read: (s: GatewayStatus) => number | null | undefined) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const v = read(await gateway.status())
          if (typeof v === 'number') this.set(v)
        },
      })
    gauge('stele_gateway_records_stamped', 'Readings stamped into records', (s) => s.batcher?.stamped)
    gauge('stele_gateway_batches_sealed', 'Batches sealed and signed', (s) => s.batcher?.sealed)
    gauge('stele_gateway_duplicates', 'Resent device readings dropped', (s) => s.batcher?.duplicates)
    gauge('stele_gateway_outbox_batches', 'Sealed batches waiting in the outbox', (s) => s.outbox?.batches)
    new Gauge({
      name: 'stele_connector_errors',
      help: 'Garbled frames, CRC errors and malformed messages per connector',
      labelNames: ['connector', 'kind'],
      registers: [registry],
      async collect() {
        for (const c of (await gateway.status()).connectors)
          this.set({ connector: c.name, kind: c.kind }, c.errors)
      },
    })
    new Gauge({
      name: 'stele_connector_connected',
      help: '1 while a connector is connected to its broker or board',
      labelNames: ['connector', 'kind'],
      registers: [registry],
      async collect() {
        for (const c of (await gateway.status()).connectors)
          this.set({ connector: c.name, kind: c.kind }, c.connected ? 1 : 0)
      },
    })
  }
}
