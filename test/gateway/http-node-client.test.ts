import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../core/ed25519.ts'
import { isSteleError, type SteleError } from '../../core/errors.ts'
import type { NodeApi } from '../../core/node-api.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { buildApp } from '../../node/api/app.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { nodeFixture } from '../helpers/node.ts'

describe('HTTP node client against the real node API', () => {
  let fx: Awaited<ReturnType<typeof nodeFixture>>
  let app: FastifyInstance
  let client: NodeApi
  let url: string

  beforeAll(async () => {
    fx = await nodeFixture()
    app = await buildApp({ node: fx.node, logger: false })
    url = await app.listen({ host: '127.0.0.1', port: 0 })
    client = createHttpNodeClient({ url: `${url}/`, timeoutMs: 5000 })
  })
  afterAll(async () => {
    await app.close()
    await fx.close()
  })

  it('reads info and a gateway tip', async () => {
    const info = await client.info()
    expect(info.chainId).toBe(fx.node.genesis.chainId)
    expect(info.genesis.chainId).toBe(info.chainId)
    const tip = await client.gatewayTip(fx.gw.key.publicKey)
    expect(tip).toMatchObject({ registered: true, nextSeq: 1, nextRecordSeq: 1, prevHash: '0'.repeat(64) })
  })

  it('submits batches, gets duplicates for resends, and a gap back as STELE_BATCH_GAP with details', async () => {
    const b1 = fx.gw.next(3)
    const b2 = fx.gw.next(2)
    expect((await client.submitBatches([b1, b2])).map((r) => [r.seq, r.status])).toEqual([
      [1, 'accepted'],
      [2, 'accepted'],
    ])
    expect((await client.submitBatches([b2])).map((r) => r.status)).toEqual(['duplicate'])
    fx.gw.next(1) // batch 3 sealed but never sent
    const b4 = fx.gw.next(1)
    const err = (await client.submitBatches([b4]).catch((e) => e)) as SteleError
    expect(isSteleError(err, 'STELE_BATCH_GAP')).toBe(true)
    expect(err.details).toMatchObject({ expectedSeq: 3, accepted: 0 })
    expect((await client.gatewayTip(fx.gw.key.publicKey)).nextSeq).toBe(3)
  })

  it('turns an unknown gateway into STELE_GATEWAY_UNKNOWN', async () => {
    const stranger = new BatchMaker(fx.node.genesis.chainId, { key: generateKeyPair() })
    const err = await client.submitBatches([stranger.next(1)]).catch((e) => e)
    expect(isSteleError(err, 'STELE_GATEWAY_UNKNOWN')).toBe(true)
    expect((await client.gatewayTip(stranger.key.publicKey)).registered).toBe(false)
  })
})

describe('HTTP node client failure modes', () => {
  let server: Server
  let base: string
  let answer: (res: import('node:http').ServerResponse) => void

  beforeAll(async () => {
    server = createServer((_req, res) => answer(res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('maps a non-Stele 5xx to STELE_UNAVAILABLE and a non-JSON body likewise', async () => {
    answer = (res) => res.writeHead(502, { 'content-type': 'application/json' }).end('{"oops":1}')
    const c = createHttpNodeClient({ url: base })
    expect(isSteleError(await c.info().catch((e) => e), 'STELE_UNAVAILABLE')).toBe(true)
    answer = (res) => res.writeHead(200).end('<html>')
    expect(isSteleError(await c.info().catch((e) => e), 'STELE_UNAVAILABLE')).toBe(true)
  })

  it('keeps an unknown error code as details, under STELE_CONFIG for a 4xx', async () => {
    answer = (res) => res.writeHead(404).end('{"error":{"code":"NOPE","message":"no such route"}}')
    const err = (await createHttpNodeClient({ url: base })
      .info()
      .catch((e) => e)) as SteleError
    expect(isSteleError(err, 'STELE_CONFIG')).toBe(true)
    expect(err.details).toMatchObject({ status: 404, code: 'NOPE' })
  })

  it('times out a silent node as STELE_UNAVAILABLE and passes the caller abort through', async () => {
    answer = () => undefined // never answers
    const c = createHttpNodeClient({ url: base, timeoutMs: 100 })
    const err = (await c.gatewayTip(new Uint8Array(32)).catch((e) => e)) as SteleError
    expect(isSteleError(err, 'STELE_UNAVAILABLE')).toBe(true)
    expect(err.message).toMatch(/timed out/)
    const ac = new AbortController()
    const pending = createHttpNodeClient({ url: base })
      .info({ signal: ac.signal })
      .catch((e) => e)
    ac.abort(new Error('caller gave up'))
    expect(((await pending) as Error).message).toBe('caller gave up')
  })

  it('falls back to the JSON body for good when a node older than the binary one answers 415', async () => {
    const seen: string[] = []
    answer = (res) => {
      if (res.req.method !== 'POST') return // a late request of an earlier test
      const type = String(res.req.headers['content-type'])
      seen.push(type)
      if (type !== 'application/json')
        res
          .writeHead(415, { 'content-type': 'application/json' })
          .end('{"error":{"code":"STELE_UNSUPPORTED_MEDIA_TYPE","message":"unsupported media type"}}')
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"results":[{"seq":1,"status":"accepted","txHash":"00"}]}')
    }
    const c = createHttpNodeClient({ url: base })
    const batch = { tx: new Uint8Array(1), records: new Uint8Array(1) }
    expect((await c.submitBatches([batch])).map((r) => r.status)).toEqual(['accepted'])
    expect((await c.submitBatches([batch])).map((r) => r.status)).toEqual(['accepted'])
    expect(seen).toEqual(['application/octet-stream', 'application/json', 'application/json'])
  })

  it('reports an unreachable node as STELE_UNAVAILABLE naming it', async () => {
    const dead = createServer()
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
    const port = (dead.address() as AddressInfo).port
    await new Promise<void>((r) => dead.close(() => r()))
    const err = (await createHttpNodeClient({ url: `http://127.0.0.1:${port}` })
      .submitBatches([{ tx: new Uint8Array(1), records: new Uint8Array(1) }])
      .catch((e) => e)) as SteleError
    expect(isSteleError(err, 'STELE_UNAVAILABLE')).toBe(true)
    expect(err.message).toContain(`127.0.0.1:${port}`)
  })
})
