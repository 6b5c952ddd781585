import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../../core/error-codes.ts'
import { buildApp } from '../../../node/api/app.ts'
import { nodeFixture } from '../../helpers/node.ts'

type Doc = {
  openapi: string
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; parameters?: unknown[] }>>
  components?: { schemas?: Record<string, unknown> }
}

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let doc: Doc
/** Every route the app serves, collected as it is registered (the ground truth the document is checked against). */
const routes: { method: string; url: string }[] = []

beforeAll(async () => {
  fx = await nodeFixture()
  const gateway = async (a: FastifyInstance) => {
    a.get('/v1/gateway', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}))
  }
  app = await buildApp({ node: fx.node, logger: false, plugins: [gateway] })
  // printRoutes draws the router's tree; a line's segment continues its parent's path (4 columns per level, the root at 4).
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = line.match(/^([│├└─\s]*)(\S+)(?: \(([A-Z, ]+)\))?$/)
    if (!m) continue
    const depth = m[1]!.length / 4 - 1
    const url = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!
    stack[depth] = url
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, url })
  }
  const r = await app.inject({ method: 'GET', url: '/docs/json' })
  expect(r.statusCode).toBe(200)
  doc = r.json()
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

/** fastify's `/a/:b` and `/a/*` as OpenAPI writes them. */
const toOpenApi = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*/g, '{*}')

describe('OpenAPI document at /docs/json', () => {
  it('is a valid OpenAPI 3 document (schema check) whose every $ref resolves', async () => {
    expect(doc.openapi).toMatch(/^3\./)
    // A maintained validator of the OpenAPI 3.0/3.1 JSON schemas (ajv underneath, as fastify uses).
    const result = await new Validator().validate(doc as never)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    const text = JSON.stringify(doc)
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const path = ref!.replace(/^#\//, '').split('/')
      let at: unknown = doc
      for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part]
      expect(at, `${ref} does not resolve`).toBeDefined()
    }
  })

  it('lists every route the node serves', () => {
    expect(routes.length).toBeGreaterThan(20)
    const docRoutes = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    )
    const missing = routes
      .filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs'))
      .map((r) => `${r.method} ${toOpenApi(r.url)}`)
      .filter((r) => !docRoutes.has(r))
    expect(missing).toEqual([])
    expect(docRoutes).toContain('GET /v1/gateway')
  })

  it('gives every /v1 and /metrics route a response schema and lists the error statuses it answers', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1') && path !== '/metrics') continue
      for (const [method, op] of Object.entries(ops)) {
        if (path === '/v1/gateway') continue // the test's own plugin
        const statuses = Object.keys(op.responses ?? {})
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '500']))
        if (path !== '/v1/stream') expect(statuses, `${method} ${path}`).toContain('200')
        for (const s of statuses.filter((x) => Number(x) >= 400))
          expect(JSON.stringify(op.responses![s]), `${method} ${path} ${s}`).toContain(
            '#/components/schemas/SteleError',
          )
      }
    }
    const readings = doc.paths['/v1/devices/{device}/readings']!.get!
    expect(Object.keys(readings.responses!)).toEqual(expect.arrayContaining(['200', '400', '404']))
    expect(Object.keys(doc.paths['/v1/readings/{id}/proof']!.get!.responses!)).toContain('409')
    expect(Object.keys(doc.paths['/v1/verify']!.post!.responses!)).toContain('422')
    expect(Object.keys(doc.paths['/v1/batches']!.post!.responses!)).toEqual(
      expect.arrayContaining(['401', '403', '409', '413', '422', '429', '503']),
    )
  })

  it('documents every error code in the one error schema and in docs/errors.md', async () => {
    const schema = doc.components?.schemas?.SteleError as {
      properties: { error: { properties: { code: { enum: string[] } } } }
    }
    const codes = Object.keys(ERROR_CODES)
    expect(schema.properties.error.properties.code.enum.sort()).toEqual([...codes].sort())
    const md = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    for (const code of codes) expect(md, code).toContain(`\`${code}\``)
  })

  it('serves the UI at /docs', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/' })
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-type']).toContain('text/html')
  })
})
