import type { FastifyPluginAsync } from 'fastify'
import { type SteleNode, VERSION } from '../node.ts'

export const healthRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get('/v1/health', async () => ({
    status: 'ok',
    version: VERSION,
    chainId: node.genesis.chainId,
    height: node.state.tip.height,
    pending: node.mempool.size,
    uptimeMs: node.now() - node.startedAt,
    genesis: (await node.info()).genesis,
  }))
}
