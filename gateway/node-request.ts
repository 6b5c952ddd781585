/**
 * The HTTP requests of gateway/http-node-client.ts over node:http / node:https with keep-alive, instead of the
 * global fetch: under load the submitter posts a few hundred batches a second, and undici's fetch (its Request,
 * web streams, AbortSignal.any) cost the gateway's thread several times what a plain request does (about 13% of it
 * at 6,000 messages/s). Covers only what that client uses: GET or POST, a string or byte body, a signal, and a
 * response read whole as JSON. `ca` adds one certificate authority for https:// beside the system's.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'
import { SteleError } from '../core/errors.ts'

export interface NodeRequestInit {
  method: 'GET' | 'POST'
  body?: string | Uint8Array<ArrayBuffer>
  headers?: Record<string, string>
  signal: AbortSignal
}

/** The part of a fetch Response the client reads; a fetch Response is one. */
export interface NodeResponse {
  ok: boolean
  status: number
  json(): Promise<unknown>
}

export type NodeRequest = (url: string, init: NodeRequestInit) => Promise<NodeResponse>

export function nodeRequest(ca?: string | Uint8Array): NodeRequest {
  const http = new HttpAgent({ keepAlive: true })
  // The system's roots stay trusted beside `ca` (a `ca` option alone would replace them).
  const https = new HttpsAgent({
    keepAlive: true,
    ...(ca ? { ca: [...rootCertificates, Buffer.from(ca).toString('utf8')] } : {}),
  })
  return (url, init) =>
    new Promise<NodeResponse>((resolve, reject) => {
      const u = new URL(url)
      const secure = u.protocol === 'https:'
      const req = (secure ? httpsRequest : httpRequest)(
        u,
        {
          method: init.method,
          agent: secure ? https : http,
          headers: init.headers ?? {},
          signal: init.signal,
        },
        (res) => {
          const status = res.statusCode ?? 502
          const body = readAll(res)
          body.catch(() => undefined) // read by json(), if at all
          resolve({ ok: status >= 200 && status < 300, status, json: async () => JSON.parse(await body) })
        },
      )
      req.on('error', reject)
      req.end(init.body)
    })
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
    res.on('close', () => {
      if (!res.complete)
        reject(new SteleError('STELE_UNAVAILABLE', 'the node closed the connection mid-answer'))
    })
  })
}
