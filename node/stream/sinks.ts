import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { Timers } from '../../core/timers.ts'
import type { Transport } from './events.ts'

/**
 * Where a subscriber's frames go. Frames are shared Buffers: a sink never copies or re-encodes them. `buffered()` is
 * what the transport holds in user space (not yet taken by the kernel): the part of a slow client's backlog that
 * costs this process memory, and what the subscriber's byte limit bounds.
 */
export interface Sink {
  readonly kind: Transport
  buffered(): number
  write(frame: Buffer): void
  /** Resolves once the transport's buffer has emptied, or the connection closed. */
  drained(): Promise<void>
  /** Sends a last frame, then closes; destroys the connection if it has not closed after `grace.ms` on `grace.timers`. */
  end(last: Buffer | undefined, grace: Grace, code?: number): void
  readonly closed: boolean
  onClose(fn: () => void): void
}

/** How long a closing client has to take its last frame, on which timers. */
export interface Grace {
  ms: number
  timers: Timers
}

const waitDrain = (emitter: NodeJS.EventEmitter, isClosed: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    if (isClosed()) return resolve()
    const done = () => {
      emitter.off('drain', done)
      emitter.off('close', done)
      resolve()
    }
    emitter.on('drain', done)
    emitter.on('close', done)
  })

/** A WebSocket; `socket` is the TCP socket under it (request.raw.socket of the upgrade), whose 'drain' we await. */
export function wsSink(ws: WebSocket, socket: Socket): Sink {
  let closed = false
  const closers: (() => void)[] = []
  ws.on('close', () => {
    closed = true
    for (const f of closers.splice(0)) f()
  })
  return {
    kind: 'ws',
    buffered: () => ws.bufferedAmount,
    write(frame) {
      if (!closed) ws.send(frame, { binary: false })
    },
    drained: () => (ws.bufferedAmount === 0 ? Promise.resolve() : waitDrain(socket, () => closed)),
    end(last, grace, code = 1000) {
      if (closed) return
      if (last) ws.send(last, { binary: false })
      ws.close(code)
      // A client that does not read will not answer the close handshake either.
      grace.timers.set(() => ws.terminate(), grace.ms)
    },
    get closed() {
      return closed
    },
    onClose(fn) {
      if (closed) fn()
      else closers.push(fn)
    },
  }
}

/** A Server-Sent Events response whose headers are already written. */
export function sseSink(res: ServerResponse): Sink {
  let closed = false
  const closers: (() => void)[] = []
  res.on('close', () => {
    closed = true
    for (const f of closers.splice(0)) f()
  })
  return {
    kind: 'sse',
    buffered: () => res.writableLength,
    write(frame) {
      if (!closed) res.write(frame)
    },
    drained: () => (res.writableLength === 0 ? Promise.resolve() : waitDrain(res, () => closed)),
    end(last, grace) {
      if (closed) return
      res.end(last)
      grace.timers.set(() => res.destroy(), grace.ms)
    },
    get closed() {
      return closed
    },
    onClose(fn) {
      if (closed) fn()
      else closers.push(fn)
    },
  }
}
