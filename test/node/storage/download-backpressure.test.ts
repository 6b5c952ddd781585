import { get as httpGet, type IncomingMessage } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { errorSchema } from '../../../node/api/error-schema.ts'
import { storageRoutes } from '../../../node/api/storage.ts'
import { CHUNK_SIZE } from '../../../node/storage/unixfs-options.ts'
import { until } from '../../helpers/wait.ts'
import { storageFixture } from './fixture.ts'

// 64 MiB of zeros: 256 reads of one stored leaf (stored once, so the add is quick), far more than the socket holds.
const LEAVES = 256
let fx: Awaited<ReturnType<typeof storageFixture>>
let app: FastifyInstance
let url: string
let cid: string

beforeAll(async () => {
  fx = await storageFixture()
  const zeros = new Uint8Array(CHUNK_SIZE)
  cid = (
    await fx.storage.add(
      (async function* () {
        for (let i = 0; i < LEAVES; i++) yield zeros
      })(),
    )
  ).cid
  app = Fastify()
  app.addSchema(errorSchema)
  await app.register(storageRoutes, { node: { storage: fx.storage } })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

/** Resolves once `count()` has not changed for `quietMs` (the server has stopped reading). */
function settled(count: () => number, what: string, quietMs = 300): Promise<number> {
  let last = -1
  let since = 0
  return until(
    () => {
      const n = count()
      if (n !== last) {
        last = n
        since = performance.now()
        return false
      }
      return performance.now() - since >= quietMs ? n + 1 : false
    },
    { what, timeoutMs: 30_000, everyMs: 25 },
  ).then((n) => n - 1)
}

describe('file download', () => {
  it('reads the file only as fast as the client takes it, and stops reading when the client goes', async () => {
    const reads = vi.spyOn(fx.storage.blocks, 'getBytes')
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(`${url}/v1/storage/files/${cid}`, resolve).on('error', reject),
    )
    expect(res.statusCode).toBe(200)
    await new Promise((resolve) => res.once('data', resolve))
    res.pause()
    // The client holds still: the server fills the socket's buffers (a few MiB), then must stop reading blocks.
    const held = await settled(() => reads.mock.calls.length, 'the server to stop reading')
    expect(held).toBeGreaterThan(1)
    expect(held).toBeLessThan(LEAVES / 2)
    res.destroy()
    const atEnd = await settled(() => reads.mock.calls.length, 'the server to stop after the client left')
    expect(atEnd).toBeLessThan(LEAVES / 2 + 8)
    reads.mockRestore()
  })
})
