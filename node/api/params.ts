import { SteleError } from '../../core/errors.ts'

/** Times in queries: epoch milliseconds or ISO 8601. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined
  if (/^\d{1,15}$/.test(value)) return Number(value)
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value)
    if (!Number.isNaN(t) && t >= 0) return t
  }
  throw new SteleError(
    'STELE_BAD_TIME',
    `${field}: ${JSON.stringify(value)} is neither epoch milliseconds nor an ISO 8601 time`,
  )
}

export const HEX32 = '^[0-9a-f]{64}$'
export const ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$'

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      required: ['code', 'message'],
    },
  },
} as const

/** Query fields every per-device series route takes: which sensor, and a time range. */
export const seriesQueryFields = {
  sensor: { type: 'string', pattern: ID_PATTERN },
  from: { type: 'string', maxLength: 40 },
  to: { type: 'string', maxLength: 40 },
} as const

export const deviceParams = {
  type: 'object',
  properties: { device: { type: 'string', pattern: ID_PATTERN } },
} as const

/** `from` and `to` as epoch ms, refusing a range that ends before it starts. */
export function parseRange(q: { from?: string | undefined; to?: string | undefined }): {
  from: number | undefined
  to: number | undefined
} {
  const from = parseTime(q.from, 'from')
  const to = parseTime(q.to, 'to')
  if (from !== undefined && to !== undefined && from > to)
    throw new SteleError('STELE_BAD_REQUEST', 'from must not be after to')
  return { from, to }
}
