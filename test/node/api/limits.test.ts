import { connect, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../node/api/app.ts'
import { jsonDepthExceeds } from '../../../node/api/limits.ts'
import { nodeFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let port: number

const LIMITS = {
  requestTimeoutMs: 600,
  bodyIdleTimeoutMs: 400,
  headersTimeoutMs: 400,
  timeoutCheckIntervalMs: 100,
  batchBodyLimit: 16 * 1024 * 1024,
  maxConnections: 8,
}

beforeAll(async () => {
  fx = await nodeFixture()
  app = await buildApp({ node: fx.node, logger: false, limits: LIMITS })
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as { port: number }).port
})
afterAll(async () => {
  await app.close()
  await fx.close()
})

interface Exchange {
  socket: Socket
  /** Everything the server sent, once it closed the connection (or the deadline passed). */
  closed: Promise<{ text: string; ms: number; error: string | undefined; timedOut: boolean }>
}

/** A raw TCP client: what it sends is up to the test; resolves when the server closes or after `deadlineMs`. */
function raw(first: string | Buffer, deadlineMs = 5_000): Exchange {
  const socket = connect(port, '127.0.0.1')
  const t0 = performance.now()
  const chunks: Buffer[] = []
  socket.on('data', (d) => chunks.push(d))
  socket.write(first)
  const closed = new Promise<{ text: string; ms: number; error: string | undefined; timedOut: boolean }>(
    (resolve) => {
      let error: string | undefined
      const timer = setTimeout(() => {
        socket.destroy()
        resolve({ text: Buffer.concat(chunks).toString(), ms: deadlineMs, error, timedOut: true })
      }, deadlineMs)
      socket.on('error', (e: NodeJS.ErrnoException) => {
        error = e.code
      })
      socket.on('close', () => {
        clearTimeout(timer)
        resolve({
          text: Buffer.concat(chunks).toString(),
          ms: performance.now() - t0,
          error,
          timedOut: false,
        })
      })
    },
  )
  return { socket, closed }
}

const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))

