import type { FastifyPluginAsync } from 'fastify'
import {
  type AccountProofBundle,
  isAccountProofBundle,
  verifyAccountProof,
} from '../../core/account-proof.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { ProofBundle } from '../../core/proof.ts'
import { isStorageProofJson, verifyStorageProofJson } from '../../core/storage-proof.ts'
import { verifyProof } from '../../core/verify-proof.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { proofBundleSchema } from './readings.ts'

const checksSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: { name: { type: 'string' }, ok: { type: 'boolean' }, message: { type: 'string' } },
  },
} as const

/** What these routes use of the node. */
export type VerifyComponents = Pick<ApiComponents, 'genesis'>

/**
 * POST /v1/verify runs the same verifier as `stele verify`, trusting this node's genesis. A proof that verifies is a
 * 200 `{ok:true, checks, block, record}`; one that fails is a 422 STELE_PROOF_INVALID in the one error shape, whose
 * details name the failed check and list every check run (docs/errors.md).
 */
export const verifyRoutes: FastifyPluginAsync<{ node: VerifyComponents }> = async (app, { node }) => {
  app.post<{ Body: ProofBundle | AccountProofBundle }>(
    '/v1/verify',
    {
      schema: {
        summary:
          "Verifies a proof bundle (a reading's, stele-proof/1, an account's, stele-account-proof/1, against this node's genesis; or a file's byte, stele-storage-proof/1, against the CID it names)",
        body: proofBundleSchema,
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean', enum: [true] },
              checks: checksSchema,
              block: { type: ['object', 'null'], additionalProperties: true },
              record: { type: ['object', 'null'], additionalProperties: true },
              account: { type: ['object', 'null'], additionalProperties: true },
              storage: { type: ['object', 'null'], additionalProperties: true },
            },
          },
          ...errorResponses('STELE_PROOF_INVALID'),
        },
      },
    },
    async (req) => {
      if (isStorageProofJson(req.body)) {
        const r = verifyStorageProofJson(req.body)
        if (!r.ok) {
          const failed = r.checks.find((c) => !c.ok)
          throw new SteleError('STELE_PROOF_INVALID', r.error ?? 'the proof failed a check', {
            details: { failedCheck: failed?.name ?? null, checks: r.checks },
          })
        }
        return {
          ok: true,
          checks: r.checks,
          block: null,
          record: null,
          account: null,
          storage: { root: r.root, offset: r.offset, fileSize: r.fileSize, leaf: r.leafCid },
        }
      }
      if (isAccountProofBundle(req.body)) {
        const r = verifyAccountProof(req.body, node.genesis)
        if (!r.ok) {
          const failed = r.checks.find((c) => !c.ok)
          throw new SteleError('STELE_PROOF_INVALID', r.error ?? 'the proof failed a check', {
            details: { failedCheck: failed?.name ?? null, checks: r.checks },
          })
        }
        const s = r.state
        return {
          ok: true,
          checks: r.checks,
          block: r.block ?? null,
          record: null,
          account: {
            account: r.account,
            present: s !== null,
            balance: (s?.balance ?? 0n).toString(),
            nonce: s?.nonce ?? 0,
            roles: s?.roles ?? 0,
          },
          storage: null,
        }
      }
      const result = verifyProof(req.body as ProofBundle, node.genesis)
      if (!result.ok) {
        const failed = result.checks.find((c) => !c.ok)
        throw new SteleError('STELE_PROOF_INVALID', result.error ?? 'the proof failed a check', {
          details: { failedCheck: failed?.name ?? null, checks: result.checks },
        })
      }
      return {
        ok: true,
        checks: result.checks,
        block: result.block ?? null,
        record: result.record ? { ...result.record, gateway: toHex(result.record.gateway) } : null,
        account: null,
        storage: null,
      }
    },
  )
}
