/**
 * Reads the QoS 0 and 1 PUBLISH packets of an MQTT 3.1/3.1.1 connection off the socket ahead of mqtt.js, and hands
 * every other packet's bytes on to mqtt.js unchanged, in order. mqtt.js's path for an incoming message (mqtt-packet's
 * state machine over a BufferList, about ten `debug` calls, a packet object, three closures and a queue turn per
 * packet) was, with the garbage it leaves, the largest share of the split gateway's CPU under load; here a message
 * costs a header read, its topic string and a view of its payload. QoS 2 and anything malformed still go to mqtt.js
 * (which answers them as before); MQTT 5 (properties in every PUBLISH) is not split at all (see mqtt-connector.ts).
 *
 * Wired through mqtt.js's stream builder, so every connection (reconnects too) is split: the builder's stream gets
 * a `pipe` that feeds the splitter, which writes what is not taken into mqtt.js's parser as `pipe` would.
 */
import type { MqttClient } from 'mqtt'

export interface IncomingPublish {
  topic: string
  /** A view of the socket's bytes. */
  payload: Buffer
  qos: 0 | 1
  messageId: number
}

/** One connection's reader: its stream (for PUBACKs on that connection only) and how to go on after a hold. */
export interface PublishReader {
  readonly stream: unknown
  /** Reads on after `take` returned false. */
  resume(): void
}

/** Returns false to stop reading this connection until `reader.resume()` (TCP backpressure to the broker). */
export type TakePublish = (p: IncomingPublish, reader: PublishReader) => boolean

type Source = {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown
  on(event: 'end', fn: () => void): unknown
  pause(): unknown
  resume(): unknown
  pipe: unknown
}
type Sink = { write(chunk: Buffer): boolean; end(): unknown; on(event: 'drain', fn: () => void): unknown }

/** Installs the splitter on `client`, which must have been created with `manualConnect: true` and not connected yet. */
export function splitPublishes(client: MqttClient, take: TakePublish): void {
  const c = client as unknown as { streamBuilder: (client: MqttClient) => Source }
  const build = c.streamBuilder
  c.streamBuilder = (cl) => {
    const stream = build(cl)
    stream.pipe = (dest: Sink) => {
      new Splitter(stream, dest, take).start()
      return dest
    }
    return stream
  }
}

const INCOMPLETE = -1
const MALFORMED = -2
const PUBLISH = 3

class Splitter implements PublishReader {
  private pending: Buffer | null = null
  private held = false
  private draining = false
  /** After malformed framing every byte goes to mqtt.js, which reports it and closes the connection. */
  private passThrough = false

  constructor(
    readonly stream: Source,
    private readonly dest: Sink,
    private readonly take: TakePublish,
  ) {}

  start(): void {
    this.stream.on('data', (chunk) => {
      if (this.passThrough) return this.forward(chunk)
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
      this.run()
    })
    this.stream.on('end', () => this.dest.end())
    this.dest.on('drain', () => {
      this.draining = false
      this.flow()
    })
  }

  resume(): void {
    this.held = false
    this.run()
    this.flow()
  }

  private flow(): void {
    if (this.held || this.draining) this.stream.pause()
    else this.stream.resume()
  }

  private forward(bytes: Buffer): void {
    if (!this.dest.write(bytes)) {
      this.draining = true
      this.flow()
    }
  }

  private run(): void {
    const buf = this.pending
    if (!buf) return
    let at = 0 // the next packet
    let from = 0 // bytes from here to `at` are not taken: mqtt.js's
    while (!this.held && at < buf.length) {
      const body = bodyStart(buf, at)
      if (body === INCOMPLETE) break
      if (body === MALFORMED) {
        this.passThrough = true
        at = buf.length
        break
      }
      const end = body + remaining(buf, at)
      if (end > buf.length) break
      const p = buf[at]! >> 4 === PUBLISH ? readPublish(buf, at, body, end) : null
      if (p) {
        if (from < at) this.forward(buf.subarray(from, at))
        from = end
        if (!this.take(p, this)) this.held = true
      }
      at = end
    }
    if (from < at) this.forward(buf.subarray(from, at))
    this.pending = at < buf.length ? buf.subarray(at) : null
    if (this.held) this.flow()
  }
}

/** Where the packet at `at` starts its variable header, from its remaining-length bytes (MQTT 3.1.1 §2.2.3). */
function bodyStart(buf: Buffer, at: number): number {
  for (let i = at + 1; i < at + 5; i++) {
    if (i >= buf.length) return INCOMPLETE
    if (buf[i]! < 0x80) return i + 1
  }
  return MALFORMED
}

function remaining(buf: Buffer, at: number): number {
  let n = 0
  let mult = 1
  for (let i = at + 1; ; i++) {
    const d = buf[i]!
    n += (d & 0x7f) * mult
    if (d < 0x80) return n
    mult *= 0x80
  }
}

/** A QoS 0 or 1 PUBLISH between `body` and `end`, or null for mqtt.js to handle (QoS 2, reserved bits, short). */
function readPublish(buf: Buffer, at: number, body: number, end: number): IncomingPublish | null {
  const qos = (buf[at]! >> 1) & 3
  if (qos > 1 || body + 2 > end) return null
  const topicEnd = body + 2 + buf.readUInt16BE(body)
  const payloadStart = topicEnd + (qos === 1 ? 2 : 0)
  if (payloadStart > end) return null
  return {
    topic: buf.toString('utf8', body + 2, topicEnd),
    payload: buf.subarray(payloadStart, end),
    qos: qos as 0 | 1,
    messageId: qos === 1 ? buf.readUInt16BE(topicEnd) : 0,
  }
}
