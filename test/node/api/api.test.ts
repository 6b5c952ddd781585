import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../../core/error-codes.ts'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>>
let app: FastifyInstance
const T0 = 1_700_000_000_000

beforeAll(async () => {
  fx = await appFixture()
  app = fx.app
  // 30 readings of two sensors on dev-1, 10 ms apart from T0+10, and 5 on dev-2.
  await fx.node.submitBatches([
    fx.gw.next(10, 'dev-1', 'temp'),
    fx.gw.next(10, 'dev-1', 'hum'),
    fx.gw.next(10, 'dev-1', 'temp'),
  ])
  await fx.node.producer.produce()
  await fx.node.submitBatches([fx.gw.next(5, 'dev-2', 'temp')])
})
afterAll(() => fx.close())

const get = (url: string) => fx.get(url)

describe('HTTP API', () => {
  it('GET /v1/health reports the chain', async () => {
    const { status, body } = await get('/v1/health')
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'ok', height: 1, chainId: fx.node.genesis.chainId })
  })

  it('GET /v1/devices lists devices with sensors and last reading', async () => {
    const { body } = await get('/v1/devices')
    expect(body.items.map((d: { device: string }) => d.device)).toEqual(['dev-1', 'dev-2'])
    expect(Object.keys(body.items[0].sensors).sort()).toEqual(['hum', 'temp'])
    expect(body.items[0].readings).toBe(30)
  })

  it('lists readings by sensor and time range, with pages that cover everything exactly once', async () => {
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const q: string = `/v1/devices/dev-1/readings?sensor=temp&limit=7${cursor ? `&cursor=${cursor}` : ''}`
      const { status, body } = await get(q)
      expect(status).toBe(200)
      seen.push(...body.items.map((r: { seq: number }) => r.seq))
      cursor = body.nextCursor
    } while (cursor)
    expect(seen).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i + 1),
      ...Array.from({ length: 10 }, (_, i) => i + 21),
    ])

    const desc = await get('/v1/devices/dev-1/readings?order=desc&limit=3')
    expect(desc.body.items.map((r: { seq: number }) => r.seq)).toEqual([30, 29, 28])

    const from = new Date(T0 + 50).toISOString()
    const range = await get(`/v1/devices/dev-1/readings?from=${from}&to=${T0 + 80}`)
    expect(range.body.items.map((r: { seq: number }) => r.seq)).toEqual([5, 6, 7, 8])
  })

  it('pages backwards through every reading exactly once, across chunks, within a time range', async () => {
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const q: string = `/v1/devices/dev-1/readings?order=desc&limit=4&from=${T0 + 55}&to=${T0 + 250}${cursor ? `&cursor=${cursor}` : ''}`
      const { body } = await get(q)
      seen.push(...body.items.map((r: { seq: number }) => r.seq))
      cursor = body.nextCursor
    } while (cursor)
    // seq n has time T0 + 10n; from T0+55 is seq 6, to T0+250 is seq 25.
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i))
  })

  it('shows pending and confirmed readings', async () => {
    const confirmed = await get('/v1/devices/dev-1/readings?limit=1')
    expect(confirmed.body.items[0]).toMatchObject({ status: 'confirmed', blockHeight: 1 })
    const pending = await get('/v1/devices/dev-2/readings?limit=1')
    expect(pending.body.items[0]).toMatchObject({ status: 'pending', blockHeight: null })
    const proof = await get(`/v1/readings/${pending.body.items[0].id}/proof`)
    expect(proof.status).toBe(409)
    expect(proof.body.error.code).toBe('STELE_READING_PENDING')
  })

  it('serves a reading and a proof that POST /v1/verify accepts, and refuses a tampered one', async () => {
    const list = await get('/v1/devices/dev-1/readings?limit=1&sensor=hum')
    const id = list.body.items[0].id
    const one = await get(`/v1/readings/${id}`)
    expect(one.body).toMatchObject({ id, device: 'dev-1', sensor: 'hum' })
    const proof = await get(`/v1/readings/${id}/proof`)
    expect(proof.status).toBe(200)
    const ok = await app.inject({ method: 'POST', url: '/v1/verify', payload: proof.body })
    expect(ok.json().ok).toBe(true)
    const bad = {
      ...proof.body,
      record: proof.body.record.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')),
    }
    const refused = await app.inject({ method: 'POST', url: '/v1/verify', payload: bad })
    expect(refused.statusCode).toBe(422)
    const err = refused.json().error
    expect(err.code).toBe('STELE_PROOF_INVALID')
    expect(err.details.failedCheck).toBe('record.inclusion')
    expect(err.message).toMatch(/^record\.inclusion: /)
    expect(err.details.checks.at(-1)).toMatchObject({ name: 'record.inclusion', ok: false })
  })

  it('serves chain, blocks and transactions', async () => {
    const chain = await get('/v1/chain')
    expect(chain.body.height).toBe(1)
    const blocks = await get('/v1/blocks')
    expect(blocks.body.items[0].height).toBe(1)
    const block = await get('/v1/blocks/1')
    expect(block.body.txCount).toBe(4)
    const tx = await get(`/v1/transactions/${block.body.transactions[1]}`)
    expect(tx.body).toMatchObject({ type: 'record-batch', status: 'confirmed', blockHeight: 1, index: 1 })
    expect(tx.body.payload.count).toBe(10)
  })

  it.each([
    ['/v1/devices/dev-1/readings?limit=0', 400, 'STELE_BAD_REQUEST'],
    ['/v1/devices/dev-1/readings?limit=abc', 400, 'STELE_BAD_REQUEST'],
    ['/v1/devices/dev-1/readings?order=sideways', 400, 'STELE_BAD_REQUEST'],
    ['/v1/devices/dev-1/readings?from=yesterday', 400, 'STELE_BAD_TIME'],
    ['/v1/devices/dev-1/readings?from=2024-01-02&to=2024-01-01', 400, 'STELE_BAD_REQUEST'],
    ['/v1/devices/dev-1/readings?cursor=garbage', 400, 'STELE_BAD_CURSOR'],
    ['/v1/devices/dev-1/readings?bogus=1', 400, 'STELE_BAD_REQUEST'],
    ['/v1/devices/nobody/readings', 404, 'STELE_NOT_FOUND'],
    ['/v1/devices/bad%20id/readings', 400, 'STELE_BAD_REQUEST'],
    ['/v1/readings/xyz', 400, 'STELE_BAD_REQUEST'],
    [`/v1/readings/${'a'.repeat(64)}`, 404, 'STELE_NOT_FOUND'],
    ['/v1/blocks/999', 404, 'STELE_NOT_FOUND'],
    ['/v1/blocks/-1', 400, 'STELE_BAD_REQUEST'],
    ['/v1/nothing-here', 404, 'STELE_NOT_FOUND'],
  ])('GET %s → %i %s', async (url, status, code) => {
    const r = await get(url)
    expect(r.status).toBe(status)
    expect(r.body.error.code).toBe(code)
    expect(r.body.error.message.length).toBeGreaterThan(5)
    expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(status)
  })

  it('refuses malformed and forged batches with stable codes', async () => {
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/v1/batches', payload: payload as object })
    expect((await post({})).json().error.code).toBe('STELE_BAD_REQUEST')
    expect((await post({ batches: [{ tx: '!!', records: 'AA==' }] })).json().error.code).toBe(
      'STELE_BAD_REQUEST',
    )
    const garbage = await post({ batches: [{ tx: 'AAAA', records: 'AAAA' }] })
    expect(garbage.statusCode).toBe(400)
    expect(garbage.json().error.code).toBe('STELE_BAD_ENCODING')
    const b = fx.gw.next(1, 'dev-3')
    const tx = Buffer.from(b.tx)
    tx[tx.length - 1]! ^= 0xff
    const forged = await post({
      batches: [{ tx: tx.toString('base64'), records: Buffer.from(b.records).toString('base64') }],
    })
    expect(forged.statusCode).toBe(401)
    expect(forged.json().error.code).toBe('STELE_BAD_SIGNATURE')
    const good = await post({
      batches: [
        { tx: Buffer.from(b.tx).toString('base64'), records: Buffer.from(b.records).toString('base64') },
      ],
    })
    expect(good.json().results[0].status).toBe('accepted')
  })

  it('serves Prometheus metrics and the explorer', async () => {
    const m = await app.inject({ method: 'GET', url: '/metrics' })
    expect(m.body).toMatch(/stele_chain_height 1/)
    const page = await app.inject({ method: 'GET', url: '/' })
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.body).toContain('Stele explorer')
  })
})
