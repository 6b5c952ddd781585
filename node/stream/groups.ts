import type { Cursor } from './cursor.ts'
import { type EncodedEvent, frame, type Transport } from './events.ts'
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
   * Publishes to the groups that `wants` the events `build` returns. One publish is one frame per subscriber: it
   * gets all of it or is cut off before it, so its lag cursor (`before`) is exact.
   */
  publish(
    wants: (sub: Subscription) => boolean,
    axis: Framed['axis'],
    before: Cursor,
    at: Cursor,
    build: (sub: Subscription) => EncodedEvent[],
    liveOnly = false,
  ): void {
    const bySub = new Map<string, EncodedEvent[]>()
    for (const g of this.groups.values()) {
      if (!wants(g.sub)) continue
      const events = bySub.get(g.sub.key) ?? build(g.sub)
      bySub.set(g.sub.key, events)
      if (events.length === 0) continue
      const f: Framed = { frame: frame(g.kind, events), events: events.length, at, before, axis }
      this.encodes++
      for (const m of g.members) {
        if (liveOnly && !m.live) continue
        this.delivered++
        m.push(f)
      }
    }
  }
}