describe('HTTP limits on a real port', () => {
  it('cuts a client that sends headers and never the body, with 408 STELE_REQUEST_TIMEOUT', async () => {
    const { closed } = raw(
      'POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
    )
    const r = await closed
    expect(r.timedOut).toBe(false)
    expect(r.ms).toBeLessThan(LIMITS.requestTimeoutMs + 5 * LIMITS.timeoutCheckIntervalMs + 1_000)
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /)
    expect(bodyOf(r.text).error.code).toBe('STELE_REQUEST_TIMEOUT')
  })

  /** Sends `chunks` pieces of `body` with `gapMs` between them: a client that is slow but never idle. */
  async function dribble(socket: Socket, body: Buffer, chunks: number, gapMs: number): Promise<void> {
    const size = Math.ceil(body.length / chunks)
    for (let i = 0; i < body.length; i += size) {
      if (socket.destroyed) return
      socket.write(body.subarray(i, i + size))
      await new Promise((r) => setTimeout(r, gapMs))
    }
  }

  it('lets a slow but steady upload run past the request deadline', async () => {
    const body = Buffer.from('x'.repeat(4000))
    const head = `POST /v1/storage/files HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
    const { socket, closed } = raw(head)
    const t0 = performance.now()
    // 10 pieces 150 ms apart: 1.5 s in all, well past the 600 ms deadline, never idle for 400 ms.
    await dribble(socket, body, 10, 150)
    const r = await closed
    expect(performance.now() - t0).toBeGreaterThan(LIMITS.requestTimeoutMs)
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /)
    expect(bodyOf(r.text)).toMatchObject({ size: body.length })
  })

  it('cuts a stalled upload with 408 STELE_REQUEST_TIMEOUT after the idle timeout', async () => {
    const { socket, closed } = raw(
      'POST /v1/storage/files HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n',
    )
    socket.write('0123456789')
    const r = await closed
    expect(r.timedOut).toBe(false)
    expect(r.ms).toBeGreaterThanOrEqual(LIMITS.bodyIdleTimeoutMs - 50)
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /)
    expect(bodyOf(r.text).error.code).toBe('STELE_REQUEST_TIMEOUT')
  })

  it('still gives other routes the whole-request deadline, however steady the client', async () => {
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(2000) }))
    const head = `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
    const { socket, closed } = raw(head)
    void dribble(socket, body, 10, 150)
    const r = await closed
    expect(r.ms).toBeLessThan(LIMITS.requestTimeoutMs + 1_000)
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /)
    expect(bodyOf(r.text).error.code).toBe('STELE_REQUEST_TIMEOUT')
  })

  it('cuts a client whose headers never end', async () => {
    const { socket, closed } = raw('GET /v1/health HTTP/1.1\r\nHost: x\r\n')
    socket.write('X-Slow: 1\r\n')
    const r = await closed
    expect(r.timedOut).toBe(false)
    expect(r.ms).toBeLessThan(LIMITS.headersTimeoutMs + 5 * LIMITS.timeoutCheckIntervalMs + 1_000)
  })

  it('answers an oversize Content-Length with 413 before any body byte is sent', async () => {
    const { closed } = raw(
      'POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 66060288\r\n\r\n',
    )
    const r = await closed
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.text.toLowerCase()).toContain('connection: close')
    expect(bodyOf(r.text).error).toMatchObject({
      code: 'STELE_PAYLOAD_TOO_LARGE',
      details: { limit: 16 * 1024 * 1024 },
    })
  })

  it('delivers the 413 to a client still sending its oversize body (no reset)', async () => {
    const body = Buffer.alloc(6 * 1024 * 1024, 0x20)
    const head = `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
    const { socket, closed } = raw(head)
    socket.write(body)
    const r = await closed
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /)
    expect(bodyOf(r.text).error.code).toBe('STELE_PAYLOAD_TOO_LARGE')
  })

  it('refuses deep nesting quickly and within bounded memory', async () => {
    // 15 MiB of `[`: JSON.parse alone takes about 3 s and a gigabyte on it; the depth check stops at byte 33.
    const body = '['.repeat(15 * 1024 * 1024)
    const t0 = performance.now()
    const res = await fetch(`http://127.0.0.1:${port}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const ms = performance.now() - t0
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STELE_BAD_REQUEST')
    expect(ms).toBeLessThan(1_500)
    // The node still answers at once.
    expect((await fetch(`http://127.0.0.1:${port}/v1/health`)).status).toBe(200)
  })

  it('answers a request that is not HTTP with 400 in the documented shape', async () => {
    for (const first of ['GE<T / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n']) {
      const r = await raw(first).closed
      expect(r.text).toMatch(/^HTTP\/1\.1 400 /)
      expect(bodyOf(r.text).error.code).toBe('STELE_BAD_REQUEST')
      expect(r.text).not.toContain('Client Error')
    }
  })

  it('caps open connections', async () => {
    const held = Array.from({ length: LIMITS.maxConnections }, () =>
      raw('GET /v1/health HTTP/1.1\r\nHost: x\r\n'),
    )
    // Wait (deadline-bound) until the server counts every held connection.
    const count = () =>
      new Promise<number>((ok, fail) => app.server.getConnections((e, n) => (e ? fail(e) : ok(n))))
    const deadline = Date.now() + 5_000
    while ((await count()) < LIMITS.maxConnections && Date.now() < deadline)
      await new Promise((r) => setImmediate(r))
    expect(await count()).toBe(LIMITS.maxConnections)
    const extra = await raw('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n', 3_000).closed
    expect(extra.timedOut).toBe(false)
    expect(extra.text).toBe('')
    for (const h of held) h.socket.destroy()
    await Promise.all(held.map((h) => h.closed))
  })

  it('jsonDepthExceeds counts only brackets outside strings', () => {
    expect(jsonDepthExceeds('[[[1]]]', 3)).toBe(false)
    expect(jsonDepthExceeds('[[[[1]]]]', 3)).toBe(true)
    expect(jsonDepthExceeds('["[[[[[\\"[[[["]', 1)).toBe(false)
    expect(jsonDepthExceeds('{"a":{"b":{"c":{}}}}', 3)).toBe(true)
  })
})
