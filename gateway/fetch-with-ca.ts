/**
 * A fetch that also trusts one more certificate authority for https:// (a node with a self-signed or private-CA
 * certificate: `stele node --tls-cert`). Node's own fetch takes its trust from the process (NODE_EXTRA_CA_CERTS at
 * start) and has no per-call option without the undici package, so https:// goes through node:https here; plain
 * http:// goes to the global fetch. Covers what the node's clients use: method, headers, a string or byte body,
 * a signal, and a streamed response body (SSE).
 */
import { Agent, request } from 'node:https'
import { Readable } from 'node:stream'
import { rootCertificates } from 'node:tls'
import { SteleError } from '../core/errors.ts'

/** A keep-alive https agent that trusts `ca` beside the system's roots (a `ca` option alone would replace them). */
export function caAgent(ca: string | Uint8Array): Agent {
  return new Agent({ keepAlive: true, ca: [...rootCertificates, Buffer.from(ca).toString('utf8')] })
}

export function fetchWithCa(ca: string | Uint8Array): typeof fetch {
  const agent = caAgent(ca)
  const f = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input)
    if (url.protocol !== 'https:') return fetch(input, init)
    const body = init.body
    if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))
      throw new SteleError('STELE_INTERNAL', 'fetchWithCa: a body is a string or bytes')
    const method = init.method ?? 'GET'
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v
    })
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent,
          headers,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const got = new Headers()
          for (const [k, v] of Object.entries(res.headers))
            for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) got.append(k, x)
          const status = res.statusCode ?? 502
          const empty = method === 'HEAD' || status === 204 || status === 304
          if (empty) res.resume()
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? '',
              headers: got,
            }),
          )
        },
      )
      req.on('error', reject)
      req.end(body ?? undefined)
    })
  }
  return f as typeof fetch
}
