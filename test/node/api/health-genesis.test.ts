import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { genesisFromJson, genesisHash } from '../../../core/genesis.ts'
import { verifyProof } from '../../../core/verify-proof.ts'
import { buildApp } from '../../../node/api/app.ts'
import { nodeFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance

beforeAll(async () => {
  fx = await nodeFixture()
  app = await buildApp({ node: fx.node, logger: false })
  await fx.node.submitBatches([fx.gw.next(3, 'dev-1', 'temp')])
  await fx.node.producer.produce()
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

const get = async (url: string) => (await app.inject({ method: 'GET', url })).json()

describe('GET /v1/health serves the genesis a verifier trusts (docs/protocol.md §6.2)', () => {
  it('in its JSON form (5.1), with the hash of the genesis the node runs, against which its proofs verify', async () => {
    const health = await get('/v1/health')
    const genesis = genesisFromJson(health.genesis)
    expect(health.genesis.hash).toBe(toHex(genesisHash(fx.node.genesis)))
    expect(genesisHash(genesis)).toEqual(genesisHash(fx.node.genesis))

    const readings = await get('/v1/devices/dev-1/readings?limit=1')
    const proof = await get(`/v1/readings/${readings.items[0].id}/proof`)
    const r = verifyProof(proof, health.genesis)
    expect(r.error).toBeUndefined()
    expect(r.checks[1]).toMatchObject({ name: 'genesis.trusted', ok: true })
  })
})
