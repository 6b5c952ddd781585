/**
 * One HTTP exchange with a node over node:http(s) and a keep-alive agent, the body read whole. The submitter calls
 * its node tens of times a second with bodies of 100 KB and more; the global fetch (undici's WHATWG layers: Request,
 * Headers, body streams, mostly run as baseline code at that rate) cost about 1 ms of CPU a call where this costs
 * 0.25-0.4 ms (docs/performance.md, session 7).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { SteleError } from '../core/errors.ts'
import { caAgent } from './fetch-with-ca.ts'

export interface HttpCall {
  method: 'GET' | 'POST'
  body?: Uint8Array | string
  contentType?: string
  /** The caller's abort: the call rejects with its reason. */
  signal?: AbortSignal
  timeoutMs: number
}

export interface HttpAnswer {
  status: number
  body: Buffer
}

export type HttpCaller = (url: URL, call: HttpCall) => Promise<HttpAnswer>

/** A caller with its own keep-alive agents; `ca` adds a certificate authority to trust for https://. */
export function httpCaller(opts: { ca?: string | Uint8Array } = {}): HttpCaller {
  const plain = new HttpAgent({ keepAlive: true })
  let secure: HttpsAgent | undefined
  return (url, call) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const tls = url.protocol === 'https:'
      if (tls && !secure) secure = opts.ca ? caAgent(opts.ca) : new HttpsAgent({ keepAlive: true })
      const headers: Record<string, string | number> = {}
      if (call.body !== undefined) {
        headers['content-type'] = call.contentType ?? 'application/octet-stream'
        headers['content-length'] = Buffer.byteLength(call.body)
      }
      const options = { method: call.method, headers, agent: tls ? secure : plain }
      let settled = false
      const finish = (err: unknown, answer?: HttpAnswer) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        call.signal?.removeEventListener('abort', onAbort)
        if (err !== null) {
          req.destroy()
          reject(err)
        } else resolve(answer!)
      }
      const onAbort = () => finish(call.signal!.reason)
      const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => finish(null, { status: res.statusCode ?? 502, body: Buffer.concat(chunks) }))
        res.on('error', (e) => finish(e))
      })
      const timer = setTimeout(
        () => finish(new SteleError('STELE_UNAVAILABLE', `timed out after ${call.timeoutMs} ms`)),
        call.timeoutMs,
      )
      req.on('error', (e) => finish(e))
      if (call.signal?.aborted) return onAbort()
      call.signal?.addEventListener('abort', onAbort, { once: true })
      req.end(call.body)
    })
}
