import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { type Asset, loadAssets } from './assets.ts'

const DEFAULT_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url))

// Scripts, styles and images from this node only (no CDN, no outside fonts); the page's API calls may go to the other
// nodes the chain lists, when it fails over (web/src/nodes.ts). uPlot sizes its canvas through element.style, which
// CSP does not count as inline style.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' http: https:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stele explorer</title></head>
<body><h1>Stele explorer</h1><p>The front end is not built: run <code>npm install</code> (or
<code>npm run build:web</code>) and restart the node. The API is at <a href="/v1/health">/v1</a>.</p></body></html>`

export interface ExplorerOptions {
  /** The built front end; web/dist by default. */
  dist?: string
  /** Passed by buildApp with every plugin's options; unused here. */
  node?: unknown
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string): FastifyReply {
  reply
    .header('content-type', asset.type)
    .header('cache-control', cache)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
  if (req.headers['if-none-match'] === asset.etag) return reply.status(304).send()
  if (asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
    return reply.header('content-encoding', 'gzip').send(asset.gzip)
  return reply.send(asset.body)
}

/**
 * Serves the explorer (web/dist): content-hashed assets cached for a year, and index.html (never cached without
 * revalidation) for `/` and every other GET that is not an API or asset path, so client routes deep-link.
 */
export const explorerRoutes: FastifyPluginAsync<ExplorerOptions> = async (app, opts) => {
  const assets = await loadAssets(opts.dist ?? DEFAULT_DIST)
  const index = assets.get('/index.html')
  if (!index) app.log.warn({ dist: opts.dist ?? DEFAULT_DIST }, 'explorer: web/dist is not built')

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!
    // An unknown API route or a missing file keeps the API's 404, which the front end reads as "not on this node".
    if (path === '/v1' || path.startsWith('/v1/') || /\.[a-z0-9]+$/i.test(path))
      throw new SteleError('STELE_NOT_FOUND', `no route ${req.method} ${path}`)
    reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer')
    if (!index)
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT)
    return send(req, reply, index, 'no-cache')
  }

  const html = { description: 'the explorer page', content: { 'text/html': { schema: { type: 'string' } } } }
  app.get(
    '/assets/*',
    {
      schema: {
        summary: 'Explorer assets (content-hashed, cached for a year, gzipped when accepted)',
        tags: ['explorer'],
        response: {
          200: {
            description: 'a script or stylesheet',
            content: {
              'text/javascript': { schema: { type: 'string' } },
              'text/css': { schema: { type: 'string' } },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const path = req.url.split('?')[0]!
      const asset = assets.get(path)
      if (!asset) throw new SteleError('STELE_NOT_FOUND', `no asset ${path}`)
      return send(req, reply, asset, 'public, max-age=31536000, immutable')
    },
  )
  app.get(
    '/',
    {
      schema: { summary: 'The explorer (web/dist/index.html)', tags: ['explorer'], response: { 200: html } },
    },
    page,
  )
  app.get(
    '/*',
    {
      schema: {
        summary:
          'The explorer for its client routes (/devices/:device, /blocks/:height, /tx/:hash, /accounts/:key, /wallet, /faucet, /storage/:cid, /drives/:id, /contracts/:id, ...); unknown /v1 paths 404',
        tags: ['explorer'],
        response: { 200: html },
      },
    },
    page,
  )
}
