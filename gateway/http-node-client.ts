/**
 * NodeApi over HTTP (the node's /v1 contract, DESIGN.md §5), through node:http(s) (http-call.ts). Errors come back
 * as the node sent them: `{error:{code,message,details}}` becomes a SteleError with the same code and details, so
 * the submitter handles a remote node exactly like an in-process one. A node that cannot be reached, times out or
 * answers something that is not Stele becomes STELE_UNAVAILABLE: retry later.
 */
import { BATCH_BODY_TYPE, encodeBatchBody } from '../core/batch-body.ts'
import { toHex } from '../core/bytes.ts'
import { ERROR_CODES, type ErrorCode, isSteleError, SteleError } from '../core/errors.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../core/node-api.ts'
import { type HttpAnswer, httpCaller } from './http-call.ts'

export interface HttpNodeClientInit {
  /** Base address, e.g. http://127.0.0.1:8080 (a trailing slash is fine). */
  url: string
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number
  /** A PEM certificate authority to trust for an https:// node, beside the system's (`stele node --tls-cert`). */
  ca?: string | Uint8Array
}

export function createHttpNodeClient(init: HttpNodeClientInit): NodeApi {
  const base = init.url.replace(/\/+$/, '')
  const send = httpCaller(init.ca ? { ca: init.ca } : {})
  const timeoutMs = init.timeoutMs ?? 30_000
  let binary = true

  /** `body`: JSON, or bytes sent as BATCH_BODY_TYPE. */
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: object | Uint8Array,
    signal?: AbortSignal,
  ): Promise<T> {
    let res: HttpAnswer
    try {
      res = await send(new URL(`${base}${path}`), {
        method,
        timeoutMs,
        ...(signal ? { signal } : {}),
        ...(body === undefined
          ? {}
          : body instanceof Uint8Array
            ? { body, contentType: BATCH_BODY_TYPE }
            : { body: JSON.stringify(body), contentType: 'application/json' }),
      })
    } catch (cause) {
      if (signal?.aborted) throw signal.reason ?? cause
      throw new SteleError('STELE_UNAVAILABLE', `node at ${base} unreachable: ${(cause as Error).message}`, {
        cause,
      })
    }
    let json: unknown
    try {
      json = JSON.parse(res.body.toString('utf8'))
    } catch (cause) {
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `node at ${base} answered ${method} ${path} with ${res.status} and a body that is not JSON`,
        { cause },
      )
    }
    if (res.status < 200 || res.status > 299) throw errorFromBody(json, res.status, `${method} ${path}`)
    return json as T
  }

  return {
    async info(opts) {
      const h = await call<Partial<NodeInfo> & { status?: string }>(
        'GET',
        '/v1/health',
        undefined,
        opts?.signal,
      )
      if (typeof h.chainId !== 'string' || h.genesis === undefined)
        throw new SteleError('STELE_UNAVAILABLE', `node at ${base}: /v1/health lacks chainId or genesis`)
      return {
        chainId: h.chainId,
        genesis: h.genesis,
        height: Number(h.height ?? 0),
        version: String(h.version),
      }
    },
    gatewayTip(gateway, opts) {
      return call<GatewayTip>('GET', `/v1/gateways/${toHex(gateway)}`, undefined, opts?.signal)
    },
    async submitBatches(batches: readonly SubmittedBatch[], opts) {
      let out: { results?: SubmitResult[] }
      try {
        out = await call(
          'POST',
          '/v1/batches',
          binary ? encodeBatchBody(batches) : jsonBody(batches),
          opts?.signal,
        )
      } catch (e) {
        // A node older than the binary body answers 415 before reading it: JSON from now on, to this node.
        if (!binary || !isSteleError(e, 'STELE_UNSUPPORTED_MEDIA_TYPE')) throw e
        binary = false
        out = await call('POST', '/v1/batches', jsonBody(batches), opts?.signal)
      }
      if (!Array.isArray(out.results))
        throw new SteleError('STELE_UNAVAILABLE', `node at ${base}: /v1/batches answered without results`)
      return out.results
    },
  }
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

/** The JSON body every node version takes. */
const jsonBody = (batches: readonly SubmittedBatch[]) => ({
  batches: batches.map((b) => ({ tx: base64(b.tx), records: base64(b.records) })),
})

function errorFromBody(json: unknown, status: number, what: string): SteleError {
  const e = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error
  const message = typeof e?.message === 'string' ? e.message : `${what} failed with HTTP ${status}`
  const details =
    e?.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined
  if (typeof e?.code === 'string' && e.code in ERROR_CODES)
    return new SteleError(e.code as ErrorCode, message, details ? { details } : {})
  // Not a Stele answer (a proxy, another service): 5xx is worth retrying, 4xx is a configuration mistake.
  return new SteleError(status >= 500 ? 'STELE_UNAVAILABLE' : 'STELE_CONFIG', `${what}: ${message}`, {
    details: { status, ...(typeof e?.code === 'string' ? { code: e.code } : {}) },
  })
}
