import type { FastifyInstance } from 'fastify'

/**
 * Cross-origin calls (issue 17, discovery): an explorer served by one node reads from and submits to another node of
 * the chain when its own fails. The API is public and takes no credentials (writes are signed), so any origin may call
 * it: every answer says so (the SSE stream copies the header onto its hijacked reply), and the preflight of a POST
 * is answered by a documented route. (@fastify/cors always adds an undocumented `OPTIONS *` route, which the
 * OpenAPI check refuses; with one fixed origin policy a hook and a route are all it would do.)
 */
export function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('access-control-allow-origin', '*')
  })
  app.options(
    '/*',
    {
      schema: {
        summary: 'CORS preflight: any origin may call the API, without credentials',
        tags: ['cors'],
        response: {
          204: { description: 'the methods and headers a cross-origin call may use', type: 'null' },
        },
      },
    },
    async (req, reply) => {
      const asked = req.headers['access-control-request-headers']
      return reply
        .header('access-control-allow-methods', 'GET, HEAD, POST')
        .header('access-control-allow-headers', typeof asked === 'string' ? asked : 'accept, content-type')
        .header('access-control-max-age', '600')
        .header('vary', 'access-control-request-headers')
        .status(204)
        .send()
    },
  )
}
