import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { idPattern, LIMITS } from '../../core/reading.ts'
import { parseTime as parseTimeValue } from '../../core/time.ts'

/** Times in queries: core's one time rule (core/time.ts); absent or empty is no bound. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined
  return parseTimeValue(value, field)
}

export const HEX32 = '^[0-9a-f]{64}$'
export const ID_PATTERN = idPattern(LIMITS.deviceIdBytes)

/** Plain decimal integers only: no sign tricks, hex, exponents, `Infinity` or fractions; at most 16 digits. */
const DECIMAL = /^(0|-?[1-9][0-9]{0,15})$/

/** An integer query or path field with its bounds (and default), typed `integer` so the OpenAPI document says so. */
export function intField(minimum: number, maximum: number, def?: number) {
  return def === undefined
    ? ({ type: 'integer', minimum, maximum } as const)
    : ({ type: 'integer', minimum, maximum, default: def } as const)
}

/**
 * The one rule for integers in URLs: each field typed `integer` in a route's querystring or params schema must be
 * written in plain decimal before the schema's bounds are checked (the validator alone would coerce `0x10`, `1e400`
 * and `Infinity` to numbers). Added to every route by an onRoute hook (installStrictIntegers).
 */
export function strictIntegerHook(schema: {
  querystring?: unknown
  params?: unknown
}): ((req: FastifyRequest) => Promise<void>) | undefined {
  const fields = (part: unknown): string[] => {
    const props = (part as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {}
    return Object.keys(props).filter((k) => props[k]?.type === 'integer')
  }
  const inQuery = fields(schema.querystring)
  const inParams = fields(schema.params)
  if (inQuery.length === 0 && inParams.length === 0) return undefined
  const check = (values: unknown, names: string[]) => {
    for (const name of names) {
      const v = (values as Record<string, unknown>)[name]
      if (v === undefined) continue
      if (typeof v !== 'string' || !DECIMAL.test(v))
        throw new SteleError('STELE_BAD_REQUEST', `${name}: ${JSON.stringify(v)} is not a decimal integer`)
    }
  }
  return async (req) => {
    check(req.query, inQuery)
    check(req.params, inParams)
  }
}

/** Adds strictIntegerHook to every route registered after it, ahead of the route's own preValidation hooks. */
export function installStrictIntegers(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const hook = route.schema ? strictIntegerHook(route.schema) : undefined
    if (!hook) return
    const own = route.preValidation
    route.preValidation = own ? [hook, ...(Array.isArray(own) ? own : [own])] : [hook]
  })
}

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
