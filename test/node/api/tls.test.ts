/**
 * The node over TLS (`--tls-cert/--tls-key`): the API, SSE and WebSocket streams on https:// and wss://, the
 * gateway's HTTP client and `stele watch` trusting a self-signed certificate through `ca` / --ca, and the CLI
 * through NODE_EXTRA_CA_CERTS. The certificate is made by the openssl command (test/helpers/tls-cert.ts).
 */
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWatch, type StreamEvent } from '../../../cli/commands/watch.ts'
import { isSteleError } from '../../../core/errors.ts'
import { createHttpNodeClient } from '../../../gateway/http-node-client.ts'
import { buildApp } from '../../../node/api/app.ts'
import { nodeFixture } from '../../helpers/node.ts'
import { spawnStele } from '../../helpers/spawn-stele.ts'
import { makeTestCert, type TestCert } from '../../helpers/tls-cert.ts'
import { tempDir } from '../../helpers/tmp.ts'

let fx: Awaited<ReturnType<typeof nodeFixture>>
let app: FastifyInstance
let base: string
let cert: TestCert

beforeAll(async () => {
  fx = await nodeFixture()
  cert = await makeTestCert(fx.dir.path, 'node-tls')
  app = await buildApp({ node: fx.node, logger: false, tls: { cert: cert.cert, key: cert.key } })
  base = await app.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await app?.close()
  await fx?.close()
})

/** Follows the stream until its `live` event, then stops; the events seen. */
async function watchUntilLive(transport: 'sse' | 'ws', ca?: Buffer) {
  const ac = new AbortController()
  const events: StreamEvent[] = []
  const notes: string[] = []
  const done = runWatch({
    node: base,
    filter: { channels: 'blocks' },
    transport,
    json: true,
    out: (line) => {
      const ev = JSON.parse(line) as StreamEvent
      events.push(ev)
      if (ev.type === 'live') ac.abort()
    },
    note: (line) => {
      notes.push(line)
      // Without the CA the connection fails and runWatch retries: one failure is the answer.
      if (line.startsWith('# connection failed')) ac.abort()
    },
    signal: AbortSignal.any([ac.signal, AbortSignal.timeout(10_000)]),
    retryMs: { min: 10, max: 10 },
    ...(ca ? { ca } : {}),
  })
  await done
  return { events, notes }
}

describe('node over TLS', () => {
  it('listens on https:// and refuses plain HTTP on that port', async () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const port = Number(new URL(base).port)
    const answer = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/health' }, (res) =>
        resolve(`status ${res.statusCode}`),
      )
      req.on('error', (e) => resolve(`error ${e.message}`))
      req.end()
    })
    // Node's TLS server answers a plaintext request with a bare 400 and closes: never the API.
    expect(answer).not.toBe('status 200')
  })

  it("the gateway's HTTP client reaches it with ca, and is refused the self-signed certificate without", async () => {
    const trusting = createHttpNodeClient({ url: base, ca: cert.cert, timeoutMs: 5000 })
    const info = await trusting.info()
    expect(info.chainId).toBe(fx.node.genesis.chainId)
    const tip = await trusting.gatewayTip(fx.gw.key.publicKey)
    expect(tip).toMatchObject({ registered: true, nextSeq: 1 })
    const plain = createHttpNodeClient({ url: base, timeoutMs: 5000 })
    const err = await plain.info().catch((e: unknown) => e)
    expect(isSteleError(err, 'STELE_UNAVAILABLE')).toBe(true)
    // The refusal's reason reaches the operator in the message itself.
    expect((err as Error).message).toMatch(/self[- ]signed/i)
  })

  it('stele watch follows the SSE and WebSocket streams over https:// and wss:// with --ca', async () => {
    for (const transport of ['sse', 'ws'] as const) {
      const { events } = await watchUntilLive(transport, cert.cert)
      expect(events.map((e) => e.type)).toContain('live')
    }
    const refused = await watchUntilLive('sse')
    expect(refused.events).toEqual([])
    expect(refused.notes.join('\n')).toMatch(/connection failed/)
  })

  it('stele node --tls-cert/--tls-key serves https://, and the CLI trusts it through NODE_EXTRA_CA_CERTS', async () => {
    const data = await tempDir('stele-node-tls-')
    const node = spawnStele([
      'node',
      '--data',
      data.path,
      '--port',
      '0',
      '--tls-cert',
      cert.certFile,
      '--tls-key',
      cert.keyFile,
    ])
    try {
      const listening = await node.waitFor(
        (l) => String(l['msg']).includes('listening'),
        'the node listening',
      )
      const url = String(listening['url'])
      expect(url).toMatch(/^https:\/\//)
      const watch = spawnStele(['watch', '--node', url, '--channels', 'blocks'], {
        NODE_EXTRA_CA_CERTS: cert.certFile,
      })
      try {
        const live = await watch.waitFor((l) => l['type'] === 'live', 'the live event over https')
        expect(live['cursor']).toEqual(expect.any(String))
      } finally {
        await watch.kill()
      }
    } finally {
      await node.kill()
      await data.cleanup()
    }
  }, 60_000)
})
