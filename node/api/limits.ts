import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { backgroundTimers, type Timers } from '../../core/timers.ts'

/** What one HTTP client may hold of the node: body sizes, nesting, time and connections (docs/security.md). */
export interface HttpLimits {
  /** Largest request body on every route but POST /v1/batches, bytes. Default 1 MiB. */
  bodyLimit: number
  /** Largest body of POST /v1/batches, bytes. Default 16 MiB (a gateway sends at most 8 MiB of batches a call). */
  batchBodyLimit: number
  /** Deepest nesting of arrays and objects in a JSON body; deeper is a 400 before parsing. Default 32. */
  maxJsonDepth: number
  /**
   * The whole request, headers and body, must arrive within this, ms; else 408 and close. Default 30 s. Not on the
   * streaming upload routes (route config `streamingBody`), which have `bodyIdleTimeoutMs` instead.
   */
  requestTimeoutMs: number
  /** On a streaming upload, the longest pause between body bytes, ms; else 408 and close. Default 30 s. */
  bodyIdleTimeoutMs: number
  /** The headers must arrive within this, ms; else 408 and close. Default 10 s. */
  headersTimeoutMs: number
  /** A socket with no traffic either way is closed after this, ms (streams send a heartbeat every 15 s). Default 120 s. */
  connectionTimeoutMs: number
  /** An idle keep-alive connection is closed after this, ms. Default 10 s. */
  keepAliveTimeoutMs: number
  /** Open connections at most; further ones are closed at accept. Default 1024. */
  maxConnections: number
  /** How often the server checks the request and headers timeouts, ms. Default 1 s (Node's own is 30 s). */
  timeoutCheckIntervalMs: number
  /** After answering before the body arrived (413), how long to read and discard what the client still sends. Default 2 s. */
  lingerMs: number
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyLimit: 1024 * 1024,
  batchBodyLimit: 16 * 1024 * 1024,
  maxJsonDepth: 32,
  requestTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 120_000,
  keepAliveTimeoutMs: 10_000,
  maxConnections: 1024,
  timeoutCheckIntervalMs: 1_000,
  lingerMs: 2_000,
}

/** True when `text` nests arrays and objects deeper than `max`; one linear pass that stops at the first excess. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/**
 * Replaces fastify's JSON parser with one that refuses nesting deeper than `maxDepth` before JSON.parse sees the
 * text (a body of `[[[[...` otherwise costs seconds and gigabytes), then parses as fastify does (prototype
 * poisoning refused). The body limit is enforced by fastify while buffering, before this runs.
 */
export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string
    if (jsonDepthExceeds(text, maxDepth))
      return done(
        new SteleError('STELE_BAD_REQUEST', `body: JSON nested deeper than ${maxDepth} levels`),
        undefined,
      )
    parse(req, text, done)
  })
}

/**
 * Lingering close (as nginx does it) for a socket answered before its request body arrived: Node would destroy the
 * socket right after the response, with the client's unread bytes still arriving, and the kernel would turn that
 * into a reset that often destroys the answer before the client reads it. Instead: send FIN after the response,
 * keep reading and discarding for at most `ms`, then destroy.
 */
export function lingerOnClose(socket: Socket, ms: number, timers: Timers = backgroundTimers): void {
  socket.destroySoon = function lingering(this: Socket) {
    if (this.writable) this.end()
    this.resume()
    const t = timers.set(() => this.destroy(), ms)
    this.once('close', () => timers.clear(t))
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is a stream read by the handler (uploads): no whole-request deadline, an idle timeout instead. */
    streamingBody?: boolean
  }
}

/** Whether the request still has body bytes on the wire (declared and not all received). */
function bodyPending(req: FastifyRequest): boolean {
  const h = req.headers
  return !req.raw.complete && (h['transfer-encoding'] !== undefined || Number(h['content-length'] ?? 0) > 0)
}

/**
 * Body limits before buffering: a declared Content-Length over the route's limit is a 413 before any body byte is
 * read (fastify counts streamed bytes against the same limit); any answer sent while body bytes are still on their
 * way closes the connection after a lingering close, so the client reads the answer instead of a reset.
 */
export function installBodyGuards(app: FastifyInstance, lingerMs: number, timers?: Timers): void {
  app.addHook('onRequest', async (req) => {
    const declared = Number(req.headers['content-length'] ?? 0)
    const limit = req.routeOptions.bodyLimit
    if (declared > limit)
      throw new SteleError(
        'STELE_PAYLOAD_TOO_LARGE',
        `body: ${declared} bytes declared; ${req.method} ${req.routeOptions.url ?? req.url} takes at most ${limit}`,
        { details: { limit } },
      )
  })
  app.addHook('onSend', async (req, reply) => {
    if (!bodyPending(req)) return
    reply.header('connection', 'close')
    lingerOnClose(req.raw.socket, lingerMs, timers)
  })
}

/** 408 in the documented shape, then the connection closes (the lingering close of installBodyGuards). */
function answerTimeout(reply: FastifyReply, message: string): void {
  if (reply.sent) return
  const e = new SteleError('STELE_REQUEST_TIMEOUT', message)
  reply.code(e.status).header('connection', 'close').send({ error: e.toJSON() })
}

/**
 * Request deadlines in place of Node's server-wide `requestTimeout` (which the app sets to 0, since it would cut a
 * long upload however steadily it arrives): every route's body must be in within `requestTimeoutMs` of its
 * headers; a streaming upload (route config `streamingBody`) instead may take as long as it keeps sending, and is
 * cut when no byte arrives for `bodyIdleTimeoutMs` (the socket's idle timer, which the parser refreshes on every
 * byte it reads). Both answer 408 STELE_REQUEST_TIMEOUT and close.
 */
export function installRequestDeadlines(
  app: FastifyInstance,
  limits: Pick<HttpLimits, 'requestTimeoutMs' | 'bodyIdleTimeoutMs' | 'connectionTimeoutMs'>,
  timers: Timers = backgroundTimers,
): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!bodyPending(req)) return
    const raw = req.raw
    if (req.routeOptions.config.streamingBody) {
      const socket = raw.socket
      // inject() has no socket to time: nothing arrives slowly there.
      if (typeof raw.setTimeout !== 'function' || typeof socket?.setTimeout !== 'function') return
      // Emitted on the request by Node's socket timeout only while the body is incomplete; a listener keeps
      // Node from destroying the socket, so the answer can be written first.
      const onIdle = (): void =>
        answerTimeout(reply, `no body bytes for ${limits.bodyIdleTimeoutMs} ms; connection closed`)
      raw.setTimeout(limits.bodyIdleTimeoutMs, onIdle)
      const restore = (): void => {
        raw.off('timeout', onIdle)
        if (!socket.destroyed) socket.setTimeout(limits.connectionTimeoutMs)
      }
      raw.once('end', restore)
      reply.raw.once('close', restore)
      return
    }
    const t = timers.set(() => {
      if (!raw.complete)
        answerTimeout(
          reply,
          `the request did not arrive within ${limits.requestTimeoutMs} ms; connection closed`,
        )
    }, limits.requestTimeoutMs)
    reply.raw.once('close', () => timers.clear(t))
    raw.once('end', () => timers.clear(t))
  })
}
