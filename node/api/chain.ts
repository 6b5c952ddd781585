import type { FastifyPluginAsync } from 'fastify'
import { fromHex } from '../../core/bytes.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { registrationsSchema } from './ledger-schemas.ts'
import { intField } from './params.ts'
import { genesisSchema } from './schemas.ts'

/** Heights are block numbers from 1; the bound is the largest integer JSON carries exactly. */
const height = intField(1, Number.MAX_SAFE_INTEGER)

const blockSchema = {
  type: 'object',
  properties: {
    height: { type: 'integer' },
    hash: { type: 'string' },
    prevHash: { type: 'string' },
    time: { type: 'integer' },
    timeIso: { type: 'string' },
    txRoot: { type: 'string' },
    stateRoot: { type: 'string', description: 'the state root after the block (version 2 headers)' },
    txCount: { type: 'integer' },
    producer: { type: 'string' },
    signature: { type: 'string' },
    transactions: { type: 'array', items: { type: 'string' } },
    registrations: registrationsSchema,
  },
} as const

/** What these routes use of the node. */
export type ChainComponents = Pick<ApiComponents, 'genesis' | 'info' | 'mempool' | 'query' | 'state'>

export const chainRoutes: FastifyPluginAsync<{ node: ChainComponents }> = async (app, { node }) => {
  app.get(
    '/v1/chain',
    {
      schema: {
        summary: 'The chain tip, mempool size, registered gateways and the genesis',
        response: {
          200: {
            type: 'object',
            properties: {
              chainId: { type: 'string' },
              height: { type: 'integer' },
              tipHash: { type: 'string' },
              tipTime: { type: 'integer' },
              tipTimeIso: { type: 'string' },
              pending: { type: 'integer' },
              gateways: { type: 'integer' },
              genesis: genesisSchema,
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => {
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
    },
  )

  app.get<{ Querystring: { from?: number; limit: number } }>(
    '/v1/blocks',
    {
      schema: {
        summary: 'Blocks: the newest first, or ascending from `from` with `next` the height to continue at',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: height, limit: intField(1, 100, 20) },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: blockSchema },
              next: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses('STELE_NOT_FOUND'),
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
    {
      schema: {
        summary: 'One block by height',
        params: { type: 'object', properties: { height } },
        response: { 200: blockSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => {
      const view = await node.query.blockView(req.params.height)
      const registrations = await node.query.registrationsOf(
        fromHex(view.producer, 'producer', 32),
        view.height,
      )
      return registrations ? { ...view, registrations } : view
    },
  )
  // GET /v1/transactions/:hash, with its proof of inclusion, is in ledger.ts.
}
