import type { FastifyPluginAsync } from 'fastify'
import { BATCH_BODY_TYPE, decodeBatchBody, MAX_BATCHES_PER_BODY } from '../../core/batch-body.ts'
import { fromHex } from '../../core/bytes.ts'
import type { SubmittedBatch } from '../../core/node-api.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { HEX32 } from './params.ts'

/** What a signed write can be refused for (docs/errors.md). */
const WRITE_ERRORS = [
  'STELE_BAD_ENCODING',
  'STELE_CHAIN_MISMATCH',
  'STELE_BAD_SIGNATURE',
  'STELE_GATEWAY_UNKNOWN',
  'STELE_NOT_AUTHORIZED',
  'STELE_BATCH_GAP',
  'STELE_BATCH_CONFLICT',
  'STELE_BATCH_INVALID',
  'STELE_TX_TOO_LARGE',
  'STELE_TX_INVALID',
  'STELE_RATE_LIMITED',
  'STELE_UNAVAILABLE',
] as const

const tipSchema = {
  type: 'object',
  properties: {
    registered: { type: 'boolean' },
    nextSeq: { type: 'integer' },
    prevHash: { type: 'string' },
    nextRecordSeq: { type: 'integer' },
  },
} as const

const BASE64 = '^[A-Za-z0-9+/=]+$'

/** What these routes use of the node. */
export type BatchComponents = Pick<ApiComponents, 'gatewayTip' | 'state' | 'submitBatches'>

/** The gateway write path: signed batches in, and each gateway's tip so a restarted gateway can reconcile. */
export const batchRoutes: FastifyPluginAsync<{ node: BatchComponents; batchBodyLimit: number }> = async (
  app,
  { node, batchBodyLimit },
) => {
  // The binary body (core/batch-body.ts): decoded here, before the handler; views of the one body buffer.
  app.addContentTypeParser(BATCH_BODY_TYPE, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeBatchBody(body as Buffer))
    } catch (e) {
      done(e as Error, undefined)
    }
  })

  app.post<{ Body: { batches: { tx: string; records: string }[] } | SubmittedBatch[] }>(
    '/v1/batches',
    {
      bodyLimit: batchBodyLimit,
      schema: {
        summary:
          'Signed record batches from a gateway, in sequence order; idempotent. JSON {batches: [{tx, records}]} in base64, or the same as bytes (application/octet-stream, docs/protocol.md §9.7.3)',
        response: {
          200: {
            type: 'object',
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    seq: { type: 'integer' },
                    status: { type: 'string', enum: ['accepted', 'duplicate'] },
                    txHash: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errorResponses(...WRITE_ERRORS),
        },
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['batches'],
                additionalProperties: false,
                properties: {
                  batches: {
                    type: 'array',
                    minItems: 1,
                    maxItems: MAX_BATCHES_PER_BODY,
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
            [BATCH_BODY_TYPE]: {
              // No type: the parser above has decoded the bytes (docs/protocol.md §9.7.3) before validation.
              schema: { description: 'per batch: var32 transaction, var32 record list (binary)' },
            },
          },
        },
      },
    },
    async (req) => {
      const body = req.body
      const batches = Array.isArray(body)
        ? body
        : body.batches.map((b) => ({
            tx: new Uint8Array(Buffer.from(b.tx, 'base64')),
            records: new Uint8Array(Buffer.from(b.records, 'base64')),
          }))
      return { results: await node.submitBatches(batches) }
    },
  )

  // POST /v1/transactions (any signed transaction but a batch) is in ledger.ts: one pipeline for every type.

  app.get<{ Params: { key: string } }>(
    '/v1/gateways/:key',
    {
      schema: {
        summary:
          "A gateway's tip: the batch sequence, previous hash and record sequence the node expects next",
        params: { type: 'object', properties: { key: { type: 'string', pattern: HEX32 } } },
        response: { 200: tipSchema, ...errorResponses() },
      },
    },
    async (req) => node.gatewayTip(fromHex(req.params.key, 'key', 32)),
  )

  app.get(
    '/v1/gateways',
    {
      schema: {
        summary: 'Gateways registered on chain',
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ items: [...node.state.gateways.values()] }),
  )
}
