import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installErrorHandling } from '../../node/api/errors.ts'
import { explorerRoutes } from '../../node/explorer/routes.ts'
import { tempDir } from '../helpers/tmp.ts'

let dir: Awaited<ReturnType<typeof tempDir>>
const js = `console.log(${JSON.stringify('x'.repeat(2000))})`

async function appFor(dist: string) {
  const app = Fastify()
  installErrorHandling(app)
  await app.register(explorerRoutes, { dist })
  return app
}

beforeAll(async () => {
  dir = await tempDir('stele-web-serve-')
  await mkdir(join(dir.path, 'dist', 'assets'), { recursive: true })
  await writeFile(join(dir.path, 'dist', 'index.html'), '<!doctype html><title>Stele explorer</title>')
  await writeFile(join(dir.path, 'dist', 'assets', 'main-ABC123.js'), js)
})
afterAll(() => dir.cleanup())

describe('explorer serving (node/explorer/routes.ts)', () => {
  it('serves index.html for / and for client routes, revalidated, with a same-origin CSP', async () => {
    const app = await appFor(join(dir.path, 'dist'))
    for (const url of ['/', '/devices/boiler-1', '/blocks/7', '/search?q=12']) {
      const r = await app.inject({ url })
      expect(r.statusCode, url).toBe(200)
      expect(r.headers['content-type']).toContain('text/html')
      expect(r.headers['cache-control']).toBe('no-cache')
      expect(String(r.headers['content-security-policy'])).toContain("default-src 'self'")
      expect(r.body).toContain('Stele explorer')
    }
  })

  it('serves hashed assets for a year, gzipped when asked, and answers 304 to a matching etag', async () => {
    const app = await appFor(join(dir.path, 'dist'))
    const plain = await app.inject({ url: '/assets/main-ABC123.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['content-type']).toContain('text/javascript')
    expect(plain.body).toBe(js)
    const gz = await app.inject({ url: '/assets/main-ABC123.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.rawPayload.length).toBeLessThan(js.length / 10)
    const again = await app.inject({
      url: '/assets/main-ABC123.js',
      headers: { 'if-none-match': String(plain.headers['etag']) },
    })
    expect(again.statusCode).toBe(304)
  })

  it('keeps JSON 404s for unknown API routes and missing files (the page reads them as "not on this node")', async () => {
    const app = await appFor(join(dir.path, 'dist'))
    const api = await app.inject({ url: '/v1/accounts/00' })
    expect(api.statusCode).toBe(404)
    expect(api.json()).toEqual({
      error: { code: 'STELE_NOT_FOUND', message: 'no route GET /v1/accounts/00' },
    })
    expect((await app.inject({ url: '/assets/main-OLD.js' })).statusCode).toBe(404)
    expect((await app.inject({ url: '/favicon.ico' })).statusCode).toBe(404)
  })

  it('says how to build the front end when web/dist is missing', async () => {
    const app = await appFor(join(dir.path, 'nothing-here'))
    const r = await app.inject({ url: '/' })
    expect(r.statusCode).toBe(200)
    expect(r.body).toContain('npm run build:web')
  })
})
