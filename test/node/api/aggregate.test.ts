import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>>
// BatchMaker: reading n at T0 + 10n ms, value 20 + (n % 10) / 10. T0 is 20 s into a minute.
const T0 = 1_700_000_000_000
const MINUTE = 60_000

beforeAll(async () => {
  fx = await appFixture()
  // dev-1: 6,000 temp readings over 60 s (two minute buckets); then 10 hum. dev-2: one sensor only.
  const batches = Array.from({ length: 6 }, () => fx.gw.next(1000, 'dev-1', 'temp'))
  await fx.node.submitBatches(batches)
  await fx.node.submitBatches([fx.gw.next(10, 'dev-1', 'hum'), fx.gw.next(5, 'dev-2', 'temp')])
})
afterAll(() => fx.close())

const get = (url: string) => fx.get(url)

describe('GET /v1/devices/:device/aggregate', () => {
  it('answers minute buckets with every function by default', async () => {
    const { status, body } = await get('/v1/devices/dev-1/aggregate?sensor=temp&every=1m')
    expect(status).toBe(200)
    expect(body).toMatchObject({ device: 'dev-1', sensor: 'temp', every: '1m', everyMs: MINUTE })
    expect(body.resolution).toBe('1m')
    const start0 = T0 - 20_000
    expect(body.items.map((b: { start: number }) => b.start)).toEqual([start0, start0 + MINUTE])
    const [a, b] = body.items
    // Readings 1..3999 fall in the first minute (T0+10 .. T0+39,990), 4000..6000 in the next.
    expect(a).toMatchObject({ count: 3999, min: 20, max: 20.9, first: 20.1, last: 20.9 })
    expect(b).toMatchObject({ count: 2001, min: 20, max: 20.9, first: 20, last: 20 })
    expect(a.startIso).toBe(new Date(start0).toISOString())
    expect(a.mean).toBeCloseTo(20.45, 3)
    expect(Object.keys(a).sort()).toEqual(
      ['count', 'first', 'last', 'max', 'mean', 'min', 'start', 'startIso'].sort(),
    )
  })

  it('returns only the functions asked for, over a time range, at hour resolution', async () => {
    const from = new Date(T0).toISOString()
    const { status, body } = await get(
      `/v1/devices/dev-1/aggregate?sensor=temp&every=1h&fn=count,max&from=${from}&to=${T0 + 100}`,
    )
    expect(status).toBe(200)
    expect(body.resolution).toBe('1h')
    expect(body.fn).toEqual(['count', 'max'])
    expect(body.items).toEqual([
      { start: T0 - (T0 % 3_600_000), startIso: expect.any(String), count: 10, max: 20 + 0.9 },
    ])
  })

  it('uses the only sensor of a device when none is named', async () => {
    const { status, body } = await get('/v1/devices/dev-2/aggregate?every=1d&fn=count')
    expect(status).toBe(200)
    expect(body.sensor).toBe('temp')
    expect(body.resolution).toBe('1d')
    expect(body.items.map((b: { count: number }) => b.count)).toEqual([5])
  })

  it('refuses bad requests with stable codes', async () => {
    const cases: [string, number, string][] = [
      ['/v1/devices/nope/aggregate?sensor=temp', 404, 'STELE_NOT_FOUND'],
      ['/v1/devices/dev-1/aggregate?sensor=nope', 404, 'STELE_NOT_FOUND'],
      ['/v1/devices/dev-1/aggregate', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&every=90s', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&every=1y', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&fn=median', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&from=yesterday', 400, 'STELE_BAD_TIME'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&from=2000&to=1000', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&every=1m&from=0&to=99999999999999', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=temp&limit=3', 400, 'STELE_BAD_REQUEST'],
      ['/v1/devices/dev-1/aggregate?sensor=a%20b', 400, 'STELE_BAD_REQUEST'],
    ]
    for (const [url, status, code] of cases) {
      const r = await get(url)
      expect([url, r.status, r.body.error?.code]).toEqual([url, status, code])
      expect(typeof r.body.error.message).toBe('string')
    }
  })
})
