import { request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { toHex } from '../../../core/bytes.ts'
import { BatchMaker } from '../../helpers/batches.ts'
import { until } from '../../helpers/wait.ts'
import { type Ev, sseClient as sseOpen, wsClient as wsOpen } from './clients.ts'
import { mixedBatch, type StreamFixture, streamFixture } from './fixture.ts'

let fx: StreamFixture
let gw2: BatchMaker
let clock = 1_800_000_000_000

beforeAll(async () => {
  fx = await streamFixture({ now: () => clock, status: { minOfflineMs: 1000 } })
  gw2 = new BatchMaker(fx.node.genesis.chainId)
  await fx.node.registerGateway(toHex(gw2.key.publicKey), 'second gateway')
})
afterAll(async () => {
  await fx?.close()
})

// Each test closes its clients, and the next starts once the hub has seen them go.
const opened: (() => void)[] = []
const wsClient = async (base: string, query = '') => {
  const client = await wsOpen(base, query)
  opened.push(() => client.ws.close())
  return client
}
const sseClient = async (base: string, query = '', headers: { [k: string]: string } = {}) => {
  const client = await sseOpen(base, query, headers)
  opened.push(client.close)
  return client
}
afterEach(async () => {
  for (const close of opened.splice(0)) close()
  await until(() => fx.hub.stats().subscribers === 0, { what: 'the hub to see every client go' })
})

type Reading = {
  device: string
  sensor: string
  gateway: string
  seq: number
  status: string
  txHash: string
}
const readings = (events: Ev[]): Reading[] =>
  events.filter((e) => e.type === 'reading').map((e) => e['reading'] as Reading)
const key = (r: Reading) => `${r.gateway.slice(0, 4)}:${r.seq}:${r.device}/${r.sensor}`

function getStatus(
  url: string,
  headers: { [k: string]: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('live stream', () => {
  it('delivers to each client exactly the readings and confirmations its filter asks for, over WS and SSE', async () => {
    const gw2Hex = toHex(gw2.key.publicKey)
    const clients = {
      all: (await wsClient(fx.base, '?channels=readings,confirmations')).c,
      dev1: (await sseClient(fx.base, '?device=dev-1&channels=readings,confirmations')).c,
      hum: (await wsClient(fx.base, '?sensor=hum&channels=readings,confirmations')).c,
      dev1temp: (await sseClient(fx.base, '?device=dev-1&sensor=temp&channels=readings,confirmations')).c,
      gw2: (await wsClient(fx.base, `?gateway=${gw2Hex}&channels=readings,confirmations`)).c,
      twoDevices: (await sseClient(fx.base, '?device=dev-2,dev-3&channels=readings,confirmations')).c,
    }
    const batches = [
      fx.gw.next(5, 'dev-1', 'temp'),
      fx.gw.next(3, 'dev-1', 'hum'),
      mixedBatch(fx.gw, [
        [2, 'dev-2', 'temp'],
        [2, 'dev-1', 'temp'],
        [1, 'dev-2', 'hum'],
      ]),
    ]
    const other = [gw2.next(4, 'dev-3', 'hum'), gw2.next(2, 'dev-3', 'temp')]
    await fx.node.submitBatches(batches)
    await fx.node.submitBatches(other)
    await fx.node.producer.produce()
    for (const [name, c] of Object.entries(clients))
      await c.waitFor((e) => e.some((x) => x.type === 'confirmation'), `${name}'s confirmation`)

    const all = readings(clients.all.events)
    expect(all).toHaveLength(19)
    expect(all.every((r) => r.status === 'pending')).toBe(true)
    const want = (pred: (r: Reading) => boolean) => all.filter(pred).map(key)
    expect(readings(clients.dev1.events).map(key)).toEqual(want((r) => r.device === 'dev-1'))
    expect(readings(clients.hum.events).map(key)).toEqual(want((r) => r.sensor === 'hum'))
    expect(readings(clients.dev1temp.events).map(key)).toEqual(
      want((r) => r.device === 'dev-1' && r.sensor === 'temp'),
    )
    expect(readings(clients.gw2.events).map(key)).toEqual(want((r) => r.gateway === gw2Hex))
    expect(readings(clients.twoDevices.events).map(key)).toEqual(
      want((r) => r.device === 'dev-2' || r.device === 'dev-3'),
    )
    // Confirmations name only the batches holding readings the client asked for, as (tx, records).
    const confirmed = (c: typeof clients.all) =>
      (c.of('confirmation')[0]!['batches'] as { tx: string; records: number }[]).map((b) => b.records)
    expect(confirmed(clients.all)).toEqual([5, 3, 5, 4, 2])
    expect(confirmed(clients.dev1)).toEqual([5, 3, 5])
    expect(confirmed(clients.hum)).toEqual([3, 5, 4])
    expect(confirmed(clients.gw2)).toEqual([4, 2])
    expect(clients.all.of('confirmation')[0]!['height']).toBe(fx.node.state.tip.height)
    // Every event's cursor is later than the one before it.
    const cursors = clients.all.events.slice(2).map((e) => e.cursor.split('.').map(Number))
    for (let i = 1; i < cursors.length; i++) {
      const [a, b] = [cursors[i - 1]!, cursors[i]!]
      expect(b[0]! > a[0]! || (b[0] === a[0] && (b[1]! > a[1]! || b[2]! > a[2]!))).toBe(true)
    }
  })

  it('replays history from 0.0.0 (readings, then blocks and confirmations) before going live', async () => {
    const { c } = await wsClient(fx.base, '?channels=readings,blocks,confirmations&cursor=0.0.0')
    await c.waitFor((e) => e.some((x) => x.type === 'live'), 'the live marker')
    const live = c.events.findIndex((e) => e.type === 'live')
    const history = c.events.slice(1, live)
    expect(readings(history)).toHaveLength(fx.hub.stats().cursor.seq > 0 ? countStored() : 0)
    expect(readings(history).every((r) => r.status === 'confirmed')).toBe(true)
    const blocks = history
      .filter((e) => e.type === 'block')
      .map((e) => (e['block'] as { height: number }).height)
    expect(blocks).toEqual(Array.from({ length: fx.node.state.tip.height }, (_, i) => i + 1))
    expect(c.events[live]!.cursor).toBe(history.at(-1)!.cursor)
    await fx.node.submitBatches([fx.gw.next(2, 'dev-1', 'temp')])
    await c.waitFor((e) => readings(e.slice(live)).length === 2, 'two live readings')
  })

  it('takes a subscribe message over WebSocket; a bad one gets an error event and the socket stays open', async () => {
    const { ws, c } = await wsClient(fx.base)
    await c.waitFor((e) => e[0]?.type === 'hello', 'hello')
    ws.send('not json')
    ws.send(JSON.stringify({ type: 'subscribe', channels: ['gossip'] }))
    ws.send(JSON.stringify({ type: 'subscribe', cursor: '99999.0.0' }))
    await c.waitFor((e) => e.filter((x) => x.type === 'error').length === 3, 'three errors')
    expect(c.of('error').map((e) => e['code'])).toEqual([
      'STELE_BAD_REQUEST',
      'STELE_BAD_REQUEST',
      'STELE_BAD_CURSOR',
    ])
    ws.send(JSON.stringify({ type: 'subscribe', device: ['dev-3'], cursor: '0.0.0' }))
    await c.waitFor((e) => e.some((x) => x.type === 'live'), 'replay of dev-3')
    expect(readings(c.events).map((r) => r.device)).toEqual(Array(6).fill('dev-3'))
    // A new subscription replaces the old one on the same socket.
    ws.send(JSON.stringify({ type: 'subscribe', sensor: 'hum' }))
    await c.waitFor((e) => e.filter((x) => x.type === 'subscribed').length === 2, 'second subscription')
    await fx.node.submitBatches([gw2.next(1, 'dev-3', 'temp'), gw2.next(1, 'dev-4', 'hum')])
    await c.waitFor((e) => readings(e).some((r) => r.device === 'dev-4'), 'dev-4 hum')
    const after = c.events.slice(c.events.findLastIndex((e) => e.type === 'subscribed'))
    expect(readings(after).map((r) => `${r.device}/${r.sensor}`)).toEqual(['dev-4/hum'])
    ws.close()
  })

  it('closes a socket whose subscribe message is over 64 KiB with 1009, as docs/streaming.md says', async () => {
    const { ws, c } = await wsClient(fx.base)
    await c.waitFor((e) => e[0]?.type === 'hello', 'hello')
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(JSON.stringify({ type: 'subscribe', device: ['x'.repeat(64 * 1024)] }))
    expect(await closed).toBe(1009)
  })

  it('refuses bad subscriptions and cursors with 400 before streaming', async () => {
    for (const [q, code] of [
      ['?cursor=abc', 'STELE_BAD_CURSOR'],
      ['?cursor=99999999.0.0', 'STELE_BAD_CURSOR'],
      ['?cursor=0.0.9999', 'STELE_BAD_CURSOR'],
      ['?channels=readings,gossip', 'STELE_BAD_REQUEST'],
      ['?device=a%20b', 'STELE_BAD_REQUEST'],
      ['?colour=red', 'STELE_BAD_REQUEST'],
    ]) {
      const r = await getStatus(`${fx.base}/v1/stream/sse${q}`)
      expect([q, r.status, JSON.parse(r.body).error.code]).toEqual([q, 400, code])
    }
    const plain = await getStatus(`${fx.base}/v1/stream`)
    expect([plain.status, JSON.parse(plain.body).error.message]).toEqual([
      400,
      expect.stringContaining('WebSocket'),
    ])
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${fx.base.replace('http', 'ws')}/v1/stream?channels=nope`)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
    })
    expect(refused).toBe(400)
  })

  it('resumes SSE from Last-Event-ID, which wins over ?cursor', async () => {
    const first = await sseClient(fx.base, '?device=dev-1&cursor=0.0.0')
    await first.c.waitFor((e) => e.some((x) => x.type === 'live'), 'replay')
    const rs = first.c.events.filter((e) => e.type === 'reading')
    first.close()
    const mid = rs[4]!
    const again = await sseClient(fx.base, '?device=dev-1&cursor=0.0.0', { 'Last-Event-ID': mid.cursor })
    await again.c.waitFor((e) => e.some((x) => x.type === 'live'), 'replay after Last-Event-ID')
    expect(readings(again.c.events).map(key)).toEqual(readings(rs.slice(5)).map(key))
    again.close()
  })

  it('encodes each event once per subscription and transport, not once per subscriber', async () => {
    const ws = await Promise.all(Array.from({ length: 40 }, () => wsClient(fx.base, '?device=dev-5')))
    const sse = await Promise.all(Array.from({ length: 10 }, () => sseClient(fx.base, '?device=dev-5')))
    const before = fx.hub.stats()
    await fx.node.submitBatches([fx.gw.next(20, 'dev-5', 'temp')])
    for (const { c } of [...ws, ...sse]) await c.waitFor((e) => readings(e).length === 20, '20 readings each')
    const after = fx.hub.stats()
    expect(after.encodes - before.encodes).toBe(2)
    expect(after.delivered - before.delivered).toBe(50)
    for (const { ws: s } of ws) s.close()
    for (const s of sse) s.close()
  })

  it('reports devices and gateways online, then offline after N× their interval by the injected clock', async () => {
    const { c } = await wsClient(fx.base, '?channels=status&device=dev-9')
    await c.waitFor((e) => e.some((x) => x.type === 'live'), 'live')
    await fx.node.submitBatches([fx.gw.next(3, 'dev-9', 'temp')])
    await c.waitFor((e) => e.some((x) => x['id'] === 'dev-9' && x['state'] === 'online'), 'dev-9 online')
    clock += 999
    fx.hub.status.check()
    clock += 2
    fx.hub.status.check()
    await c.waitFor((e) => e.some((x) => x['id'] === 'dev-9' && x['state'] === 'offline'), 'dev-9 offline')
    const dev9 = c.events.filter((e) => e['id'] === 'dev-9')
    expect(dev9.map((e) => e['state'])).toEqual(['online', 'offline'])
    expect(dev9[1]).toMatchObject({ kind: 'device', gateway: toHex(fx.gw.key.publicKey), readings: 3 })
    // The device filter keeps other devices' status away; gateway and node status are not device-specific.
    expect(
      c.events.filter((e) => e.type === 'status' && e['kind'] === 'device' && e['id'] !== 'dev-9'),
    ).toEqual([])
  })
})

function countStored(): number {
  let n = 0
  for (const d of fx.node.devices.values()) n += d.readings
  return n
}
