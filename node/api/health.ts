import type { FastifyPluginAsync } from 'fastify'
import { type SteleNode, VERSION } from '../node.ts'
import { errorResponses } from './error-schema.ts'
import { genesisSchema } from './schemas.ts'

export const healthRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get(
    '/v1/health',
    {
      schema: {
        summary: "The node's health, chain height and the genesis it trusts",
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ok'] },
              version: { type: 'string' },
              chainId: { type: 'string' },
              height: { type: 'integer' },
              producers: {
                type: 'array',
                items: { type: 'string' },
                description:
                  'The producer set of the next block: genesis producers and registered ones, in turn order',
              },
              pending: { type: 'integer' },
              uptimeMs: { type: 'integer' },
              genesis: genesisSchema,
              network: {
                type: 'object',
                description:
                  'Present when the node runs on a network: peers, the head each has shown, sync state',
                properties: {
                  peerId: { type: 'string' },
                  addresses: { type: 'array', items: { type: 'string' } },
                  syncing: { type: 'boolean' },
                  reorgs: { type: 'integer' },
                  blocksFromPeers: { type: 'integer' },
                  finalHeight: { type: 'integer' },
                  connectedPeers: { type: 'integer', description: 'how many of the peers are connected now' },
                  peers: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        id: { type: 'string' },
                        connected: { type: 'boolean' },
                        head: { type: 'integer' },
                        headHash: { type: 'string' },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({
      status: 'ok',
      version: VERSION,
      chainId: node.genesis.chainId,
      height: node.state.tip.height,
      producers: [...node.index.producers],
      pending: node.mempool.size,
      uptimeMs: node.timers.now() - node.startedAt,
      genesis: (await node.info()).genesis,
      ...(node.network ? { network: networkHealth(node) } : {}),
    }),
  )
}

function networkHealth(node: SteleNode) {
  const status = node.network!.status()
  const connectedPeers = status.peers.filter((p) => p.connected).length
  return { ...status, finalHeight: node.finalHeight(), connectedPeers }
}
