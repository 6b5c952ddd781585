import { EventEmitter } from 'node:events'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { expect } from 'vitest'
import WebSocket from 'ws'
import { SseParser } from '../../../node/stream/sse-parser.ts'
import { once, until } from '../../helpers/wait.ts'

/** A stream event as a client parses it. */
export interface Ev {
  type: string
  cursor: string
  [k: string]: unknown
}

/** Collects a connection's events; `waitFor` resolves on the first match (checking those already seen), with a deadline. */
export class Collector {
  readonly events: Ev[] = []
  closed = false
  /** Emits 'change' on each event and on close, so waiters check every step. */
  private readonly changes = new EventEmitter()

  add(ev: Ev): void {
    this.events.push(ev)
    this.wake()
  }

  end(): void {
    this.closed = true
    this.wake()
  }

  private wake(): void {
    this.changes.emit('change')
  }

  of(type: string): Ev[] {
    return this.events.filter((e) => e.type === type)
  }

  async waitFor(pred: (events: Ev[], closed: boolean) => boolean, what: string, ms = 10_000): Promise<void> {
    await until(() => pred(this.events, this.closed), {
      what,
      timeoutMs: ms,
      on: [[this.changes, 'change']],
      detail: () =>
        `${this.events.length} events, last ${this.events.slice(-3).map((e) => e.type)}, closed ${this.closed}`,
    })
  }

  /** Resolves once the connection has closed. */
  whenClosed(ms = 10_000): Promise<void> {
    return this.waitFor((_, closed) => closed, 'the connection to close', ms)
  }
}

/** A real WebSocket client; each message is a JSON array of events. */
export async function wsClient(base: string, query = ''): Promise<{ ws: WebSocket; c: Collector }> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/stream${query}`)
  const c = new Collector()
  ws.on('message', (data) => {
    for (const ev of JSON.parse(data.toString()) as Ev[]) c.add(ev)
  })
  ws.on('close', () => c.end())
  ws.on('error', () => c.end())
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
    ws.once('error', reject)
  })
  return { ws, c }
}

/** A Server-Sent Events client on raw HTTP; the event's `id` must equal its JSON cursor (checked here). */
export function sseClient(
  base: string,
  query = '',
  headers: { [k: string]: string } = {},
): Promise<{ c: Collector; close: () => void; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/stream/sse${query}`, { headers }, (res) => {
      const c = new Collector()
      const parser = new SseParser()
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        for (const m of parser.push(chunk)) {
          const ev = JSON.parse(m.data) as Ev
          if (m.id !== ev.cursor || m.event !== ev.type)
            throw new Error(`SSE id/event ${m.id}/${m.event} != ${ev.cursor}/${ev.type}`)
          c.add(ev)
        }
      })
      res.on('close', () => c.end())
      resolve({ c, close: () => req.destroy(), status: res.statusCode ?? 0 })
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * A WebSocket client that completes the handshake and then never reads: its socket is paused, so the kernel
 * buffers fill and the server's send backlog grows, as with a stalled browser tab.
 */
export function stalledWsClient(base: string, query = ''): Promise<Socket> {
  const url = new URL(`${base}/v1/stream${query}`)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
    })
    socket.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 101'))
        return reject(new Error(`no upgrade: ${d.toString().slice(0, 80)}`))
      socket.pause()
      resolve(socket)
    })
    socket.on('error', () => undefined)
  })
}

/** The sequence numbers of the reading events among `events`, in order. */
export const readingSeqs = (events: Ev[]): number[] =>
  events.filter((e) => e.type === 'reading').map((e) => (e['reading'] as { seq: number }).seq)

/** A WebSocket client that will stop reading (`ws.pause()`) and later read everything it was sent. */
export async function pausableWsClient(base: string, query: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/stream${query}`)
  const client = { ws, events: [] as Ev[], closeCode: 0 }
  ws.on('message', (d) => client.events.push(...(JSON.parse(d.toString()) as Ev[])))
  ws.on('close', (code) => {
    client.closeCode = code
  })
  await once(ws, 'open', { what: 'the paused client to connect' })
  return client
}

/**
 * The paused client reads again: it finds a prefix of `all`, then `lagged` (close code 4008) with the cursor to
 * resume from, and a client resuming there gets the rest, with no gap and no duplicate. Returns the prefix.
 */
export async function expectLaggedThenResumed(
  base: string,
  paused: Awaited<ReturnType<typeof pausableWsClient>>,
  all: number[],
): Promise<number[]> {
  paused.ws.resume()
  await until(() => paused.closeCode !== 0, { what: 'the paused client to be closed' })
  expect(paused.closeCode).toBe(4008)
  const lagged = paused.events.at(-1)!
  expect(lagged.type).toBe('lagged')
  const got = readingSeqs(paused.events)
  expect(got).toEqual(all.slice(0, got.length))
  const { c: resumed } = await wsClient(base, `?channels=readings&cursor=${lagged.cursor}`)
  await resumed.waitFor((e) => e.some((x) => x.type === 'live'), 'the resumed client to catch up')
  expect([...got, ...readingSeqs(resumed.events)]).toEqual(all)
  return got
}
