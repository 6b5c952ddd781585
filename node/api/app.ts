import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { explorerRoutes } from '../explorer/routes.ts'
import type { SteleNode } from '../node.ts'
import { aggregateRoutes } from './aggregate.ts'
import { batchRoutes } from './batches.ts'
import { chainRoutes } from './chain.ts'
import { installErrorHandling } from './errors.ts'
import { healthRoutes } from './health.ts'
import { metricsRoutes } from './metrics.ts'
import { readingRoutes } from './readings.ts'
import { streamRoutes } from './stream.ts'
import { verifyRoutes } from './verify.ts'

export interface AppOptions {
  node: SteleNode
  logger?: Logger | false
  /** Adds collectors to /metrics (the in-process gateway's). */
  metrics?: (registry: Registry) => void
}

/** Builds the HTTP app without listening, so tests use inject() and the CLI decides the port. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Requests are not logged one by one (thousands per second under load); failures are, by the error handler.
    loggerInstance: opts.logger ? opts.logger.child({ area: 'http' }, { level: 'warn' }) : undefined,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance
  installErrorHandling(app)
  const { node } = opts
  await app.register(healthRoutes, { node })
  await app.register(readingRoutes, { node })
  await app.register(aggregateRoutes, { node })
  await app.register(verifyRoutes, { node })
  await app.register(batchRoutes, { node })
  await app.register(chainRoutes, { node })
  await app.register(streamRoutes, { node })
  await app.register(metricsRoutes, opts.metrics ? { node, extend: opts.metrics } : { node })
  await app.register(explorerRoutes, { node })
  return app
}
