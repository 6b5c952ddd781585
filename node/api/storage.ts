import { Readable } from 'node:stream'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { STORAGE_PROOF_FORMAT } from '../../core/storage-proof.ts'
import { fileEntry } from '../storage/drive-service.ts'
import { parseRange } from '../storage/range.ts'
import { cidParam, type FileStat } from '../storage/storage.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { intField } from './params.ts'

const cidParams = {
  type: 'object',
  required: ['cid'],
  properties: { cid: { type: 'string', minLength: 2, maxLength: 128, pattern: '^[A-Za-z0-9]+$' } },
} as const

const binary = (description: string) => ({ type: 'string', format: 'binary', description }) as const

const addResult = {
  type: 'object',
  properties: { cid: { type: 'string' }, size: { type: 'integer' }, blocks: { type: 'integer' } },
} as const

const statSchema = {
  type: 'object',
  properties: {
    cid: { type: 'string' },
    size: { type: 'integer' },
    type: { type: 'string', enum: ['raw', 'file'] },
    pinned: { type: 'boolean' },
    tsize: {
      type: 'integer',
      description: "bytes of the file's whole DAG (a directory link's Tsize; drive-put)",
    },
    uploadedAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
  },
} as const

const uploadSchema = {
  type: 'object',
  properties: {
    cid: { type: 'string' },
    size: { type: 'integer' },
    blocks: { type: 'integer' },
    at: { type: 'integer' },
  },
} as const

const pinSchema = {
  type: 'object',
  properties: { cid: { type: 'string' }, pinned: { type: 'boolean' } },
} as const

const proofSchema = {
  type: 'object',
  description: 'A byte-offset proof (docs/storage.md): nodes from the root down, then the raw leaf, base64.',
  properties: {
    format: { type: 'string', enum: [STORAGE_PROOF_FORMAT] },
    root: { type: 'string' },
    offset: { type: 'integer' },
    fileSize: { type: 'integer' },
    nodes: { type: 'array', items: { type: 'string' } },
    leaf: { type: 'string' },
  },
} as const

