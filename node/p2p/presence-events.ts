/**
 * The stream hub as the presence service's EventSource: a forwarded subscription is a hub subscriber whose sink
 * is the circuit. It reads SSE frames, so the filter is the query string of GET /v1/stream (`channels=readings&
 * device=d1`) and each event goes down the circuit as one SSE event text (`id`, `event`, `data` lines).
 */
import { SteleError } from '../../core/errors.ts'
import type { EventSource } from '../presence/announcer.ts'
import { parseSubscription, type SubscriptionInput } from '../stream/filter.ts'
import type { StreamHub } from '../stream/hub.ts'
import type { Sink } from '../stream/sinks.ts'

export function hubEventSource(hub: Pick<StreamHub, 'subscribe'>): EventSource {
  return {
    subscribe(filter, onEvent) {
      const q = new URLSearchParams(filter)
      const input: { [k: string]: string } = {}
      for (const k of new Set(q.keys())) input[k] = q.getAll(k).join(',')
      let closed = false
      const closers: (() => void)[] = []
      const close = (): void => {
        if (closed) return
        closed = true
        for (const f of closers.splice(0)) f()
      }
      const sink: Sink = {
        kind: 'sse',
        buffered: () => 0,
        write(frame) {
          if (closed) return
          for (const ev of frame.toString('utf8').split('\n\n'))
            if (ev.trim() !== '') onEvent(new TextEncoder().encode(ev))
        },
        drained: () => Promise.resolve(),
        end(last) {
          if (last) this.write(last)
          close()
        },
        get closed() {
          return closed
        },
        onClose(fn) {
          if (closed) fn()
          else closers.push(fn)
        },
      }
      try {
        void hub.subscribe(sink, parseSubscription(input as SubscriptionInput), null).catch(close)
      } catch (e) {
        if (!(e instanceof SteleError)) throw e
        close()
      }
      return close
    },
  }
}
