import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { nodeRequest } from '../../gateway/node-request.ts'

let server: Server
let base: string
let connections = 0
const seen: { method: string; type: string | undefined; body: string }[] = []

beforeEach(async () => {
  connections = 0
  seen.length = 0
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({
        method: req.method!,
        type: req.headers['content-type'],
        body: Buffer.concat(chunks).toString(),
      })
      if (req.url === '/cut') {
        // Promises more than it sends, then drops the connection.
        res.writeHead(200, { 'content-length': '100' })
        res.write('{"partial":')
        setImmediate(() => res.socket?.destroy())
        return
      }
      if (req.url === '/hang') return
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ url: req.url }))
    })
  })
  server.on('connection', () => connections++)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(async () => {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
})

it('posts bytes with their type, reads the JSON answer, and keeps one connection for consecutive requests', async () => {
  const request = nodeRequest()
  const signal = new AbortController().signal
  const res = await request(`${base}/v1/batches`, {
    method: 'POST',
    body: new Uint8Array([104, 105]),
    headers: { 'content-type': 'application/x-test' },
    signal,
  })
  expect([res.ok, res.status]).toEqual([true, 200])
  expect(await res.json()).toEqual({ url: '/v1/batches' })
  expect(seen[0]).toEqual({ method: 'POST', type: 'application/x-test', body: 'hi' })
  const missing = await request(`${base}/missing`, { method: 'GET', signal })
  expect([missing.ok, missing.status]).toEqual([false, 404])
  await missing.json()
  await (await request(`${base}/again`, { method: 'GET', signal })).json()
  expect(connections).toBe(1)
})

it('rejects an answer cut off mid-body, and a request its signal aborts', async () => {
  const request = nodeRequest()
  const res = await request(`${base}/cut`, { method: 'GET', signal: new AbortController().signal })
  await expect(res.json()).rejects.toThrow()
  const abort = new AbortController()
  const hanging = request(`${base}/hang`, { method: 'GET', signal: abort.signal })
  await expect.poll(() => seen.length).toBe(2) // the server has the request
  abort.abort()
  await expect(hanging).rejects.toThrow(/abort/i)
})
