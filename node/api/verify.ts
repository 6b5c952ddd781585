import type { FastifyPluginAsync } from 'fastify'
import { toHex } from '../../core/bytes.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import type { SteleNode } from '../node.ts'

/** POST /v1/verify runs the same verifier as `stele verify`, trusting this node's genesis. */
export const verifyRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.post<{ Body: ProofBundle }>(
    '/v1/verify',
    {
      schema: { body: { type: 'object', required: ['format'], properties: { format: { type: 'string' } } } },
    },
    async (req, reply) => {
      const result = verifyProof(req.body, node.genesis)
      const body = {
        ok: result.ok,
        checks: result.checks,
        error: result.error ?? null,
        block: result.block ?? null,
        record: result.record ? { ...result.record, gateway: toHex(result.record.gateway) } : null,
      }
      return reply.status(result.ok ? 200 : 422).send(body)
    },
  )
}
