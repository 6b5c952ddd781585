import type { FastifyPluginAsync } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { textBody } from './schemas.ts'

/** What these routes use of the node. */
export type MetricsComponents = Pick<
  ApiComponents,
  'contracts' | 'drives' | 'ingest' | 'mempool' | 'state' | 'storage'
>

export interface MetricsOptions {
  node: MetricsComponents
  /** Extra collectors (the gateway's, when it runs in the same process) registered on the same registry. */
  extend?: (registry: Registry) => void
}

/** GET /metrics in Prometheus text format; values are read from the node's counters at scrape time. */
export const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app, { node, extend }) => {
  const registry = new Registry()
  // prom-client names its defaults process_* and nodejs_*; the one prefix puts them beside Stele's own series:
  // stele_process_cpu_seconds_total, stele_nodejs_heap_size_used_bytes.
  collectDefaultMetrics({ register: registry, prefix: 'stele_' })
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
  for (const [name, help, key] of [
    ['stele_storage_bytes', 'Bytes of blocks in the content store', 'bytes'],
    ['stele_storage_blocks', 'Blocks in the content store', 'blocks'],
    ['stele_storage_pins', 'Pinned roots', 'pins'],
  ] as const)
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(node.storage.stats[key])
      },
    })
  new Gauge({
    name: 'stele_storage_replica_fetches_pending',
    help: 'Files of drives this node replicates waiting for or under a fetch from peers',
    registers: [registry],
    collect() {
      this.set(node.drives?.replicas.pending ?? 0)
    },
  })
  for (const [name, help, key] of [
    ['stele_storage_replica_blocks_fetched_total', 'Replica blocks fetched from peers', 'fetchedBlocks'],
    ['stele_storage_replica_fetch_failures_total', 'Replica fetch attempts that failed', 'failures'],
  ] as const)
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(node.drives?.replicas.counters[key] ?? 0)
      },
    })
  new Counter({
    name: 'stele_contract_mismatches_total',
    help: "Contract results whose hashes differed from this node's re-execution (evidence kept)",
    registers: [registry],
    collect() {
      this.reset()
      this.inc(node.contracts?.mismatches ?? 0)
    },
  })
  extend?.(registry)
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: textBody('Prometheus text format 0.0.4'), ...errorResponses() },
      },
    },
    async (_req, reply) => {
      reply.header('content-type', registry.contentType)
      return registry.metrics()
    },
  )
}
