import { type Cursor, parseCursor } from './cursor.ts'
import { type EncodedEvent, frame, splitEvents, type Transport } from './events.ts'
import type { Subscription } from './filter.ts'
import type { Framed, Subscriber } from './subscriber.ts'

interface Group {
  sub: Subscription
  kind: Transport
  members: Set<Subscriber>
}

/**
 * Subscribers grouped by transport and subscription. A publish builds each distinct subscription's events once
 * (both transports' groups share them) and each group's frame once, then hands the same Buffer to every member:
 * the cost of an event grows with the number of distinct subscriptions, not of subscribers.
 */
export class Groups {
  private readonly groups = new Map<string, Group>()

  constructor(private readonly maxFrameBytes: number) {}

  /** Frames built, and frames handed to subscribers. */
  encodes = 0
  delivered = 0

  add(s: Subscriber): void {
    const key = `${s.sink.kind}|${s.sub.key}`
    const g = this.groups.get(key) ?? { sub: s.sub, kind: s.sink.kind, members: new Set<Subscriber>() }
    this.groups.set(key, g)
    g.members.add(s)
  }

  remove(s: Subscriber): void {
    const key = `${s.sink.kind}|${s.sub.key}`
    const g = this.groups.get(key)
    if (g?.members.delete(s) && g.members.size === 0) this.groups.delete(key)
  }

  /**
   * Publishes to the groups that `wants` the events `build` returns, in frames of at most `maxFrameBytes`. A
   * subscriber gets each frame whole or is cut off before it, so its lag cursor (the frame's `before`) is exact.
   */
  publish(
    wants: (sub: Subscription) => boolean,
    axis: Framed['axis'],
    before: Cursor,
    at: Cursor,
    build: (sub: Subscription) => EncodedEvent[],
    liveOnly = false,
  ): void {
    const bySub = new Map<string, { parts: EncodedEvent[][]; ends: Cursor[] }>()
    for (const g of this.groups.values()) {
      if (!wants(g.sub)) continue
      let split = bySub.get(g.sub.key)
      if (!split) {
        const parts = splitEvents(build(g.sub), this.maxFrameBytes)
        // Each part ends at its last event's cursor; the last part at the publish's position.
        const ends = parts.map((p, i) => (i === parts.length - 1 ? at : parseCursor(p[p.length - 1]!.cursor)))
        split = { parts, ends }
        bySub.set(g.sub.key, split)
      }
      split.parts.forEach((events, i) => {
        const from = i === 0 ? before : split.ends[i - 1]!
        const f: Framed = {
          frame: frame(g.kind, events),
          events: events.length,
          at: split.ends[i]!,
          before: from,
          axis,
          first: i === 0,
        }
        this.encodes++
        for (const m of g.members) {
          if (liveOnly && !m.live) continue
          this.delivered++
          m.push(f)
        }
      })
    }
  }
}
