import { join } from 'node:path'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { SteleNode } from '../node/node.ts'
import type { NetworkInit } from '../node/p2p/network.ts'
import { listen } from './listen.ts'
import type { NodeTls } from './node-tls.ts'

export { type NodeTls, nodeTlsOption, TLS_OPTIONS } from './node-tls.ts'

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
  /** Join a network of nodes (libp2p): listen addresses and peers. Absent: a node alone. */
  p2p?: NetworkInit
  /** A genesis file naming the producers (a testnet); default: the data folder's own, created on first run. */
  genesisFile?: string
  /** Test hook: sign two blocks at each height produced (STELE_TEST_EQUIVOCATE=1). */
  equivocate?: boolean
  /** Extra routes (the in-process gateway's status), registered before listening. */
  plugins?: FastifyPluginAsync[]
  /** Serve https:// with this certificate and key. */
  tls?: NodeTls
  /** Ingest rate limit per gateway (the node's default when absent; benchmarks lift it). */
  recordsPerSecPerGateway?: number
}): Promise<RunningNode> {
  // Loaded here, not at the top: every `stele` command imports this file for its options, and `stele start`'s main
  // thread never needs the node's modules when the node has its own thread.
  const [{ SteleNode }, { buildApp }] = await Promise.all([
    import('../node/node.ts'),
    import('../node/api/app.ts'),
  ])
  const log = opts.logger.child({ area: 'node' })
  const node = await SteleNode.open({
    dataDir: join(opts.data, 'node'),
    logger: log,
    blockIntervalMs: opts.blockIntervalMs,
    ...(opts.genesisFile ? { genesisFile: opts.genesisFile } : {}),
    ...(opts.equivocate ? { equivocate: true } : {}),
    ...(opts.recordsPerSecPerGateway ? { recordsPerSecPerGateway: opts.recordsPerSecPerGateway } : {}),
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
    if (opts.p2p) await node.startNetwork(opts.p2p)
    const app = await buildApp({
      node,
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.plugins ? { plugins: opts.plugins } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
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
