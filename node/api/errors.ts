import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.ts'
import { SteleError } from '../../core/errors.ts'

/** The Stele code for a 4xx status fastify or Node chose; any other 4xx is a plain 400. */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'STELE_BAD_REQUEST',
  404: 'STELE_NOT_FOUND',
  408: 'STELE_REQUEST_TIMEOUT',
  413: 'STELE_PAYLOAD_TOO_LARGE',
  414: 'STELE_URI_TOO_LONG',
  415: 'STELE_UNSUPPORTED_MEDIA_TYPE',
  431: 'STELE_HEADERS_TOO_LARGE',
  503: 'STELE_UNAVAILABLE',
}

/** fastify's own codes whose status is not the one their Stele code documents. */
const BY_FASTIFY_CODE: Partial<Record<string, ErrorCode>> = {
  FST_ERR_MAX_PARAM_LENGTH: 'STELE_URI_TOO_LONG',
  FST_ERR_CTP_BODY_TOO_LARGE: 'STELE_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'STELE_UNSUPPORTED_MEDIA_TYPE',
}

/**
 * Any failure as a SteleError, so the status always equals the documented status of the code: ours as they are,
 * schema failures as STELE_BAD_REQUEST naming the field, fastify's by code or status, everything else
 * STELE_INTERNAL (its message stays in the log, not in the answer).
 */
export function toSteleError(err: unknown): SteleError {
  if (err instanceof SteleError) return err
  const fe = err as Partial<FastifyError>
  if (fe.validation)
    return new SteleError(
      'STELE_BAD_REQUEST',
      `${fe.validationContext ?? 'request'} ${String(fe.message).replace(/^(querystring|params|body|headers) /, '')}`,
    )
  const status = fe.statusCode ?? 500
  const code =
    (fe.code && BY_FASTIFY_CODE[fe.code]) ||
    (status >= 400 && status < 500 ? (BY_STATUS[status] ?? 'STELE_BAD_REQUEST') : undefined)
  if (code) return new SteleError(code, String(fe.message ?? code))
  return new SteleError('STELE_INTERNAL', 'internal error; the node log has details', { cause: err })
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toSteleError(err)
  if (e.code === 'STELE_INTERNAL') req.log.error({ err: e.cause ?? err }, 'request failed')
  else if (e.status >= 500) req.log.error({ err }, 'request failed')
  return reply.status(e.status).send({ error: e.toJSON() })
}

/** What Node's parser or timers report on a raw socket (no request object): status, code and message. */
function clientErrorAnswer(err: NodeJS.ErrnoException): { code: ErrorCode; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        code: 'STELE_REQUEST_TIMEOUT',
        message: 'the request did not arrive in time; connection closed',
      }
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'STELE_HEADERS_TOO_LARGE', message: 'the request headers are too large' }
    default:
      return {
        code: 'STELE_BAD_REQUEST',
        message: `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`,
      }
  }
}

/**
 * The `clientError` answer: the same `{error:{code,message}}` with the code's status, written straight to the
 * socket (there is no request), then the connection is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const { code, message } = clientErrorAnswer(err)
  const status = ERROR_CODES[code].status
  const body = JSON.stringify({ error: { code, message } })
  if (!socket.writable) return void socket.destroy()
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** fastify's `frameworkErrors` (bad URL encoding, a path segment over maxParamLength) in the one shape. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  sendError(err, req, reply)
}

/** Maps every failure to `{error:{code,message}}` with the code's status; fastify's own errors get Stele codes too. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply))
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: { code: 'STELE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` },
    }),
  )
}
