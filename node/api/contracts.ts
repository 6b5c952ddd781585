import type { FastifyPluginAsync } from 'fastify'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { ContractService } from '../executor/service.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { HEX32, intField } from './params.ts'

const idParams = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: HEX32, description: 'The contract id: its deploy transaction hash' },
  },
} as const

const filterSchema = {
  type: 'object',
  properties: {
    devices: { type: 'array', items: { type: 'string' } },
    sensors: { type: 'array', items: { type: 'string' } },
    gateways: { type: 'array', items: { type: 'string' } },
  },
} as const

const summarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    owner: { type: 'string' },
    codeCid: { type: 'string' },
    height: { type: 'integer', description: 'Height of the deploy block' },
    gasLimit: { type: 'integer' },
    filter: filterSchema,
    lastHeight: { type: 'integer', description: 'Height of the last block run' },
    results: { type: 'integer' },
    stateRoot: { type: 'string' },
    pendingCalls: { type: 'integer' },
  },
} as const

const contractSchema = {
  type: 'object',
  properties: {
    ...summarySchema.properties,
    state: {
      type: 'object',
      additionalProperties: true,
      description: 'The contract state as of the last block',
    },
    calls: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          hash: { type: 'string' },
          caller: { type: 'string' },
          fn: { type: 'string' },
          args: {},
          gas: { type: 'integer' },
        },
      },
    },
    mismatches: { type: 'integer', description: 'Evidence records this node keeps for the contract' },
  },
} as const

const eventSchema = {
  type: 'object',
  properties: {
    contract: { type: 'string' },
    height: { type: 'integer' },
    result: { type: 'string', description: 'Hash of the contract-result transaction' },
    index: { type: 'integer' },
    name: { type: 'string' },
    data: {},
  },
} as const

const resultSchema = {
  type: 'object',
  properties: {
    hash: { type: 'string' },
    contract: { type: 'string' },
    height: { type: 'integer' },
    blockHash: { type: 'string' },
    call: { type: ['string', 'null'] },
    executor: { type: 'string' },
    inputsHash: { type: 'string' },
    stateRootBefore: { type: 'string' },
    stateRootAfter: { type: 'string' },
    eventsHash: { type: 'string' },
    gasUsed: { type: 'integer' },
    status: { type: 'string', enum: ['ok', 'out-of-gas', 'error'] },
    message: { type: 'string' },
    events: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, data: {} } } },
  },
} as const

const hashesSchema = {
  type: 'object',
  properties: {
    inputsHash: { type: 'string' },
    stateRootAfter: { type: 'string' },
    eventsHash: { type: 'string' },
    gasUsed: { type: 'integer' },
    status: { type: 'string' },
  },
} as const

const evidenceSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: { type: 'integer' },
    contract: { type: 'string' },
    height: { type: 'integer' },
    executor: { type: 'string' },
    tx: { type: 'string', description: 'The signed result transaction, hex' },
    claimed: hashesSchema,
    recomputed: hashesSchema,
  },
} as const

const pageQuery = {
  type: 'object',
  properties: { limit: intField(1, 500, 50), cursor: { type: 'string', maxLength: 200 } },
} as const

const page = (items: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items }, cursor: { type: ['string', 'null'] } },
  }) as const

/** What these routes use of the node. */
export type ContractComponents = Pick<ApiComponents, 'contracts'>

function service(node: ContractComponents): ContractService {
  if (!node.contracts)
    throw new SteleError('STELE_UNAVAILABLE', 'this chain has no ledger, so no contracts (genesis version 1)')
  return node.contracts
}

async function found(s: ContractService, id: string) {
  const e = await s.entry(id)
  if (!e) throw new SteleError('STELE_NOT_FOUND', `no contract ${id}`)
  return e
}

function summary(id: string, e: NonNullable<Awaited<ReturnType<ContractService['entry']>>>) {
  return {
    id,
    name: e.name,
    owner: toHex(e.owner),
    codeCid: e.codeCid,
    height: e.height,
    gasLimit: e.gasLimit,
    filter: { devices: e.filter.devices, sensors: e.filter.sensors, gateways: e.filter.gateways.map(toHex) },
    lastHeight: e.lastHeight,
    results: e.results,
    stateRoot: toHex(e.stateRoot),
    pendingCalls: e.calls.length,
  }
}

/** Contracts (docs/contracts.md §9): deployed contracts, their state, results, events and mismatch evidence. */
export const contractRoutes: FastifyPluginAsync<{ node: ContractComponents }> = async (app, { node }) => {
  app.get(
    '/v1/contracts',
    {
      schema: {
        summary: 'Deployed contracts, in id order',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: summarySchema } } },
          ...errorResponses('STELE_UNAVAILABLE'),
        },
      },
    },
    async () => {
      const s = service(node)
      const items = []
      for (const { id } of s.list()) {
        const e = await s.entry(id)
        if (e) items.push(summary(id, e))
      }
      return { items }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/contracts/:id',
    {
      schema: {
        summary: 'One contract: code CID, trigger filter, gas limit, state and its root, calls waiting',
        params: idParams,
        response: { 200: contractSchema, ...errorResponses('STELE_NOT_FOUND', 'STELE_UNAVAILABLE') },
      },
    },
    async (req) => {
      const s = service(node)
      const e = await found(s, req.params.id)
      return {
        ...summary(req.params.id, e),
        state: JSON.parse(e.state),
        calls: e.calls.map((c) => ({
          hash: toHex(c.hash),
          caller: toHex(c.caller),
          fn: c.fn,
          args: JSON.parse(c.args),
          gas: c.gas,
        })),
        mismatches: (await s.evidence(req.params.id)).length,
      }
    },
  )

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/contracts/:id/results',
    {
      schema: {
        summary: "A contract's confirmed results, newest first",
        params: idParams,
        querystring: pageQuery,
        response: { 200: page(resultSchema), ...errorResponses('STELE_NOT_FOUND', 'STELE_UNAVAILABLE') },
      },
    },
    async (req) => {
      const s = service(node)
      await found(s, req.params.id)
      const r = await s.results(req.params.id, req.query.limit, req.query.cursor)
      return { items: r.items, cursor: r.next }
    },
  )

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/contracts/:id/events',
    {
      schema: {
        summary:
          "A contract's events from its confirmed results, newest result first (events in emission order)",
        params: idParams,
        querystring: pageQuery,
        response: { 200: page(eventSchema), ...errorResponses('STELE_NOT_FOUND', 'STELE_UNAVAILABLE') },
      },
    },
    async (req) => {
      const s = service(node)
      await found(s, req.params.id)
      const r = await s.results(req.params.id, req.query.limit, req.query.cursor)
      const items = r.items.flatMap((x) =>
        x.events.map((e, index) => ({ contract: x.contract, height: x.height, result: x.hash, index, ...e })),
      )
      return { items, cursor: r.next }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/contracts/:id/evidence',
    {
      schema: {
        summary:
          "Results of the contract whose hashes differed from this node's re-execution, with both hashes",
        params: idParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: evidenceSchema } } },
          ...errorResponses('STELE_NOT_FOUND', 'STELE_UNAVAILABLE'),
        },
      },
    },
    async (req) => ({ items: await service(node).evidence(req.params.id) }),
  )
}
