import type { FastifyPluginAsync } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import type { SteleNode } from '../node.ts'
import { HEX32 } from './params.ts'
import { txView } from './tx-view.ts'

export const chainRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get('/v1/chain', async () => {
    const tip = node.state.tip
    return {
      chainId: node.genesis.chainId,
      height: tip.height,
      tipHash: tip.hash,
      tipTime: tip.time,
      tipTimeIso: new Date(tip.time).toISOString(),
      pending: node.mempool.size,
      gateways: node.state.gateways.size,
      genesis: (await node.info()).genesis,
    }
  })

  app.get<{ Querystring: { from?: number; limit: number } }>(
    '/v1/blocks',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
      },
    },
    async (req) => {
      const { from, limit } = req.query
      const tip = node.state.tip.height
      // Without `from`: the newest blocks, newest first. With it: ascending from that height.
      const heights: number[] = []
      if (from === undefined) for (let h = tip; h >= 1 && heights.length < limit; h--) heights.push(h)
      else for (let h = from; h <= tip && heights.length < limit; h++) heights.push(h)
      const items = await Promise.all(heights.map((h) => node.query.blockView(h)))
      const last = heights[heights.length - 1]
      const next = from !== undefined && last !== undefined && last < tip ? last + 1 : null
      return { items, next }
    },
  )

  app.get<{ Params: { height: number } }>(
    '/v1/blocks/:height',
    { schema: { params: { type: 'object', properties: { height: { type: 'integer', minimum: 1 } } } } },
    async (req) => node.query.blockView(req.params.height),
  )

  app.get<{ Params: { hash: string } }>(
    '/v1/transactions/:hash',
    { schema: { params: { type: 'object', properties: { hash: { type: 'string', pattern: HEX32 } } } } },
    async (req) => {
      const { hash } = req.params
      const pending = node.mempool.get(hash)
      if (pending) return txView(pending.tx.bytes, null, null)
      const stored = await node.query.storedTx(hash)
      if (!stored) throw new SteleError('STELE_NOT_FOUND', `no transaction ${hash}`)
      return txView(stored.tx, stored.height, stored.index)
    },
  )
}
