/**
 * The embedded broker's persistence: aedes' own in-memory one (aedes-persistence, the version aedes itself loads),
 * with outgoing queues that stay cheap per message when a subscriber holds thousands of messages unacknowledged.
 *
 * The gateway holds a message's PUBACK until its readings are in the outbox, so its queue holds every message in
 * flight (about 5,000 under the bench's load). aedes-persistence finds the packet to update (when aedes gives it a
 * packet id) by scanning from the front, though it is near the back, and removes the acknowledged one, the first,
 * with a splice that moves the whole array: two passes over the queue per message on the main thread. Here the same
 * queue and the same results, but an update finds its packet by broker counter in a map when that finds the same
 * packet (every queued packet is from this broker, so none matches on its packet id alone, and no broker counter is
 * queued twice, so the match is unique; otherwise it scans from the front as aedes-persistence does), and taking the
 * first packet moves a head index. aedes-persistence's own suite for persistences passes against it, and a model
 * test compares every answer with aedes-persistence's (test/gateway/aedes-outgoing.test.ts).
 */
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'

/** The fields of aedes' queued packets that these methods read or write. */
interface QueuedPacket {
  brokerId?: string | undefined
  brokerCounter?: number | undefined
  messageId?: number | undefined
}

interface Queue {
  /** The queue is packets[head..]: taking the first packet moves `head` (a splice at 0 moved the whole array). */
  packets: (QueuedPacket | undefined)[]
  head: number
  /** Packets queued whose brokerId is not this broker's. */
  foreign: number
  /** This broker's packets by counter (one of them, for a counter queued more than once). */
  byCounter: Map<number, QueuedPacket>
  /** For a counter queued more than once, how many times more; and the sum of those. */
  extra: Map<number, number>
  repeated: number
}

type Sub = { clientId: string }
type ClientRef = { id: string }

// aedes-persistence as aedes resolves it: not a dependency of ours, so the version is always aedes' own.
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'))
// biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS internals of aedes-persistence
const AsyncMemory: any = fromAedes('aedes-persistence/asyncPersistence.js')
// biome-ignore lint/suspicious/noExplicitAny: as above
const { CallBackPersistence }: any = fromAedes('aedes-persistence/callBackPersistence.js')
const Packet: new (p: QueuedPacket) => QueuedPacket = AsyncMemory.Packet

/** aedes-persistence's MemoryPersistence with the outgoing queues described above. */
export class IndexedOutgoingMemory extends AsyncMemory {
  readonly #queues = new Map<string, Queue>()

  async outgoingEnqueue(sub: Sub, packet: QueuedPacket): Promise<void> {
    this.#add(this.#queue(sub.clientId), new Packet(packet))
  }

  async outgoingEnqueueCombi(subs: Sub[], packet: QueuedPacket): Promise<void> {
    for (let i = 0; i < subs.length; i++) this.#add(this.#queue(subs[i]!.clientId), new Packet(packet))
  }

  async outgoingUpdate(client: ClientRef, packet: QueuedPacket): Promise<void> {
    const q = this.#queue(client.id)
    const list = q.packets
    if (packet.brokerId === this.#ownId() && q.foreign === 0 && q.repeated === 0) {
      const temp = packet.brokerCounter === undefined ? undefined : q.byCounter.get(packet.brokerCounter)
      if (temp === undefined) throw new Error('no such packet') // aedes' own words: it logs and carries on
      temp.messageId = packet.messageId
      return
    }
    for (let i = q.head; i < list.length; i++) {
      const temp = list[i]!
      if (temp.brokerId === packet.brokerId) {
        if (temp.brokerCounter === packet.brokerCounter) {
          temp.messageId = packet.messageId
          return
        }
        // Packet ids wrap at 65535: only the broker's counter says which packet this is.
      } else if (temp.messageId === packet.messageId) {
        list[i] = packet
        this.#drop(q, temp)
        this.#count(q, packet)
        return
      }
    }
    throw new Error('no such packet')
  }

  async outgoingClearMessageId(client: ClientRef, packet: QueuedPacket): Promise<QueuedPacket | undefined> {
    const q = this.#queue(client.id)
    const list = q.packets
    for (let i = q.head; i < list.length; i++) {
      const temp = list[i]!
      if (temp.messageId === packet.messageId) {
        this.#take(q, i)
        this.#drop(q, temp)
        return temp
      }
    }
    return undefined
  }

  /** Removes packets[i]; PUBACKs come in order, so mostly the first, which only moves `head`. */
  #take(q: Queue, i: number): void {
    const list = q.packets
    if (i > q.head) {
      list.splice(i, 1)
      return
    }
    list[i] = undefined
    q.head++
    if (q.head === list.length) {
      list.length = 0
      q.head = 0
    } else if (q.head >= 1024 && q.head * 2 >= list.length) {
      list.splice(0, q.head) // now and then, so the array does not only grow
      q.head = 0
    }
  }

  outgoingStream(client: ClientRef): Readable {
    // A copy, so that the queue can change while the stream is read.
    const q = this.#queues.get(client.id)
    return Readable.from(q ? q.packets.slice(q.head) : [])
  }

  #ownId(): string | undefined {
    return (this as unknown as { broker?: { id?: string } }).broker?.id
  }

  #queue(clientId: string): Queue {
    let q = this.#queues.get(clientId)
    if (!q) {
      q = { packets: [], head: 0, foreign: 0, byCounter: new Map(), extra: new Map(), repeated: 0 }
      this.#queues.set(clientId, q)
    }
    return q
  }

  #add(q: Queue, packet: QueuedPacket): void {
    q.packets.push(packet)
    this.#count(q, packet)
  }

  #count(q: Queue, packet: QueuedPacket): void {
    if (packet.brokerId !== this.#ownId() || packet.brokerCounter === undefined) {
      q.foreign++
      return
    }
    const c = packet.brokerCounter
    if (!q.byCounter.has(c)) {
      q.byCounter.set(c, packet)
      return
    }
    q.extra.set(c, (q.extra.get(c) ?? 0) + 1)
    q.repeated++
  }

  #drop(q: Queue, packet: QueuedPacket): void {
    if (packet.brokerId !== this.#ownId() || packet.brokerCounter === undefined) {
      q.foreign--
      return
    }
    const c = packet.brokerCounter
    const more = q.extra.get(c)
    if (more === undefined) {
      q.byCounter.delete(c)
      return
    }
    q.repeated--
    if (more === 1) q.extra.delete(c)
    else q.extra.set(c, more - 1)
    if (q.byCounter.get(c) !== packet) return
    // `packet` has left the queue; the counter's entry moves to one still queued (rare: a counter queued twice).
    const own = this.#ownId()
    for (let i = q.head; i < q.packets.length; i++) {
      const p = q.packets[i]!
      if (p.brokerId === own && p.brokerCounter === c) {
        q.byCounter.set(c, p)
        return
      }
    }
  }
}

/** What aedes' `persistence` option takes: aedes-persistence's callback wrapper around IndexedOutgoingMemory. */
// biome-ignore lint/suspicious/noExplicitAny: aedes' persistence type is its own
export function indexedOutgoingPersistence(): any {
  return new CallBackPersistence(() => new IndexedOutgoingMemory())
}
