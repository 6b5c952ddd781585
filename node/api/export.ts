import { Readable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import type { ReadingView } from '../chain/reading-view.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { deviceParams, parseRange, seriesQueryFields } from './params.ts'

export const EXPORT_FORMATS = ['ndjson', 'csv', 'car'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Readings fetched from the query per step: the export holds one page and one proof at a time. */
const PAGE = 200

const CSV_COLUMNS = [
  'id',
  'device',
  'sensor',
  'value',
  'unit',
  'time',
  'timeIso',
  'blockHeight',
  'txHash',
  'leafIndex',
  'proof',
] as const

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export interface ExportQuery {
  device: string
  sensor?: string | undefined
  from?: number | undefined
  to?: number | undefined
}

/**
 * A device's confirmed readings in time order, each with its proof bundle, as lines of `format` (ndjson or csv):
 * pulled page by page and proof by proof as the consumer reads, so an export of any length holds one page.
 * Pending readings (no block yet, no proof) are left out.
 */
export async function* exportLines(
  node: Pick<ApiComponents, 'query'>,
  q: ExportQuery,
  format: 'ndjson' | 'csv',
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder()
  if (format === 'csv') yield enc.encode(`${CSV_COLUMNS.join(',')}\r\n`)
  let cursor: string | undefined
  do {
    const page = await node.query.readings(
      { device: q.device, sensor: q.sensor, from: q.from, to: q.to, limit: PAGE, cursor, order: 'asc' },
      { signal },
    )
    for (const reading of page.items) {
      if (reading.blockHeight === null) continue
      const proof = await node.query.proof(reading.id, { signal })
      yield enc.encode(
        format === 'ndjson' ? `${JSON.stringify({ reading, proof })}\n` : csvRow(reading, proof),
      )
    }
    cursor = page.nextCursor ?? undefined
  } while (cursor)
}

function csvRow(r: ReadingView, proof: unknown): string {
  const proofB64 = Buffer.from(JSON.stringify(proof)).toString('base64')
  const cells = [
    r.id,
    r.device,
    r.sensor,
    r.value,
    r.unit,
    r.time,
    r.timeIso,
    r.blockHeight,
    r.txHash,
    r.leafIndex,
  ]
  return `${[...cells, proofB64].map(csvField).join(',')}\r\n`
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  car: 'application/vnd.ipld.car; version=1',
}

const text = (description: string) => ({ type: 'string', description }) as const

/** What these routes use of the node. */
export type ExportComponents = Pick<ApiComponents, 'devices' | 'query' | 'storage'>

/**
 * GET /v1/devices/:device/export: a device's confirmed readings with their proofs, streamed (docs/storage.md,
 * "Readings archives"). ndjson: `{reading, proof}` a line; csv: the reading's columns and its proof bundle as base64
 * JSON; car: the ndjson export added to this node's store as a UnixFS file (an unpinned upload) and its DAG as a CAR.
 */
export const exportRoutes: FastifyPluginAsync<{ node: ExportComponents }> = async (app, { node }) => {
  app.get<{
    Params: { device: string }
    Querystring: { sensor?: string; from?: string; to?: string; format: ExportFormat }
  }>(
    '/v1/devices/:device/export',
    {
      schema: {
        summary:
          "A device's confirmed readings with their proofs, streamed as NDJSON, CSV (proof as base64 JSON) or a CAR of the NDJSON",
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...seriesQueryFields,
            format: { type: 'string', enum: [...EXPORT_FORMATS], default: 'ndjson' },
          },
        },
        response: {
          200: {
            content: {
              'application/x-ndjson': { schema: text('one {"reading", "proof"} object a line') },
              'text/csv': {
                schema: text(`columns ${CSV_COLUMNS.join(',')}; proof is base64 of the proof JSON`),
              },
              'application/vnd.ipld.car': {
                schema: { type: 'string', format: 'binary', description: 'CAR v1 of the NDJSON file' },
              },
            },
          },
          ...errorResponses('STELE_BAD_TIME', 'STELE_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => {
      const { device } = req.params
      if (!node.devices.has(device)) throw new SteleError('STELE_NOT_FOUND', `no device ${device}`)
      const { from, to } = parseRange(req.query)
      const q: ExportQuery = { device, sensor: req.query.sensor, from, to }
      const format = req.query.format
      // The export stops (between readings) when the client goes away.
      const ac = new AbortController()
      reply.raw.once('close', () => ac.abort(new SteleError('STELE_UNAVAILABLE', 'the client went away')))
      const name = `${device}${req.query.from ? `-${req.query.from}` : ''}.${format}`
      reply.header('content-type', CONTENT_TYPES[format])
      reply.header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`)
      if (format !== 'car') return reply.send(Readable.from(exportLines(node, q, format, ac.signal)))
      const added = await node.storage.add(exportLines(node, q, 'ndjson', ac.signal), { signal: ac.signal })
      reply.header('x-stele-root', added.cid)
      return reply.send(Readable.from(await node.storage.exportCar(CID.parse(added.cid))))
    },
  )
}
