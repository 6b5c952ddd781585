import type { FastifyPluginAsync } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { SteleNode } from '../node.ts'

export interface MetricsOptions {
  node: SteleNode
  /** Extra collectors (the gateway's, when it runs in the same process) registered on the same registry. */
  extend?: (registry: Registry) => void
}

/** GET /metrics in Prometheus text format; values are read from the node's counters at scrape time. */
export const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app, { node, extend }) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'stele_process_' })
  new Gauge({
    name: 'stele_chain_height',
    help: 'Height of the chain tip',
    registers: [registry],
    collect() {
      this.set(node.state.tip.height)
    },
  })
  new Gauge({
    name: 'stele_mempool_transactions',
    help: 'Accepted transactions waiting for a block',
    registers: [registry],
    collect() {
      this.set(node.mempool.size)
    },
  })
  new Counter({
    name: 'stele_records_accepted_total',
    help: 'Records accepted from gateways',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(node.ingest.counters.records)
    },
  })
  new Counter({
    name: 'stele_batches_accepted_total',
    help: 'Record batches accepted from gateways',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(node.ingest.counters.batches)
    },
  })
  new Counter({
    name: 'stele_batches_duplicate_total',
    help: 'Resent batches recognised as already held',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(node.ingest.counters.duplicates)
    },
  })
  new Counter({
    name: 'stele_submissions_refused_total',
    help: 'Batches and transactions refused, by error code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [code, n] of node.ingest.counters.refused) this.inc({ code }, n)
    },
  })
  extend?.(registry)
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}
