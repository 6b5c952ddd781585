import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>>

beforeAll(async () => {
  fx = await appFixture()
})
afterAll(() => fx.close())

// An explorer served by another node of the chain calls this one (web/src/nodes.ts failover).
describe('cross-origin calls', () => {
  it('any origin may read, and is told so on errors too', async () => {
    const ok = await fx.app.inject({
      method: 'GET',
      url: '/v1/health',
      headers: { origin: 'http://other:8080' },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.headers['access-control-allow-origin']).toBe('*')
    const missing = await fx.app.inject({
      method: 'GET',
      url: '/v1/blocks/999',
      headers: { origin: 'http://o' },
    })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['access-control-allow-origin']).toBe('*')
  })

  it('answers the preflight of a JSON POST', async () => {
    const r = await fx.app.inject({
      method: 'OPTIONS',
      url: '/v1/transactions',
      headers: {
        origin: 'http://other:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(r.statusCode).toBe(204)
    expect(r.headers['access-control-allow-origin']).toBe('*')
    expect(r.headers['access-control-allow-methods']).toContain('POST')
    expect(r.headers['access-control-allow-headers']).toBe('content-type')
  })
})
