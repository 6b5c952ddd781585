import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorCode } from '../../../core/error-codes.ts'
import { buildApp } from '../../../node/api/app.ts'
import { toSteleError } from '../../../node/api/errors.ts'
import { nodeFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance

beforeAll(async () => {
  fx = await nodeFixture()
  app = await buildApp({ node: fx.node, logger: false })
  // 12 devices, two sensors on dev-00.
  await fx.node.submitBatches([fx.gw.next(6, 'dev-00', 'temp'), fx.gw.next(6, 'dev-00', 'hum')])
  for (let i = 1; i < 12; i++)
    await fx.node.submitBatches([fx.gw.next(1, `dev-${String(i).padStart(2, '0')}`, 'temp')])
  await fx.node.producer.produce()
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url })
  return { status: r.statusCode, body: r.json(), text: r.body }
}

/** The answer is the one error shape, its status the code's documented status, and nothing of fastify's leaks. */
function expectError(
  r: { status: number; body: { error?: { code: string; message: string } }; text: string },
  code: ErrorCode,
) {
  expect(r.body.error?.code, r.text).toBe(code)
  expect(r.status).toBe(ERROR_CODES[code].status)
  expect(typeof r.body.error?.message).toBe('string')
  expect(r.text).not.toMatch(/FST_|"statusCode"/)
}

describe('integers in URLs are strict decimals within bounds', () => {
  it.each([
    '/v1/devices/dev-00/readings?limit=Infinity',
    '/v1/devices/dev-00/readings?limit=1e400',
    '/v1/devices/dev-00/readings?limit=0x10',
    '/v1/devices/dev-00/readings?limit=1.5',
    '/v1/devices/dev-00/readings?limit=%2B5',
    '/v1/devices/dev-00/readings?limit=05',
    '/v1/devices/dev-00/readings?limit=1001',
    '/v1/devices/dev-00/readings?limit=1&limit=2',
    '/v1/blocks?limit=Infinity',
    '/v1/blocks?limit=1e400',
    '/v1/blocks?from=0x1',
    '/v1/blocks?limit=99999999999999999999',
    '/v1/blocks/0x1',
    '/v1/blocks/1e0',
    '/v1/blocks/%201',
    '/v1/devices?limit=0',
  ])('GET %s → 400 STELE_BAD_REQUEST', async (url) => {
    expectError(await get(url), 'STELE_BAD_REQUEST')
  })

  it('accepts plain decimals', async () => {
    expect((await get('/v1/devices/dev-00/readings?limit=16')).status).toBe(200)
    expect((await get('/v1/blocks/1')).body.height).toBe(1)
    expect((await get('/v1/blocks?limit=1&from=1')).body.items).toHaveLength(1)
  })
})

describe("fastify's and Node's failures in the documented shape", () => {
  it('a malformed percent-encoding is 400 STELE_BAD_REQUEST', async () => {
    expectError(await get('/v1/blocks/%ZZ'), 'STELE_BAD_REQUEST')
  })

  it('a body of another media type is 415 STELE_UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/verify',
      payload: '<proof/>',
      headers: { 'content-type': 'application/xml' },
    })
    expectError({ status: r.statusCode, body: r.json(), text: r.body }, 'STELE_UNSUPPORTED_MEDIA_TYPE')
  })

  it('a body over the limit is 413 STELE_PAYLOAD_TOO_LARGE', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/transactions',
      payload: JSON.stringify({ tx: 'A'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    })
    expectError({ status: r.statusCode, body: r.json(), text: r.body }, 'STELE_PAYLOAD_TOO_LARGE')
  })

  it('a path segment over the router limit is a documented code, never FST_ERR_MAX_PARAM_LENGTH', async () => {
    const r = await get(`/v1/readings/${'a'.repeat(200)}`)
    expect(r.text).not.toContain('FST_')
    expect(ERROR_CODES[r.body.error.code as ErrorCode].status).toBe(r.status)
    const e = toSteleError(
      Object.assign(new Error('URI too long'), { code: 'FST_ERR_MAX_PARAM_LENGTH', statusCode: 414 }),
    )
    expect([e.code, e.status]).toEqual(['STELE_URI_TOO_LONG', 414])
  })

  it('maps every 4xx fastify status to a code whose documented status is the one sent', () => {
    for (const status of [400, 401, 404, 405, 406, 408, 413, 414, 415, 431]) {
      const e = toSteleError(Object.assign(new Error('x'), { code: 'FST_ERR_SOMETHING', statusCode: status }))
      expect(e.status, String(status)).toBe(ERROR_CODES[e.code].status)
    }
    const internal = toSteleError(new TypeError('secret detail'))
    expect(internal.code).toBe('STELE_INTERNAL')
    expect(internal.message).not.toContain('secret')
  })
})

describe('pagination', () => {
  it('binds a readings cursor to its order and sensor', async () => {
    const asc = await get('/v1/devices/dev-00/readings?limit=2')
    const cursor = asc.body.nextCursor as string
    expect(cursor).toBeTruthy()
    expect((await get(`/v1/devices/dev-00/readings?limit=2&cursor=${cursor}`)).status).toBe(200)
    expectError(
      await get(`/v1/devices/dev-00/readings?limit=2&order=desc&cursor=${cursor}`),
      'STELE_BAD_CURSOR',
    )
    expectError(
      await get(`/v1/devices/dev-00/readings?limit=2&sensor=hum&cursor=${cursor}`),
      'STELE_BAD_CURSOR',
    )
    const desc = await get('/v1/devices/dev-00/readings?limit=2&order=desc&sensor=temp')
    expectError(
      await get(`/v1/devices/dev-00/readings?limit=2&sensor=temp&cursor=${desc.body.nextCursor}`),
      'STELE_BAD_CURSOR',
    )
  })

  it('pages /v1/devices with limit and cursor, each device exactly once, in name order', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r: Awaited<ReturnType<typeof get>> = await get(
        `/v1/devices?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(r.status).toBe(200)
      expect(r.body.items.length).toBeLessThanOrEqual(5)
      seen.push(...r.body.items.map((d: { device: string }) => d.device))
      cursor = r.body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `dev-${String(i).padStart(2, '0')}`))
    const first = await get('/v1/devices')
    expect(first.body.items).toHaveLength(12)
    expect(first.body.nextCursor).toBeNull()
    expect(first.body.items[0]).toMatchObject({ device: 'dev-00', readings: 12 })
    expectError(await get('/v1/devices?cursor=c1.abc'), 'STELE_BAD_CURSOR')
  })
})

describe('/metrics', () => {
  it("names prom-client's defaults with one stele_ prefix", async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]))
    for (const name of [
      'stele_process_cpu_seconds_total',
      'stele_process_resident_memory_bytes',
      'stele_process_start_time_seconds',
      'stele_nodejs_heap_size_used_bytes',
      'stele_nodejs_eventloop_lag_seconds',
      'stele_chain_height',
      'stele_records_accepted_total',
    ])
      expect(names, name).toContain(name)
    expect(
      [...names].filter((n) => /stele_process_process|stele_process_nodejs|^process_|^nodejs_/.test(n!)),
    ).toEqual([])
  })
})