/** The stream a request body arrives as: the octet-stream parser below hands it through unread. */
const bodyStream = (body: unknown): AsyncIterable<Uint8Array> => {
  if (!body || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function')
    throw new SteleError('STELE_BAD_REQUEST', 'body: send the file as application/octet-stream')
  return body as AsyncIterable<Uint8Array>
}

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

function fileHeaders(reply: FastifyReply, stat: FileStat): void {
  reply.header('etag', `"${stat.cid}"`)
  reply.header('cache-control', 'public, max-age=31536000, immutable')
  reply.header('accept-ranges', 'bytes')
  reply.header('content-type', 'application/octet-stream')
  reply.header('x-content-type-options', 'nosniff')
}

/**
 * A file's bytes as the response body. Fastify pipes it into the socket, so it is pulled only as fast as the client
 * reads; two chunks buffered (not Readable.from's 16, 4 MiB of leaves) keep a download's memory near one leaf.
 */
const download = (bytes: AsyncIterable<Uint8Array>) => Readable.from(bytes, { highWaterMark: 2 })

/** What these routes use of the node. */
export type StorageComponents = Pick<ApiComponents, 'storage'>

/**
 * Content-addressed files (docs/storage.md): add and read (streamed, ranges), CAR export and import, byte-offset
 * proofs, uploads, pins and gc. Bodies of the two upload routes are streamed through, never buffered.
 */
export const storageRoutes: FastifyPluginAsync<{ node: StorageComponents }> = async (app, { node }) => {
  const { storage } = node
  // Encapsulated in this plugin: only these routes take octet-stream, and they read it as a stream.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
  app.addContentTypeParser('application/vnd.ipld.car', (_req, payload, done) => done(null, payload))
  const streamBody = {
    bodyLimit: storage.maxUploadBytes,
    // No whole-request deadline, an idle one (limits.ts installRequestDeadlines): a large upload takes its time.
    config: { streamingBody: true },
    // The body is a stream: the schema documents it, nothing validates it.
    validatorCompiler: () => () => true,
  }

  app.post(
    '/v1/storage/files',
    {
      ...streamBody,
      schema: {
        summary: 'Add a file (the body, streamed); its CID equals `ipfs add --cid-version 1 --raw-leaves`',
        body: { content: { 'application/octet-stream': { schema: binary('the file') } } },
        response: { 200: addResult, ...errorResponses() },
      },
    },
    async (req) => storage.add(bodyStream(req.body)),
  )

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/storage/files',
    {
      schema: {
        summary: 'Uploads this node holds, in CID order, with their time',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: intField(1, 1000, 100), cursor: { type: 'string', maxLength: 128 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: uploadSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const items = await storage.uploads(req.query.limit, req.query.cursor)
      return { items, nextCursor: items.length === req.query.limit ? (items.at(-1)?.cid ?? null) : null }
    },
  )

  app.get<{ Params: { cid: string } }>(
    '/v1/storage/files/:cid',
    {
      exposeHeadRoute: false,
      schema: {
        summary:
          'A file, streamed; one `Range` gives 206 (416 past the end); ETag is the CID, cached immutable',
        params: cidParams,
        headers: { type: 'object', properties: { range: { type: 'string' } } },
        response: {
          200: binary('the file'),
          206: binary('the requested range'),
          ...errorResponses('STELE_NOT_FOUND', 'STELE_RANGE_NOT_SATISFIABLE'),
        },
      },
    },
    async (req, reply) => {
      const cid = cidParam(req.params.cid)
      const stat = await storage.stat(cid)
      fileHeaders(reply, stat)
      if (req.headers['if-none-match'] === `"${stat.cid}"`) return reply.status(304).send()
      const range = parseRange(req.headers.range, stat.size)
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${stat.size}`)
        throw new SteleError(
          'STELE_RANGE_NOT_SATISFIABLE',
          `range ${req.headers.range} is past ${stat.size} bytes`,
          {
            details: { size: stat.size },
          },
        )
      }
      if (range) {
        const length = range.end - range.start + 1
        reply.status(206)
        reply.header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`)
        reply.header('content-length', length)
        return reply.send(download(await storage.cat(cid, { offset: range.start, length })))
      }
      reply.header('content-length', stat.size)
      return reply.send(download(await storage.cat(cid)))
    },
  )

  app.head<{ Params: { cid: string } }>(
    '/v1/storage/files/:cid',
    {
      schema: {
        summary: "A file's headers (size, ETag, caching) without its bytes",
        params: cidParams,
        response: { 200: { type: 'null' }, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      const stat = await storage.stat(cidParam(req.params.cid))
      fileHeaders(reply, stat)
      reply.header('content-length', stat.size)
      return reply.send()
    },
  )

  app.get<{ Params: { cid: string } }>(
    '/v1/storage/files/:cid/stat',
    {
      schema: {
        summary: "A file's size, DAG size, kind, pin and expiry",
        params: cidParams,
        response: { 200: statSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => {
      const cid = cidParam(req.params.cid)
      const stat = await storage.stat(cid)
      return { ...stat, tsize: (await fileEntry(storage, cid)).tsize }
    },
  )

  app.get<{ Params: { cid: string } }>(
    '/v1/storage/files/:cid/car',
    {
      schema: {
        summary: "The file's DAG as a CAR v1 (the root, then its blocks depth first)",
        params: cidParams,
        response: { 200: binary('CAR v1'), ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      const cid = cidParam(req.params.cid)
      const car = await storage.exportCar(cid)
      reply.header('content-type', 'application/vnd.ipld.car; version=1')
      reply.header('etag', `"${cid}.car"`)
      reply.header('content-disposition', `attachment; filename="${cid}.car"`)
      return reply.send(Readable.from(car))
    },
  )

  app.post(
    '/v1/storage/car',
    {
      ...streamBody,
      schema: {
        summary:
          'Import a CAR v1 (streamed); every block is checked against its CID, a bad one refuses it whole',
        body: {
          content: {
            'application/vnd.ipld.car': { schema: binary('CAR v1') },
            'application/octet-stream': { schema: binary('CAR v1') },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              roots: { type: 'array', items: { type: 'string' } },
              blocks: { type: 'integer' },
              bytes: { type: 'integer' },
            },
          },
          ...errorResponses('STELE_CAR_INVALID'),
        },
      },
    },
    async (req) => storage.importCar(bodyStream(req.body)),
  )

  app.get<{ Params: { cid: string }; Querystring: { offset: number } }>(
    '/v1/storage/files/:cid/proof',
    {
      schema: {
        summary: 'The raw leaf holding byte `offset` and the dag-pb nodes from the root down to it',
        params: cidParams,
        querystring: {
          type: 'object',
          required: ['offset'],
          additionalProperties: false,
          properties: { offset: intField(0, Number.MAX_SAFE_INTEGER) },
        },
        response: {
          200: proofSchema,
          ...errorResponses('STELE_NOT_FOUND', 'STELE_RANGE_NOT_SATISFIABLE'),
        },
      },
    },
    async (req) => {
      const cid = cidParam(req.params.cid)
      const p = await storage.proof(cid, req.query.offset)
      return {
        format: STORAGE_PROOF_FORMAT,
        root: cid.toString(),
        offset: p.offset,
        fileSize: p.fileSize,
        nodes: p.nodes.map(b64),
        leaf: b64(p.leaf),
      }
    },
  )

  app.get(
    '/v1/storage/pins',
    {
      schema: {
        summary: 'Pinned roots: kept by gc however old',
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: { type: 'object', properties: { cid: { type: 'string' }, at: { type: 'integer' } } },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ items: await storage.pins() }),
  )

  app.post<{ Params: { cid: string } }>(
    '/v1/storage/pins/:cid',
    {
      schema: {
        summary: 'Pin a stored root so gc keeps it',
        params: cidParams,
        response: { 200: pinSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => {
      const cid = cidParam(req.params.cid)
      await storage.pin(cid)
      return { cid: cid.toString(), pinned: true }
    },
  )

  app.delete<{ Params: { cid: string } }>(
    '/v1/storage/pins/:cid',
    {
      schema: {
        summary: 'Unpin a root; it expires like any upload',
        params: cidParams,
        response: { 200: pinSchema, ...errorResponses('STELE_NOT_FOUND') },
      },
    },
    async (req) => {
      const cid = cidParam(req.params.cid)
      if (!(await storage.unpin(cid))) throw new SteleError('STELE_NOT_FOUND', `${cid} is not pinned`)
      return { cid: cid.toString(), pinned: false }
    },
  )

  app.post(
    '/v1/storage/gc',
    {
      schema: {
        summary: 'Remove expired unpinned uploads and every block no kept root reaches',
        response: {
          200: {
            type: 'object',
            properties: {
              expiredUploads: { type: 'integer' },
              deletedBlocks: { type: 'integer' },
              deletedBytes: { type: 'integer' },
              keptBlocks: { type: 'integer' },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => storage.gc(),
  )
}
