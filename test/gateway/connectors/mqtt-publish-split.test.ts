import { PassThrough } from 'node:stream'
import type { MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import {
  type IncomingPublish,
  type PublishReader,
  splitPublishes,
} from '../../../gateway/connectors/mqtt/mqtt-publish-split.ts'
import { settle, until } from '../../helpers/wait.ts'

/** An MQTT 3.1.1 PUBLISH: fixed header, remaining length, topic, packet id (QoS > 0), payload. */
function publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, id = 1): Buffer {
  const t = Buffer.from(topic)
  const p = Buffer.from(payload)
  const body = Buffer.concat([
    Buffer.from([t.length >> 8, t.length & 0xff]),
    t,
    qos > 0 ? Buffer.from([id >> 8, id & 0xff]) : Buffer.alloc(0),
    p,
  ])
  const len: number[] = []
  let n = body.length
  do {
    len.push((n % 128) | (n >= 128 ? 0x80 : 0))
    n = Math.floor(n / 128)
  } while (n > 0)
  return Buffer.concat([Buffer.from([0x30 | (qos << 1), ...len]), body])
}
const CONNACK = Buffer.from([0x20, 2, 0, 0])
const PINGRESP = Buffer.from([0xd0, 0])

/** A client whose stream builder hands out `socket`; what is not taken lands in `toMqttJs`. */
function harness(take: (p: IncomingPublish, r: PublishReader) => boolean) {
  const socket = new PassThrough()
  const toMqttJs = new PassThrough()
  const forwarded: Buffer[] = []
  toMqttJs.on('data', (d: Buffer) => forwarded.push(d))
  const client = { streamBuilder: () => socket } as unknown as MqttClient
  splitPublishes(client, take)
  const stream = (client as unknown as { streamBuilder: () => PassThrough }).streamBuilder()
  stream.pipe(toMqttJs) // as mqtt.js's connect() does
  return { socket, forwarded: () => Buffer.concat(forwarded) }
}

describe('PUBLISH splitter ahead of mqtt.js', () => {
  it('takes QoS 0/1 publishes, in order, across any chunking, and passes every other packet on unchanged', async () => {
    const big = Buffer.alloc(300, 0x61) // a two-byte remaining length
    const wire = Buffer.concat([
      CONNACK,
      publish('stele/d1/t', '21.5', 1, 7),
      publish('stele/d2/t', big, 0),
      PINGRESP,
      publish('stele/d3/t', 'x', 2, 9), // QoS 2: mqtt.js's
      publish('stele/d4/ü', '{"value":1}', 1, 65535),
    ])
    const mine = Buffer.concat([CONNACK, PINGRESP, publish('stele/d3/t', 'x', 2, 9)])
    for (const size of [1, 3, 7, 64, wire.length]) {
      const got: IncomingPublish[] = []
      const h = harness((p) => {
        got.push({ ...p, payload: Buffer.from(p.payload) })
        return true
      })
      for (let i = 0; i < wire.length; i += size) h.socket.write(wire.subarray(i, i + size))
      await until(() => got.length === 3 && h.forwarded().length === mine.length, {
        what: `chunks of ${size}`,
      })
      expect(got.map((p) => [p.topic, p.qos, p.messageId, p.payload.length])).toEqual([
        ['stele/d1/t', 1, 7, 4],
        ['stele/d2/t', 0, 0, 300],
        ['stele/d4/ü', 1, 65535, 11],
      ])
      expect(got[0]!.payload.toString()).toBe('21.5')
      expect(h.forwarded()).toEqual(mine)
    }
  })

  it('stops taking when told to and goes on from the same packet on resume', async () => {
    const got: number[] = []
    let reader: PublishReader | undefined
    const h = harness((p, r) => {
      got.push(p.messageId)
      reader = r
      return got.length !== 2 // hold after the second
    })
    h.socket.write(Buffer.concat([1, 2, 3, 4].map((id) => publish('a/b/c', '1', 1, id))))
    await until(() => got.length === 2, { what: 'two taken' })
    await settle()
    expect(got).toEqual([1, 2])
    reader!.resume()
    expect(got).toEqual([1, 2, 3, 4])
  })

  it('hands malformed framing to mqtt.js, which closes the connection', async () => {
    const got: IncomingPublish[] = []
    const h = harness((p) => got.push(p) > 0)
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0])
    h.socket.write(Buffer.concat([publish('a/b/c', '1', 1), bad, publish('a/b/c', '2', 1)]))
    await until(() => h.forwarded().length > 0, { what: 'bytes to mqtt.js' })
    expect(got).toHaveLength(1)
    expect(h.forwarded().subarray(0, bad.length)).toEqual(bad)
  })
})
