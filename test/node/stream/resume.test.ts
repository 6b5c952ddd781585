import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { SseParser } from '../../../node/stream/sse-parser.ts'
import { until } from '../../helpers/wait.ts'
import type { Ev } from './clients.ts'
import { type StreamFixture, streamFixture } from './fixture.ts'

let fx: StreamFixture

// A small seam: a replay that takes longer than a few live batches overflows it and must go back to storage.
beforeAll(async () => {
  fx = await streamFixture({ maxBufferEvents: 64 })
})
afterAll(async () => {
  await fx?.close()
})

const DEVICES = ['dev-a', 'dev-b', 'dev-c', 'dev-d']

type Got = { seq: number; device: string }

/**
 * A client that reads the stream, drops its connection after each count in `dropAfter` (abruptly, mid-stream,
 * ignoring anything still in flight) and reconnects at once with the cursor of the last event it processed: over
 * WebSocket with ?cursor=, over SSE with Last-Event-ID.
 */
function resumingClient(kind: 'ws' | 'sse', query: string, dropAfter: number[], start?: string) {
  const got: Got[] = []
  let cursor = start
  let connections = 0
  let closeNow = () => {}
  const drops = [...dropAfter]
  const onEvent = (ev: Ev): boolean => {
    cursor = ev.cursor
    if (ev.type === 'reading') {
      const r = ev['reading'] as { seq: number; device: string }
      got.push({ seq: r.seq, device: r.device })
    }
    if (drops.length > 0 && got.length >= drops[0]!) {
      drops.shift()
      closeNow()
      connect()
      return false
    }
    return true
  }
  const connect = () => {
    connections++
    if (kind === 'ws') {
      const q = `${query}${cursor ? `&cursor=${cursor}` : ''}`
      const ws = new WebSocket(`${fx.base.replace('http', 'ws')}/v1/stream?${q}`)
      let dead = false
      closeNow = () => {
        dead = true
        ws.terminate()
      }
      ws.on('message', (data) => {
        for (const ev of JSON.parse(data.toString()) as Ev[]) if (dead || !onEvent(ev)) return
      })
      ws.on('error', () => undefined)
    } else {
      const headers: { [k: string]: string } = cursor ? { 'Last-Event-ID': cursor } : {}
      const req = request(`${fx.base}/v1/stream/sse?${query}`, { headers }, (res) => {
        const parser = new SseParser()
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          for (const m of parser.push(chunk)) if (dead || !onEvent(JSON.parse(m.data) as Ev)) return
        })
      })
      let dead = false
      closeNow = () => {
        dead = true
        req.destroy()
      }
      req.on('error', () => undefined)
      req.end()
    }
  }
  return { got, connect, connections: () => connections }
}

/** Submits `total` readings at `perSecond`, in batches every 10 ms, spread over DEVICES. */
async function burst(total: number, perSecond: number): Promise<void> {
  const perBatch = Math.round(perSecond / 100)
  const t0 = performance.now()
  for (let k = 0; k * perBatch < total; k++) {
    await fx.node.submitBatches([fx.gw.next(perBatch, DEVICES[k % DEVICES.length], 'temp')])
    // Pacing a load generator, not synchronisation: the next batch is due 10 ms after the previous one.
    const due = t0 + (k + 1) * 10
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
}

const consecutive = (seqs: number[], from: number, to: number) =>
  expect(seqs).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i))

describe('resume', () => {
  it('clients that drop and reconnect with their cursor during a 5,000 readings/s burst get every reading once, in order', async () => {
    // History first: 20,000 readings a late client must replay while the burst goes on.
    for (let i = 0; i < 20; i++) await fx.node.submitBatches([fx.gw.next(1000, 'dev-old', 'temp')])
    const firstBurstSeq = fx.gw.recordSeq + 1
    const ws = resumingClient('ws', 'channels=readings', [1500, 4000, 4001, 7000])
    const sse = resumingClient('sse', 'device=dev-b', [300, 1200])
    ws.connect()
    sse.connect()
    await until(() => fx.hub.stats().live >= 2, { what: 'clients live' })
    const BURST = 10_000
    const late = resumingClient('ws', 'channels=readings', [25_000], '0.0.0')
    const load = burst(BURST, 5000)
    await until(() => fx.gw.recordSeq >= firstBurstSeq + 2000, {
      what: 'the burst to be under way',
      timeoutMs: 20_000,
    })
    late.connect()
    await load
    const last = fx.gw.recordSeq
    await until(() => ws.got.length >= BURST && late.got.length >= last, {
      what: 'every reading to arrive',
      timeoutMs: 20_000,
    })
    await until(() => sse.got.length >= BURST / DEVICES.length, {
      what: 'dev-b readings over SSE',
      timeoutMs: 20_000,
    })

    consecutive(
      ws.got.map((g) => g.seq),
      firstBurstSeq,
      last,
    )
    consecutive(
      late.got.map((g) => g.seq),
      1,
      last,
    )
    const devB = sse.got.map((g) => g.seq)
    expect(new Set(devB).size).toBe(devB.length)
    expect(devB).toEqual([...devB].sort((a, b) => a - b))
    expect(devB).toHaveLength(BURST / DEVICES.length)
    expect(sse.got.every((g) => g.device === 'dev-b')).toBe(true)
    expect(ws.connections()).toBe(5)
    expect(sse.connections()).toBe(3)
    expect(late.connections()).toBe(2)
    // The late replay outlasted its 64-event seam at least once and went back to storage.
    expect(fx.hub.stats().seamOverflows).toBeGreaterThan(0)
    expect(fx.hub.stats().lagged).toBe(0)
  })
})
