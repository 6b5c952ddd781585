import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync } from 'fastify'
import type { SteleNode } from '../node.ts'

const page = new URL('./index.html', import.meta.url)

/** GET / serves the explorer: one static page that reads the /v1 API from the browser. */
export const explorerRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app) => {
  const html = await readFile(page, 'utf8')
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html))
}
