import type { FastifyPluginAsync } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { aggregate, parseEvery, parseFns } from '../chain/aggregate.ts'
import { AggregateCache } from '../chain/aggregate-cache.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { deviceParams, parseRange, seriesQueryFields } from './params.ts'

const aggregateQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...seriesQueryFields,
    every: { type: 'string', maxLength: 12, default: '1h' },
    fn: { type: 'string', maxLength: 64 },
  },
} as const

const num = { type: 'number' } as const
const aggregateResponse = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    sensor: { type: 'string' },
    every: { type: 'string' },
    everyMs: { type: 'integer' },
    resolution: { type: 'string' },
    from: { type: ['integer', 'null'] },
    to: { type: ['integer', 'null'] },
    fn: { type: 'array', items: { type: 'string' } },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          start: { type: 'integer' },
          startIso: { type: 'string' },
          count: { type: 'integer' },
          min: num,
          max: num,
          mean: num,
          first: num,
          last: num,
        },
      },
    },
  },
} as const

interface AggregateItem {
  start: number
  startIso: string
  count?: number
  min?: number
  max?: number
  mean?: number
  first?: number
  last?: number
}

/** What these routes use of the node. */
export type AggregateComponents = Pick<ApiComponents, 'db' | 'devices' | 'state'>

/**
 * GET /v1/devices/:device/aggregate?sensor&from&to&every&fn: time buckets answered from the rollups kept at ingest
 * (DESIGN §5), never a full scan.
 */
export const aggregateRoutes: FastifyPluginAsync<{ node: AggregateComponents }> = async (app, { node }) => {
  const answers = new AggregateCache()
  app.get<{
    Params: { device: string }
    Querystring: { sensor?: string; from?: string; to?: string; every: string; fn?: string }
  }>(
    '/v1/devices/:device/aggregate',
    {
      schema: {
        params: deviceParams,
        querystring: aggregateQuery,
        summary:
          'Time buckets of one sensor (count, min, max, mean, first, last) from the rollups kept at ingest',
        response: {
          200: aggregateResponse,
          ...errorResponses('STELE_BAD_TIME', 'STELE_NOT_FOUND'),
        },
      },
    },
    async (req) => {
      const { device } = req.params
      const d = node.devices.get(device)
      if (!d) throw new SteleError('STELE_NOT_FOUND', `no device ${device}`)
      const q = req.query
      const sensors = Object.keys(d.sensors)
      let sensor = q.sensor
      if (sensor === undefined) {
        if (sensors.length !== 1)
          throw new SteleError(
            'STELE_BAD_REQUEST',
            `sensor: device ${device} has sensors ${sensors.join(', ')}; name one`,
          )
        sensor = sensors[0]!
      } else if (!d.sensors[sensor]) {
        throw new SteleError('STELE_NOT_FOUND', `device ${device} has no sensor ${sensor}`)
      }
      const everyMs = parseEvery(q.every)
      const fns = parseFns(q.fn)
      const { from, to } = parseRange(q)
      const aq = { device, sensor, from, to, everyMs, lastTime: d.sensors[sensor]?.time }
      // Read before computing: a write landing meanwhile changes it, and the answer is computed again next time.
      const version = node.state.recentChunks.version(device)
      const result = await answers.answer(aq, version, () => aggregate(node.db, node.state.maxChunkSpan, aq))
      const want = new Set(fns)
      const items = result.buckets.map((b) => {
        const item: AggregateItem = { start: b.start, startIso: new Date(b.start).toISOString() }
        if (want.has('count')) item.count = b.count
        if (want.has('min')) item.min = b.min
        if (want.has('max')) item.max = b.max
        if (want.has('mean')) item.mean = b.sum / b.count
        if (want.has('first')) item.first = b.first
        if (want.has('last')) item.last = b.last
        return item
      })
      return {
        device,
        sensor,
        every: q.every,
        everyMs,
        resolution: `1${result.resolution}`,
        from: from ?? null,
        to: to ?? null,
        fn: fns,
        items,
      }
    },
  )
}
