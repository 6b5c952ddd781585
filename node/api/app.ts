import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Timers } from '../../core/timers.ts'
import { explorerRoutes } from '../explorer/routes.ts'
import { type SteleNode, VERSION } from '../node.ts'
import { aggregateRoutes } from './aggregate.ts'
import { batchRoutes } from './batches.ts'
import { chainRoutes } from './chain.ts'
import { installCors } from './cors.ts'
import { errorSchema } from './error-schema.ts'
import { answerClientError, frameworkErrors, installErrorHandling } from './errors.ts'
import { healthRoutes } from './health.ts'
import {
  AddressFailureLimiter,
  DEFAULT_FAILURE_LIMIT,
  type FailureLimit,
  installFailureLimit,
} from './ip-limit.ts'
import { ledgerRoutes } from './ledger.ts'
import {
  DEFAULT_HTTP_LIMITS,
  type HttpLimits,
  installBodyGuards,
  installJsonParser,
  installRequestDeadlines,
} from './limits.ts'
import { metricsRoutes } from './metrics.ts'
import { nodesRoutes } from './nodes.ts'
import { installStrictIntegers } from './params.ts'
import { readingRoutes } from './readings.ts'
import { streamRoutes } from './stream.ts'
import { verifyRoutes } from './verify.ts'

export interface AppOptions {
  node: SteleNode
  logger?: Logger | false
  /** Adds collectors to /metrics (the in-process gateway's). */
  metrics?: (registry: Registry) => void
  /** Extra route plugins (the in-process gateway's status), registered with the node's own routes. */
  plugins?: FastifyPluginAsync[]
  /** Body, nesting, time and connection limits; each defaults to DEFAULT_HTTP_LIMITS (limits.ts documents them). */
  limits?: Partial<HttpLimits>
  /** Serve https (and wss) with this PEM certificate and key instead of plain http. */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array }
  /**
   * Refused authentications (401/403) allowed per client address; each field defaults to DEFAULT_FAILURE_LIMIT
   * (ip-limit.ts documents them); false turns the limit off.
   */
  failureLimit?: Partial<FailureLimit> | false
  /** The clock of the failure limit. Default the real one. */
  timers?: Pick<Timers, 'now'>
}

/** Builds the HTTP app without listening, so tests use inject() and the CLI decides the port. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...opts.limits }
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  }
  const app = Fastify({
    // Requests are not logged one by one (thousands per second under load); failures are, by the error handler.
    loggerInstance: opts.logger ? opts.logger.child({ area: 'http' }, { level: 'warn' }) : undefined,
    bodyLimit: limits.bodyLimit,
    // Whole-request deadlines are per route (installRequestDeadlines): Node's would cut long uploads.
    requestTimeout: 0,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // fastify hands `http` to http.createServer only; with TLS the same server options go with the certificate.
    ...(opts.tls
      ? { https: { ...serverOptions, cert: opts.tls.cert, key: opts.tls.key } }
      : { http: serverOptions }),
    clientErrorHandler: answerClientError,
    frameworkErrors,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance
  app.server.maxConnections = limits.maxConnections
  installErrorHandling(app)
  installStrictIntegers(app)
  installJsonParser(app, limits.maxJsonDepth)
  installBodyGuards(app, limits.lingerMs)
  installRequestDeadlines(app, limits)
  if (opts.failureLimit !== false)
    installFailureLimit(
      app,
      new AddressFailureLimiter({ ...DEFAULT_FAILURE_LIMIT, ...opts.failureLimit }, opts.timers),
    )
  app.addSchema(errorSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Stele node',
        version: VERSION,
        description:
          'Readings with proofs, the chain, gateway writes and live streams. Errors: `{error:{code,message,details?}}`; every code with its status is in docs/errors.md.',
      },
    },
    // Shared schemas keep their $id as their component name (#/components/schemas/SteleError).
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  installCors(app)
  const { node } = opts
  await app.register(healthRoutes, { node })
  await app.register(nodesRoutes, { node })
  await app.register(readingRoutes, { node })
  await app.register(aggregateRoutes, { node })
  await app.register(verifyRoutes, { node })
  await app.register(batchRoutes, { node, batchBodyLimit: limits.batchBodyLimit })
  await app.register(chainRoutes, { node })
  await app.register(ledgerRoutes, { node })
  await app.register(streamRoutes, { node })
  await app.register((await import('./storage.ts')).storageRoutes, { node })
  await app.register((await import('./drives.ts')).driveRoutes, { node })
  await app.register((await import('./export.ts')).exportRoutes, { node })
  await app.register((await import('./contracts.ts')).contractRoutes, { node })
  await app.register(metricsRoutes, opts.metrics ? { node, extend: opts.metrics } : { node })
  for (const plugin of opts.plugins ?? []) await app.register(plugin)
  await app.register(explorerRoutes, { node })
  return app
}
