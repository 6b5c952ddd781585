import { CarBufferWriter, CarReader } from '@ipld/car'
import type { FastifyInstance } from 'fastify'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyStorageProof } from '../../../core/storage-proof.ts'
import { buildApp } from '../../../node/api/app.ts'
import { CHUNK_SIZE } from '../../../node/storage/unixfs-options.ts'
import { kuboRandom } from '../../helpers/kubo-random.ts'
import { nodeFixture } from '../../helpers/node.ts'

const SIZE = 3 * CHUNK_SIZE + 1000
const file = Buffer.concat([...kuboRandom(SIZE, 'stele-http')])
let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let cid: string

beforeAll(async () => {
  fx = await nodeFixture()
  app = await buildApp({ node: fx.node, logger: false })
  const r = await app.inject({
    method: 'POST',
    url: '/v1/storage/files',
    headers: { 'content-type': 'application/octet-stream' },
    payload: file,
  })
  expect(r.statusCode).toBe(200)
  cid = r.json().cid
  expect(r.json()).toMatchObject({ size: SIZE, blocks: 5 })
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

describe('storage over HTTP', () => {
  it('serves the file whole with its ETag, immutable caching and length; HEAD has the headers only', async () => {
    const r = await get(`/v1/storage/files/${cid}`)
    expect(r.statusCode).toBe(200)
    expect(Buffer.compare(r.rawPayload, file)).toBe(0)
    expect(r.headers.etag).toBe(`"${cid}"`)
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(Number(r.headers['content-length'])).toBe(SIZE)
    const h = await app.inject({ method: 'HEAD', url: `/v1/storage/files/${cid}` })
    expect(h.statusCode).toBe(200)
    expect(Number(h.headers['content-length'])).toBe(SIZE)
    expect(h.rawPayload.length).toBe(0)
  })

  it('answers ranges across leaf boundaries with 206, and 416 past the end', async () => {
    for (const [range, start, end] of [
      [`bytes=${CHUNK_SIZE - 5}-${CHUNK_SIZE + 4}`, CHUNK_SIZE - 5, CHUNK_SIZE + 4],
      [`bytes=${SIZE - 10}-`, SIZE - 10, SIZE - 1],
      ['bytes=-7', SIZE - 7, SIZE - 1],
    ] as const) {
      const r = await get(`/v1/storage/files/${cid}`, { range })
      expect(r.statusCode, range).toBe(206)
      expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`)
      expect(Buffer.compare(r.rawPayload, file.subarray(start, end + 1))).toBe(0)
    }
    const bad = await get(`/v1/storage/files/${cid}`, { range: `bytes=${SIZE}-` })
    expect(bad.statusCode).toBe(416)
    expect(bad.json().error.code).toBe('STELE_RANGE_NOT_SATISFIABLE')
    expect(bad.headers['content-range']).toBe(`bytes */${SIZE}`)
  })

  it('answers 404 for an unknown CID and 400 for a bad one', async () => {
    const unknown = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    expect((await get(`/v1/storage/files/${unknown}`)).json().error.code).toBe('STELE_NOT_FOUND')
    const bad = await get('/v1/storage/files/notacid')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('STELE_BAD_REQUEST')
  })

  it('exports a CAR that imports into another node with the same CID and bytes', async () => {
    const car = await get(`/v1/storage/files/${cid}/car`)
    expect(car.statusCode).toBe(200)
    const reader = await CarReader.fromBytes(car.rawPayload)
    expect((await reader.getRoots()).map(String)).toEqual([cid])
    const other = await nodeFixture()
    const app2 = await buildApp({ node: other.node, logger: false })
    try {
      const r = await app2.inject({
        method: 'POST',
        url: '/v1/storage/car',
        headers: { 'content-type': 'application/vnd.ipld.car' },
        payload: car.rawPayload,
      })
      expect(r.statusCode).toBe(200)
      expect(r.json()).toMatchObject({ roots: [cid], blocks: 5 })
      const back = await app2.inject({ method: 'GET', url: `/v1/storage/files/${cid}` })
      expect(Buffer.compare(back.rawPayload, file)).toBe(0)
    } finally {
      await app2.close()
      await other.close()
    }
  })

  it('refuses a CAR with one corrupted block whole and stores none of its blocks', async () => {
    const car = (await get(`/v1/storage/files/${cid}/car`)).rawPayload
    const blocks = []
    for await (const b of (await CarReader.fromBytes(car)).blocks()) blocks.push(b)
    const other = await nodeFixture()
    const app2 = await buildApp({ node: other.node, logger: false })
    try {
      const before = { ...other.node.storage.stats }
      // The last leaf is corrupted: every block before it is valid and must not be kept either.
      const writer = CarBufferWriter.createWriter(new ArrayBuffer(car.length + 100), {
        roots: [CID.parse(cid)],
      })
      for (const [i, b] of blocks.entries()) {
        const bytes = Uint8Array.from(b.bytes)
        if (i === blocks.length - 1) bytes[0]! ^= 1
        writer.write({ cid: b.cid, bytes })
      }
      const r = await app2.inject({
        method: 'POST',
        url: '/v1/storage/car',
        headers: { 'content-type': 'application/vnd.ipld.car' },
        payload: Buffer.from(writer.close()),
      })
      expect(r.statusCode).toBe(422)
      expect(r.json().error.code).toBe('STELE_CAR_INVALID')
      expect(other.node.storage.stats).toEqual(before)
      for (const b of blocks) expect(await other.node.storage.blocks.has(b.cid)).toBe(false)
      let keys = 0
      for await (const _ of other.node.db.keys({ gte: 'c:', lt: 'c:\uffff' })) keys++
      expect(keys).toBe(0) // no block, no staging, no upload record
    } finally {
      await app2.close()
      await other.close()
    }
  })

  it('gives a byte-offset proof that verifies offline, and fails at a named check when a byte changes', async () => {
    for (const offset of [0, CHUNK_SIZE - 1, CHUNK_SIZE, SIZE - 1]) {
      const r = await get(`/v1/storage/files/${cid}/proof?offset=${offset}`)
      expect(r.statusCode).toBe(200)
      const p = r.json()
      const bundle = {
        offset,
        nodes: p.nodes.map((n: string) => new Uint8Array(Buffer.from(n, 'base64'))),
        leaf: new Uint8Array(Buffer.from(p.leaf, 'base64')),
      }
      const ok = verifyStorageProof(cid, offset, bundle)
      expect(ok.ok, ok.error).toBe(true)
      expect(bundle.leaf[ok.leafOffset!]).toBe(file[offset])
      const leaf = Uint8Array.from(bundle.leaf)
      leaf[0]! ^= 1
      expect(verifyStorageProof(cid, offset, { ...bundle, leaf }).checks.at(-1)?.name).toBe('leaf.hash')
      const node = Uint8Array.from(bundle.nodes[0])
      node[node.length - 1]! ^= 1
      const bad = verifyStorageProof(cid, offset, { ...bundle, nodes: [node] })
      expect(bad.ok).toBe(false)
      expect(bad.checks.at(-1)?.name).toBe('node.hash')
    }
    expect((await get(`/v1/storage/files/${cid}/proof?offset=${SIZE}`)).statusCode).toBe(416)
  })

  it('pins, lists pins and uploads, and reports bytes, blocks and pins in /metrics', async () => {
    expect((await app.inject({ method: 'POST', url: `/v1/storage/pins/${cid}` })).json()).toEqual({
      cid,
      pinned: true,
    })
    expect((await get('/v1/storage/pins')).json().items.map((p: { cid: string }) => p.cid)).toEqual([cid])
    expect((await get('/v1/storage/files')).json().items.map((u: { cid: string }) => u.cid)).toContain(cid)
    const m = (await get('/metrics')).payload
    expect(m).toMatch(/^stele_storage_pins 1$/m)
    expect(m).toMatch(/^stele_storage_blocks 5$/m)
    expect(m).toMatch(new RegExp(`^stele_storage_bytes ${fx.node.storage.stats.bytes}$`, 'm'))
    expect((await app.inject({ method: 'DELETE', url: `/v1/storage/pins/${cid}` })).json().pinned).toBe(false)
    expect((await app.inject({ method: 'DELETE', url: `/v1/storage/pins/${cid}` })).statusCode).toBe(404)
  })
})
