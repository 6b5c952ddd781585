import websocket from '@fastify/websocket'
import type { FastifyPluginAsync } from 'fastify'
import { SteleError } from '../../core/errors.ts'
import { type Cursor, checkNotAhead, encodeCursor, parseCursor } from '../stream/cursor.ts'
import { frame, plainEvent } from '../stream/events.ts'
import { parseSubscription, type Subscription, type SubscriptionInput } from '../stream/filter.ts'
import { type Sink, sseSink, wsSink } from '../stream/sinks.ts'
import type { Subscriber } from '../stream/subscriber.ts'
import type { ApiComponents } from './components.ts'
import { errorResponses } from './error-schema.ts'
import { textBody } from './schemas.ts'

type StreamQuery = SubscriptionInput & { cursor?: string }
type Prepared = { sub: Subscription; from: Cursor | null }

const streamQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    channels: { type: 'string', maxLength: 100 },
    device: { type: 'string', maxLength: 4096 },
    sensor: { type: 'string', maxLength: 4096 },
    gateway: { type: 'string', maxLength: 17_000 },
    account: { type: 'string', maxLength: 17_000 },
    contract: { type: 'string', maxLength: 17_000 },
    cursor: { type: 'string', maxLength: 60 },
  },
} as const

/** What these routes use of the node. */
export type StreamComponents = Pick<ApiComponents, 'stream'>

/**
 * Live streams (docs/streaming.md): `GET /v1/stream` over WebSocket and `GET /v1/stream/sse` as Server-Sent Events,
 * both fed by the node's one stream hub. A bad subscription or cursor is refused with a 400 before the stream
 * starts; over WebSocket, a bad subscribe message gets an `error` event and the connection stays open.
 */
export const streamRoutes: FastifyPluginAsync<{ node: StreamComponents }> = async (app, opts) => {
  const { node } = opts
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const hub = node.stream
  app.addHook('preClose', (done) => {
    hub.closeSubscribers('the node is shutting down; reconnect with this cursor')
    done()
  })

  /** Parses and checks a subscription against the hub before anything is streamed. */
  const prepare = async (q: StreamQuery, lastEventId?: string): Promise<Prepared> => {
    const sub = parseSubscription(q)
    const text: unknown = lastEventId || q.cursor
    if (text !== undefined && typeof text !== 'string')
      throw new SteleError('STELE_BAD_REQUEST', 'cursor must be a string such as "1042.17.88"')
    const from = text ? parseCursor(text) : null
    await hub.ready
    if (from) checkNotAhead(from, hub.live())
    return { sub, from }
  }

  app.get<{ Querystring: StreamQuery }>(
    '/v1/stream/sse',
    {
      schema: {
        summary:
          'Live events as Server-Sent Events (docs/streaming.md); resumes from `cursor` or Last-Event-ID',
        querystring: streamQuery,
        response: {
          200: textBody('text/event-stream: events with ids usable as cursors'),
          ...errorResponses('STELE_BAD_CURSOR'),
        },
      },
    },
    async (req, reply) => {
      const header = req.headers['last-event-id']
      const { sub, from } = await prepare(req.query, typeof header === 'string' ? header.trim() : undefined)
      reply.hijack()
      // The headers set so far (CORS, for an explorer served by another node) go out with the hijacked reply.
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) reply.raw.setHeader(k, v)
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      // EventSource reconnects after this many ms, sending the last id it saw as Last-Event-ID.
      reply.raw.write('retry: 1000\n\n')
      await hub.subscribe(sseSink(reply.raw), sub, from)
    },
  )

  // A subscription in the query is checked before the upgrade, so a bad one is a plain 400 response.
  const checked = new WeakMap<object, Prepared>()
  app.route<{ Querystring: StreamQuery }>({
    method: 'GET',
    url: '/v1/stream',
    schema: {
      summary: 'Live events over WebSocket (docs/streaming.md); plain HTTP on this path is a 400',
      querystring: streamQuery,
      response: errorResponses('STELE_BAD_CURSOR'),
    },
    preHandler: async (req) => {
      if (Object.keys(req.query).length > 0) checked.set(req, await prepare(req.query))
    },
    // Plain HTTP on the WebSocket path: say what to do instead of a bare 404.
    handler: async () => {
      throw new SteleError(
        'STELE_BAD_REQUEST',
        'GET /v1/stream is a WebSocket endpoint: connect with ws://, or use /v1/stream/sse for Server-Sent Events',
      )
    },
    wsHandler: (socket, req) => {
      const sink: Sink = wsSink(socket, req.raw.socket)
      let current: Subscriber | undefined
      let pending = Promise.resolve()
      const fail = (e: unknown) => {
        const err = e instanceof SteleError ? e : new SteleError('STELE_BAD_REQUEST', (e as Error).message)
        const ev = plainEvent('error', encodeCursor(hub.live()), { code: err.code, message: err.message })
        sink.write(frame('ws', [ev]))
      }
      // Subscriptions are started one after another, so a quick second message replaces the first in order.
      const start = (q: StreamQuery | Prepared) => {
        pending = pending.then(async () => {
          try {
            const { sub, from } = 'sub' in q ? q : await prepare(q)
            current?.detach()
            if (!sink.closed) current = await hub.subscribe(sink, sub, from)
          } catch (e) {
            fail(e)
          }
        })
      }
      socket.on('message', (data, isBinary) => {
        let msg: { type?: unknown } & StreamQuery
        try {
          msg = JSON.parse(isBinary ? '' : data.toString())
        } catch {
          return fail(
            new SteleError('STELE_BAD_REQUEST', 'messages must be JSON text: {"type":"subscribe",...}'),
          )
        }
        if (msg?.type !== 'subscribe')
          return fail(new SteleError('STELE_BAD_REQUEST', 'the only message is {"type":"subscribe",...}'))
        start(msg)
      })
      const prepared = checked.get(req)
      if (prepared) start(prepared)
      else {
        const message =
          'send {"type":"subscribe","channels":["readings"],"device":"...","cursor":"..."} or connect with ?channels=readings'
        sink.write(frame('ws', [plainEvent('hello', encodeCursor(hub.live()), { message })]))
      }
    },
  })
}
