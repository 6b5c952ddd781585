import { join } from 'node:path'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { buildApp } from '../node/api/app.ts'
import { SteleNode } from '../node/node.ts'
import { listen } from './listen.ts'

export interface RunningNode {
  node: SteleNode
  app: FastifyInstance
  url: string
  close(): Promise<void>
}

/** Opens the node in `<data>/node`, checks its chain from genesis, starts block production and the HTTP API. */
export async function runNode(opts: {
  data: string
  host: string
  port: number
  blockIntervalMs: number
  logger: Logger
  metrics?: (registry: Registry) => void
  /** Extra routes (the in-process gateway's status), registered before listening. */
  plugins?: FastifyPluginAsync[]
}): Promise<RunningNode> {
  const log = opts.logger.child({ area: 'node' })
  const node = await SteleNode.open({
    dataDir: join(opts.data, 'node'),
    logger: log,
    blockIntervalMs: opts.blockIntervalMs,
  })
  try {
    const report = await node.verify((h) => log.info({ height: h }, 'verifying chain'))
    log.info(
      {
        chainId: node.genesis.chainId,
        height: report.height,
        transactions: report.transactions,
        ms: report.ms,
      },
      'chain verified from genesis',
    )
    node.start()
    const app = await buildApp({
      node,
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.plugins ? { plugins: opts.plugins } : {}),
    })
    const url = await listen(app, opts.host, opts.port, '--port')
    return {
      node,
      app,
      url,
      async close() {
        await app.close()
        await node.producer.produce().catch(() => null)
        await node.close()
      },
    }
  } catch (e) {
    await node.close()
    throw e
  }
}
