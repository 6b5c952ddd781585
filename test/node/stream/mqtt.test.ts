import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { startMqttRepublish } from '../../../node/stream/mqtt-republish.ts'
import { until } from '../../helpers/wait.ts'
import { mixedBatch, type StreamFixture, streamFixture } from './fixture.ts'

let fx: StreamFixture
let broker: Aedes
let server: Server
let url: string
const sockets = new Set<Socket>()

beforeAll(async () => {
  fx = await streamFixture()
  broker = await Aedes.createBroker()
  server = createServer(broker.handle)
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const addr = server.address() as { port: number }
  url = `mqtt://127.0.0.1:${addr.port}`
})
afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()))
  if (server.listening) await new Promise<void>((r) => server.close(() => r()))
  await fx?.close()
})

type Msg = { topic: string; body: { type: string; cursor: string; reading: { [k: string]: unknown } } }

async function listener(topic: string) {
  const client = await mqtt.connectAsync(url)
  const got: Msg[] = []
  client.on('message', (t, payload) => got.push({ topic: t, body: JSON.parse(payload.toString()) }))
  await client.subscribeAsync(topic, { qos: 1 })
  return { client, got }
}

describe('MQTT republish', () => {
  it('publishes each accepted reading under stele/verified/{device}/{sensor} with its id, status and cursor', async () => {
    const sub = await listener('stele/verified/#')
    const custom = await listener('plant/#')
    const rep = startMqttRepublish({ url, hub: fx.hub, clientId: 'rep-default' })
    const rep2 = startMqttRepublish({
      url,
      hub: fx.hub,
      prefix: 'plant/{gateway}/{device}/{sensor}',
      qos: 1,
      clientId: 'rep-custom',
    })
    await Promise.all([rep.ready, rep2.ready])
    const results = await fx.node.submitBatches([
      mixedBatch(fx.gw, [
        [3, 'dev-1', 'temp'],
        [2, 'dev-2', 'hum'],
      ]),
    ])
    await until(() => sub.got.length === 5 && custom.got.length === 5, {
      what: 'five messages on each prefix',
    })
    expect(sub.got.map((m) => m.topic)).toEqual([
      ...Array(3).fill('stele/verified/dev-1/temp'),
      ...Array(2).fill('stele/verified/dev-2/hum'),
    ])
    const gw = toHex(fx.gw.key.publicKey)
    expect(custom.got.map((m) => m.topic)).toEqual([
      ...Array(3).fill(`plant/${gw}/dev-1/temp`),
      ...Array(2).fill(`plant/${gw}/dev-2/hum`),
    ])
    sub.got.forEach((m, i) => {
      expect(m.body).toMatchObject({ type: 'reading', cursor: `1.${i}.0` })
      expect(m.body.reading).toMatchObject({ status: 'pending', txHash: results[0]!.txHash, leafIndex: i })
    })
    // The id is the reading's id on the node.
    const id = sub.got[4]!.body.reading['id'] as string
    expect((await fx.app.inject({ url: `/v1/readings/${id}` })).json()).toMatchObject({ device: 'dev-2' })
    expect(rep2.stats()).toMatchObject({ published: 5, dropped: 0, inflight: 0, connected: true })

    // With the broker away nothing is queued: readings are dropped and counted.
    await rep2.stop()
    for (const c of [sub.client, custom.client]) await c.endAsync()
    const closed = new Promise<void>((r) => server.close(() => r()))
    for (const s of sockets) s.destroy()
    await closed
    await until(() => !rep.stats().connected, { what: 'the republisher to notice the broker is gone' })
    await fx.node.submitBatches([fx.gw.next(7, 'dev-1', 'temp')])
    expect(rep.stats()).toMatchObject({ published: 5, dropped: 7, inflight: 0 })
    await rep.stop()
  })

  it('refuses a prefix without {device} or with wildcards', () => {
    for (const prefix of ['stele/all', 'stele/+/{device}', 'x/{device}/#'])
      expect(() => startMqttRepublish({ url, hub: fx.hub, prefix })).toThrow(
        expect.objectContaining({ code: 'STELE_CONFIG' }),
      )
  })
})
