import type { FastifyPluginAsync } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import type { DeviceSummary } from '../chain/devices.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { deviceParams, HEX32, ID_PATTERN, intField, parseRange, seriesQueryFields } from './params.ts'

const readingsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...seriesQueryFields,
    limit: intField(1, 1000, 100),
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

const sensorSummary = {
  type: 'object',
  properties: {
    unit: { type: ['string', 'null'] },
    value: { type: 'number' },
    time: { type: 'integer' },
    readings: { type: 'integer' },
  },
} as const

const deviceSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    gateway: { type: 'string' },
    sensors: { type: 'object', additionalProperties: sensorSummary },
    firstSeen: { type: 'integer' },
    lastSeen: { type: 'integer' },
    firstSeenIso: { type: 'string' },
    lastSeenIso: { type: 'string' },
    readings: { type: 'integer' },
  },
} as const

const devicesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: intField(1, 1000, 100), cursor: { type: 'string', maxLength: 200 } },
} as const

/** A proof bundle (docs/protocol.md, `stele-proof/1`): its parts are checked by POST /v1/verify, not here. */
export const proofBundleSchema = {
  type: 'object',
  required: ['format'],
  additionalProperties: true,
  properties: { format: { type: 'string', examples: ['stele-proof/1'] } },
} as const

const DEVICE_CURSOR = 'd1.'

/** The devices list's cursor: the last device of a page (devices are listed by name). */
function devicesAfter(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const bad = () =>
    new SteleError('STELE_BAD_CURSOR', 'cursor was not issued by GET /v1/devices; start again without it')
  if (!cursor.startsWith(DEVICE_CURSOR)) throw bad()
  const after = Buffer.from(cursor.slice(DEVICE_CURSOR.length), 'base64url').toString('utf8')
  if (!new RegExp(ID_PATTERN).test(after)) throw bad()
  return after
}

/** What these routes use of the node. */
export type ReadingComponents = Pick<ApiComponents, 'devices' | 'query'>

export const readingRoutes: FastifyPluginAsync<{ node: ReadingComponents }> = async (app, { node }) => {
  const withIso = (d: DeviceSummary) => ({
    ...d,
    firstSeenIso: new Date(d.firstSeen).toISOString(),
    lastSeenIso: new Date(d.lastSeen).toISOString(),
  })

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/devices',
    {
      schema: {
        summary: 'Devices by name, with their sensors and last values; paginated',
        querystring: devicesQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: deviceSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses('STELE_BAD_CURSOR'),
        },
      },
    },
    async (req) => {
      const after = devicesAfter(req.query.cursor)
      const { limit } = req.query
      // Names compared by code unit (the cursor's order); a Map of 10k devices sorts in a few ms.
      const names = [...node.devices.keys()].filter((n) => after === undefined || n > after).sort()
      const page = names.slice(0, limit)
      const last = page[page.length - 1]
      return {
        items: page.map((n) => withIso(node.devices.get(n)!)),
        nextCursor:
          names.length > limit && last !== undefined
            ? DEVICE_CURSOR + Buffer.from(last, 'utf8').toString('base64url')
            : null,
      }
    },
  )

  app.get<{ Params: { device: string } }>(
    '/v1/devices/:device',
    {
      schema: {
        summary: 'One device',
        params: deviceParams,
        response: { 200: deviceSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => {
      const d = node.devices.get(req.params.device)
      if (!d) throw new SteleError('STELE_NOT_FOUND', `no device ${req.params.device}`)
      return withIso(d)
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
        summary: "A device's readings in time order; the cursor is bound to its device, sensor and order",
        params: deviceParams,
        querystring: readingsQuery,
        response: {
          200: readingsPage,
          ...errorResponses('STELE_BAD_TIME', 'STELE_BAD_CURSOR', 'STELE_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => {
      const { device } = req.params
      if (!node.devices.has(device)) throw new SteleError('STELE_NOT_FOUND', `no device ${device}`)
      const q = req.query
      const { from, to } = parseRange(q)
      // The page's JSON is built by the query from each reading's cached JSON (the schema above documents it, in the
      // same property order); fastify sends a string with a JSON content type as it is.
      reply.type('application/json; charset=utf-8')
      return node.query.readingsJson({
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
  app.get<{ Params: { id: string } }>(
    '/v1/readings/:id',
    {
      schema: {
        summary: 'One reading by id (the hex hash of its record)',
        params: idParams,
        response: { 200: readingSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => node.query.reading(req.params.id),
  )
  app.get<{ Params: { id: string } }>(
    '/v1/readings/:id/proof',
    {
      schema: {
        summary: "A reading's proof bundle, checkable offline with `stele verify`",
        params: idParams,
        response: {
          200: proofBundleSchema,
          ...errorResponses('STELE_NOT_FOUND', 'STELE_READING_PENDING'),
        },
      },
    },
    async (req) => node.query.proof(req.params.id),
  )
}
