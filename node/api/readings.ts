import type { FastifyPluginAsync } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import type { SteleNode } from '../node.ts'
import { deviceParams, HEX32, parseRange, seriesQueryFields } from './params.ts'

const readingsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...seriesQueryFields,
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    cursor: { type: 'string', maxLength: 512 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
  },
} as const

const nullableInt = { type: ['integer', 'null'] } as const
/** A reading as ChainQuery returns it (ReadingView); compiled by fast-json-stringify, about 2x JSON.stringify. */
export const readingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    device: { type: 'string' },
    sensor: { type: 'string' },
    value: { type: 'number' },
    unit: { type: ['string', 'null'] },
    time: { type: 'integer' },
    timeIso: { type: 'string' },
    logical: { type: 'integer' },
    seq: { type: 'integer' },
    gateway: { type: 'string' },
    deviceSeq: nullableInt,
    deviceTime: nullableInt,
    source: { type: 'string' },
    status: { type: 'string' },
    blockHeight: nullableInt,
    txHash: { type: 'string' },
    leafIndex: { type: 'integer' },
  },
} as const

const readingsPage = {
  type: 'object',
  properties: {
    items: { type: 'array', items: readingSchema },
    nextCursor: { type: ['string', 'null'] },
  },
} as const

export const readingRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get('/v1/devices', async () => {
    const devices = [...node.devices.values()].sort((a, b) => a.device.localeCompare(b.device))
    return {
      items: devices.map((d) => ({
        ...d,
        firstSeenIso: new Date(d.firstSeen).toISOString(),
        lastSeenIso: new Date(d.lastSeen).toISOString(),
      })),
    }
  })

  app.get<{ Params: { device: string } }>(
    '/v1/devices/:device',
    {
      schema: { params: deviceParams },
    },
    async (req) => {
      const d = node.devices.get(req.params.device)
      if (!d) throw new SteleError('STELE_NOT_FOUND', `no device ${req.params.device}`)
      return d
    },
  )

  app.get<{
    Params: { device: string }
    Querystring: {
      sensor?: string
      from?: string
      to?: string
      limit: number
      cursor?: string
      order: 'asc' | 'desc'
    }
  }>(
    '/v1/devices/:device/readings',
    {
      schema: {
        params: deviceParams,
        querystring: readingsQuery,
        response: { 200: readingsPage },
      },
    },
    async (req) => {
      const { device } = req.params
      if (!node.devices.has(device)) throw new SteleError('STELE_NOT_FOUND', `no device ${device}`)
      const q = req.query
      const { from, to } = parseRange(q)
      return node.query.readings({
        device,
        sensor: q.sensor,
        from,
        to,
        limit: q.limit,
        cursor: q.cursor,
        order: q.order,
      })
    },
  )

  const idParams = { type: 'object', properties: { id: { type: 'string', pattern: HEX32 } } } as const
  app.get<{ Params: { id: string } }>('/v1/readings/:id', { schema: { params: idParams } }, async (req) =>
    node.query.reading(req.params.id),
  )
  app.get<{ Params: { id: string } }>(
    '/v1/readings/:id/proof',
    { schema: { params: idParams } },
    async (req) => node.query.proof(req.params.id),
  )
}
