/**
 * Calls between two threads over a MessagePort: each side serves named handlers and may call the other's. Errors
 * cross as SteleErrors with their code and details (anything else becomes STELE_INTERNAL), so a caller handles
 * a node in another thread exactly like one in its own. A call pending when the port closes (the other thread
 * ended) rejects with STELE_UNAVAILABLE.
 */
import type { MessagePort, Transferable } from 'node:worker_threads'
import { ERROR_CODES, type ErrorCode, isSteleError, SteleError } from '../../core/errors.ts'

// biome-ignore lint/suspicious/noExplicitAny: each handler declares its own argument type
export type Handlers = { [method: string]: (arg: any) => unknown }

export interface PortRpc {
  /** Calls `method` on the other side; `transfer` moves those buffers instead of copying them. */
  call<T>(method: string, arg?: unknown, transfer?: readonly Transferable[]): Promise<T>
  close(): void
}

type Request = { q: number; m: string; a: unknown }
type Reply = {
  r: number
  v?: unknown
  e?: { code: string; message: string; details?: Record<string, unknown> }
}

interface Pending {
  resolve(v: unknown): void
  reject(e: unknown): void
}

/**
 * Serves `handlers` on `port` and calls the other side's. Idle, the port does not keep the thread alive unless
 * `keepAlive` (a worker that only waits for calls).
 */
export function portRpc(
  port: MessagePort,
  handlers: Handlers = {},
  what = 'the other thread',
  keepAlive = false,
): PortRpc {
  const pending = new Map<number, Pending>()
  let nextId = 1
  let closed = false

  const settle = (m: Reply): void => {
    const p = pending.get(m.r)
    if (!p) return
    pending.delete(m.r)
    if (pending.size === 0 && !keepAlive) port.unref()
    if (m.e) p.reject(errorFrom(m.e))
    else p.resolve(m.v)
  }
  const serve = async (m: Request): Promise<void> => {
    let reply: Reply
    try {
      const h = handlers[m.m]
      if (!h) throw new SteleError('STELE_INTERNAL', `${what} has no method ${m.m}`)
      reply = { r: m.q, v: await h(m.a) }
    } catch (e) {
      reply = { r: m.q, e: errorTo(e) }
    }
    if (!closed) port.postMessage(reply)
  }
  const onClose = (): void => {
    closed = true
    const e = new SteleError('STELE_UNAVAILABLE', `${what} stopped`)
    for (const p of pending.values()) p.reject(e)
    pending.clear()
  }

  port.on('message', (m: Request | Reply) => {
    if ('q' in m) void serve(m)
    else settle(m)
  })
  port.on('close', onClose)
  if (!keepAlive) port.unref()

  return {
    call<T>(method: string, arg?: unknown, transfer: readonly Transferable[] = []): Promise<T> {
      if (closed) return Promise.reject(new SteleError('STELE_UNAVAILABLE', `${what} stopped`))
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        port.ref() // an answer is awaited: keep the thread alive for it
        port.postMessage({ q: id, m: method, a: arg } satisfies Request, transfer)
      })
    },
    close() {
      onClose()
      port.close()
    },
  }
}

function errorTo(e: unknown): NonNullable<Reply['e']> {
  if (isSteleError(e)) return e.toJSON()
  return { code: 'STELE_INTERNAL', message: (e as Error)?.message ?? String(e) }
}

function errorFrom(e: NonNullable<Reply['e']>): SteleError {
  const code: ErrorCode = e.code in ERROR_CODES ? (e.code as ErrorCode) : 'STELE_INTERNAL'
  return new SteleError(code, e.message, e.details ? { details: e.details } : {})
}
