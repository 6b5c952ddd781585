import type { FastifyPluginAsync } from 'fastify'
import { CID } from 'multiformats/cid'
import { decodeBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { type DriveState, decodeDriveState, decodeKeyList } from '../../core/drive-state.ts'
import { SteleError } from '../../core/errors.ts'
import { encodeStateProof } from '../../core/state-map.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { SteleNode } from '../node.ts'
import { driveKey, OPEN_DRIVES_KEY } from '../storage/drive-rules.ts'
import { errorResponses } from './error-schema.ts'
import { HEX32, intField } from './params.ts'

/** Drives (docs/storage.md "Drives"): the open ones, one with its files and challenge record, and its state proof. */

const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const replicatorSchema = {
  type: 'object',
  required: ['key', 'passed', 'failed', 'missed', 'answered', 'paid'],
  properties: { key: str, passed: int, failed: int, missed: int, answered: int, paid: str },
} as const
const fileSchema = {
  type: 'object',
  required: ['name', 'cid', 'size', 'tsize'],
  properties: { name: str, cid: str, size: int, tsize: int },
} as const
const replicaSchema = {
  type: 'object',
  required: ['held', 'missingBlocks', 'fetching'],
  description:
    "this node's copy of the drive's files, present when this node is one of its replicators (docs/network.md §Storage across nodes)",
  properties: {
    held: { type: 'boolean', description: 'every block of every file is stored here' },
    missingBlocks: {
      ...int,
      description: 'blocks known missing (children of a missing node are not known yet)',
    },
    fetching: { type: 'boolean', description: 'a fetch from peers is queued or under way' },
    lastFetchError: { type: 'string', description: 'why the last fetch failed, while blocks are missing' },
  },
} as const
export const driveSchema = {
  type: 'object',
  required: ['id', 'status', 'owner', 'capacity', 'used', 'replicas', 'period', 'duration', 'start', 'end'],
  properties: {
    id: str,
    status: { type: 'string', enum: ['pending', 'active', 'closed', 'expired'] },
    owner: str,
    capacity: int,
    used: int,
    replicas: int,
    period: int,
    duration: int,
    start: int,
    end: int,
    price: { type: 'string', description: 'base units per block per replica' },
    escrow: { type: 'string', description: 'what is left of the escrow, base units' },
    root: { type: 'string', description: "CID of the drive's UnixFS directory" },
    files: { type: 'array', items: fileSchema },
    replicators: { type: 'array', items: replicatorSchema },
    challenge: {
      type: 'object',
      properties: { height: int, seed: str },
      description: 'the open challenge (height 0: none)',
    },
  },
} as const

function driveJson(id: Uint8Array, d: DriveState) {
  return {
    id: toHex(id),
    status: d.status,
    owner: toHex(d.owner),
    capacity: d.capacity,
    used: d.used,
    replicas: d.replicas,
    period: d.period,
    duration: d.duration,
    start: d.start,
    end: d.end,
    price: d.price.toString(),
    escrow: d.escrow.toString(),
    root: CID.decode(d.root).toString(),
    files: d.files.map((f) => ({
      name: f.name,
      cid: CID.decode(f.cid).toString(),
      size: f.size,
      tsize: f.tsize,
    })),
    replicators: d.replicators.map((r) => ({ ...r, key: toHex(r.key), paid: r.paid.toString() })),
    challenge: { height: d.challenge.height, seed: toHex(d.challenge.seed) },
  }
}

function needLedger(node: SteleNode): Ledger {
  if (!node.ledger) throw new SteleError('STELE_UNAVAILABLE', 'this chain has no ledger (version 1 genesis)')
  return node.ledger
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      pattern: HEX32,
      description: "the drive's id: the hash of its drive-create transaction",
    },
  },
} as const

export const driveRoutes: FastifyPluginAsync<{ node: SteleNode }> = async (app, { node }) => {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/drives',
    {
      schema: {
        summary: 'Open drives (pending and active), in id order, paginated',
        querystring: {
          type: 'object',
          properties: {
            limit: intField(1, 100, 20),
            cursor: { type: 'string', pattern: HEX32, description: 'the last id of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['drives'],
            properties: { drives: { type: 'array', items: driveSchema }, nextCursor: str },
          },
          ...errorResponses('STELE_UNAVAILABLE'),
        },
      },
    },
    async (req) => {
      const ledger = needLedger(node)
      const index = await ledger.map.get(OPEN_DRIVES_KEY)
      const ids = (index ? decodeKeyList(index) : []).filter(
        (id) => !req.query.cursor || toHex(id) > req.query.cursor,
      )
      const page = ids.slice(0, req.query.limit)
      const drives = []
      for (const id of page) {
        const v = await ledger.map.get(driveKey(id))
        if (v) drives.push(driveJson(id, decodeDriveState(v)))
      }
      return ids.length > page.length ? { drives, nextCursor: toHex(page.at(-1)!) } : { drives }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/drives/:id',
    {
      schema: {
        summary:
          "A drive: owner, terms, files, each replicator's passed, failed and missed challenges, and this node's replica",
        params: idParams,
        response: {
          200: { ...driveSchema, properties: { ...driveSchema.properties, replica: replicaSchema } },
          ...errorResponses('STELE_DRIVE_UNKNOWN', 'STELE_UNAVAILABLE'),
        },
      },
    },
    async (req) => {
      const id = fromHex(req.params.id, 'id', 32)
      const v = await needLedger(node).map.get(driveKey(id))
      if (!v) throw new SteleError('STELE_DRIVE_UNKNOWN', `no drive ${req.params.id}`)
      const d = decodeDriveState(v)
      const replica = await node.drives?.replica(id, d)
      return { ...driveJson(id, d), ...(replica ? { replica } : {}) }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/drives/:id/proof',
    {
      schema: {
        summary:
          "The drive's leaf (or its absence) with its state proof against the state root of the latest signed block",
        params: idParams,
        response: {
          200: {
            type: 'object',
            required: ['key', 'stateProof', 'height', 'stateRoot', 'blockHeader', 'blockSignature'],
            properties: {
              key: { type: 'string', description: 'state key: SHA-256(0x04 ‖ id)' },
              value: {
                type: ['string', 'null'],
                description: 'the drive state bytes (hex), null when absent',
              },
              stateProof: { type: 'string', description: 'docs/protocol.md §9.3 encoding (hex)' },
              height: int,
              stateRoot: str,
              blockHeader: str,
              blockSignature: str,
            },
          },
          ...errorResponses('STELE_UNAVAILABLE'),
        },
      },
    },
    async (req) => {
      const ledger = needLedger(node)
      const id = fromHex(req.params.id, 'id', 32)
      return ledger.exclusive(async () => {
        const { height } = node.state.tip
        if (height === 0) throw new SteleError('STELE_UNAVAILABLE', 'no block yet; ask after the first block')
        const block = await node.query.storedBlock(height)
        if (!block) throw new SteleError('STELE_STORAGE', `block ${height} is missing`)
        const key = driveKey(id)
        const { value, proof } = await ledger.map.prove(key)
        return {
          key: toHex(key),
          value: value ? toHex(value) : null,
          stateProof: toHex(encodeStateProof(proof)),
          height,
          stateRoot: toHex(decodeBlockHeader(block.header).stateRoot!),
          blockHeader: toHex(block.header),
          blockSignature: toHex(block.signature),
        }
      })
    },
  )
}
