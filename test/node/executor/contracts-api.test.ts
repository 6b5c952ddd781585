import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../node/api/app.ts'
import { COUNTER, contractNode } from './chain-fixture.ts'

let fx: Awaited<ReturnType<typeof contractNode>>
let app: FastifyInstance
let id: string
beforeAll(async () => {
  fx = await contractNode()
  app = await buildApp({ node: fx.node, logger: false })
  id = await fx.deploy({ codeCid: await fx.store(COUNTER), name: 'hot-counter' })
  await fx.block()
  await fx.node.submitBatches([fx.gw.next(3)])
  await fx.block()
  await fx.block()
}, 30_000)
afterAll(async () => {
  await app.close()
  await fx.close()
})

describe('contract routes', () => {
  it('lists contracts and shows one with its filter, code CID and state', async () => {
    const list = (await app.inject('/v1/contracts')).json()
    expect(list.items).toHaveLength(1)
    expect(list.items[0]).toMatchObject({ id, name: 'hot-counter', results: 1, lastHeight: 2 })
    const one = (await app.inject(`/v1/contracts/${id}`)).json()
    expect(one.state.n).toBe(3)
    expect(one.codeCid).toMatch(/^b/)
    expect(one.filter).toEqual({ devices: [], sensors: [], gateways: [] })
    expect(one.mismatches).toBe(0)
  })

  it('serves results and events, and 404 for an unknown contract', async () => {
    const results = (await app.inject(`/v1/contracts/${id}/results`)).json()
    expect(results.items[0]).toMatchObject({ status: 'ok', height: 2, call: null })
    const events = (await app.inject(`/v1/contracts/${id}/events?limit=5`)).json()
    expect(events.items.map((e: { name: string }) => e.name)).toEqual(['hot', 'hot'])
    expect(events.items[0].data).toMatchObject({ device: 'dev-1' })
    const missing = await app.inject(`/v1/contracts/${'0'.repeat(64)}`)
    expect(missing.statusCode).toBe(404)
    expect((await app.inject(`/v1/contracts/${id}/evidence`)).json().items).toEqual([])
    expect((await app.inject('/metrics')).body).toContain('stele_contract_mismatches_total 0')
  })
})
