import type { FastifyPluginAsync } from 'fastify'
import { fromHex } from '../../core/bytes.ts'
import type { SteleNode } from '../node.ts'
import { HEX32 } from './params.ts'

const BASE64 = '^[A-Za-z0-9+/=]+$'

/** The gateway write path: signed batches in, and each gateway's tip so a restarted gateway can reconcile. */
export const batchRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.post<{ Body: { batches: { tx: string; records: string }[] } }>(
    '/v1/batches',
    {
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        body: {
          type: 'object',
          required: ['batches'],
          additionalProperties: false,
          properties: {
            batches: {
              type: 'array',
              minItems: 1,
              maxItems: 1000,
              items: {
                type: 'object',
                required: ['tx', 'records'],
                additionalProperties: false,
                properties: {
                  tx: { type: 'string', pattern: BASE64 },
                  records: { type: 'string', pattern: BASE64 },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const batches = req.body.batches.map((b) => ({
        tx: new Uint8Array(Buffer.from(b.tx, 'base64')),
        records: new Uint8Array(Buffer.from(b.records, 'base64')),
      }))
      return { results: await node.submitBatches(batches) }
    },
  )

  app.post<{ Body: { tx: string } }>(
    '/v1/transactions',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tx'],
          additionalProperties: false,
          properties: { tx: { type: 'string', pattern: BASE64 } },
        },
      },
    },
    async (req) => node.ingest.submitTx(new Uint8Array(Buffer.from(req.body.tx, 'base64'))),
  )

  app.get<{ Params: { key: string } }>(
    '/v1/gateways/:key',
    { schema: { params: { type: 'object', properties: { key: { type: 'string', pattern: HEX32 } } } } },
    async (req) => node.gatewayTip(fromHex(req.params.key, 'key', 32)),
  )

  app.get('/v1/gateways', async () => ({ items: [...node.state.gateways.values()] }))
}
