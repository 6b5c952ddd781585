import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BATCH_BODY_TYPE, encodeBatchBody } from '../../../core/batch-body.ts'
import type { SubmittedBatch } from '../../../core/node-api.ts'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>>
let app: FastifyInstance

beforeAll(async () => {
  fx = await appFixture()
  app = fx.app
})
afterAll(() => fx.close())

const post = (payload: Uint8Array) =>
  app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: { 'content-type': BATCH_BODY_TYPE },
    payload: Buffer.from(payload),
  })

describe('POST /v1/batches with the binary body (docs/protocol.md §9.7.3)', () => {
  it('accepts batches as bytes, answers a resend duplicate, and stores what the JSON body would', async () => {
    const batches: SubmittedBatch[] = [fx.gw.next(3, 'bin-1'), fx.gw.next(2, 'bin-1')]
    const res = await post(encodeBatchBody(batches))
    expect(res.statusCode).toBe(200)
    expect(res.json().results.map((r: { seq: number; status: string }) => [r.seq, r.status])).toEqual([
      [1, 'accepted'],
      [2, 'accepted'],
    ])
    expect((await post(encodeBatchBody(batches.slice(1)))).json().results[0].status).toBe('duplicate')
    await fx.node.producer.produce()
    const { body } = await fx.get('/v1/devices/bin-1/readings?sensor=temp')
    expect(body.items).toHaveLength(5)
  })

  it('refuses a forged batch by its signature, as in JSON', async () => {
    const b = fx.gw.next(1, 'bin-2')
    const tx = new Uint8Array(b.tx)
    tx[tx.length - 1]! ^= 0xff
    const res = await post(encodeBatchBody([{ tx, records: b.records }]))
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('STELE_BAD_SIGNATURE')
  })

  it('refuses truncated frames, an empty body and more than 1000 batches before the node sees them', async () => {
    const body = encodeBatchBody([fx.gw.next(1, 'bin-3')])
    for (const cut of [2, 6, body.length - 1]) {
      const res = await post(body.subarray(0, cut))
      expect(res.statusCode, `cut at ${cut}`).toBe(400)
      expect(res.json().error.code).toBe('STELE_BAD_ENCODING')
    }
    const empty = await post(new Uint8Array(0))
    expect(empty.statusCode).toBe(400)
    const tiny = { tx: new Uint8Array(1), records: new Uint8Array(1) }
    const many = await post(encodeBatchBody(Array.from({ length: 1001 }, () => tiny)))
    expect(many.statusCode).toBe(400)
    expect(many.json().error.message).toMatch(/more than 1000 batches/)
  })
})
