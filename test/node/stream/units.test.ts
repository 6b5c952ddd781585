import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { isSteleError } from '../../../core/errors.ts'
import { encodeRecord } from '../../../core/record.ts'
import { readingView } from '../../../node/chain/reading-view.ts'
import { encodeCursor, parseCursor } from '../../../node/stream/cursor.ts'
import { frame, readingEvent } from '../../../node/stream/events.ts'
import { matchBatch, matchReading, parseSubscription, summarize } from '../../../node/stream/filter.ts'
import { SseParser } from '../../../node/stream/sse-parser.ts'
import { type StatusChange, StatusMonitor } from '../../../node/stream/status.ts'
import { BatchMaker } from '../../helpers/batches.ts'

const GW = 'ab'.repeat(32)

describe('cursor', () => {
  it('round-trips seq.index.height and refuses anything else with STELE_BAD_CURSOR', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), fc.nat(1e6), fc.nat(2 ** 40), (seq, index, height) => {
        expect(parseCursor(encodeCursor({ seq, index, height }))).toEqual({ seq, index, height })
      }),
      { seed: 0x5e1, numRuns: 200 },
    )
    for (const bad of ['', '1.2', '1.2.3.4', 'a.b.c', '-1.0.0', 'c1.abc', '1.2.3x'])
      expect(() => parseCursor(bad)).toThrow(expect.objectContaining({ code: 'STELE_BAD_CURSOR' }))
  })
})

describe('subscription', () => {
  it('parses comma lists and arrays the same, with one canonical key', () => {
    const a = parseSubscription({ channels: 'readings,status', device: 'b,a', gateway: GW.toUpperCase() })
    const b = parseSubscription({ channels: ['status', 'readings'], device: ['a', 'b', 'a'], gateway: [GW] })
    expect(a.key).toBe(b.key)
    expect([...a.channels]).toEqual(['readings', 'status'])
    expect(parseSubscription({}).key).toBe('readings|*|*|*')
  })

  it('refuses unknown channels and malformed filters with STELE_BAD_REQUEST', () => {
    for (const input of [
      { channels: 'readings,gossip' },
      { device: 'has space' },
      { gateway: 'abc' },
      { sensor: ['ok', 7] as unknown as string[] },
    ]) {
      let err: unknown
      try {
        parseSubscription(input)
      } catch (e) {
        err = e
      }
      expect(isSteleError(err, 'STELE_BAD_REQUEST')).toBe(true)
    }
  })

  it('matches AND across fields, OR within one', () => {
    const s = parseSubscription({ device: 'd1,d2', sensor: 'temp' })
    expect(matchReading(s, 'd1', 'temp', GW)).toBe(true)
    expect(matchReading(s, 'd2', 'temp', GW)).toBe(true)
    expect(matchReading(s, 'd1', 'hum', GW)).toBe(false)
    expect(matchReading(s, 'd3', 'temp', GW)).toBe(false)
    const batch = summarize('t', 1, GW, [
      { device: 'd1', sensor: 'hum' },
      { device: 'd3', sensor: 'temp' },
    ])
    expect(matchBatch(s, batch)).toBe(false)
    expect(matchBatch(parseSubscription({ device: 'd3' }), batch)).toBe(true)
    expect(matchBatch(parseSubscription({ gateway: 'cd'.repeat(32) }), batch)).toBe(false)
  })

  it('summarises a batch whose devices alternate: each device with every sensor it sent', () => {
    const batch = summarize('t', 1, GW, [
      { device: 'd1', sensor: 'hum' },
      { device: 'd2', sensor: 'temp' },
      { device: 'd1', sensor: 'temp' },
      { device: 'd1', sensor: 'temp' },
    ])
    expect([...batch.sensors].map(([d, s]) => [d, [...s]])).toEqual([
      ['d1', ['hum', 'temp']],
      ['d2', ['temp']],
    ])
    expect(matchBatch(parseSubscription({ device: 'd1', sensor: 'temp' }), batch)).toBe(true)
    expect(matchBatch(parseSubscription({ device: 'd2', sensor: 'hum' }), batch)).toBe(false)
    expect(matchBatch(parseSubscription({ sensor: 'hum' }), batch)).toBe(true)
  })
})

describe('reading event', () => {
  it('carries exactly the reading view of GET /v1/readings/:id', () => {
    const gw = new BatchMaker('test')
    const records = gw.records(50)
    records[1]!.unit = undefined
    records[2]!.deviceSeq = undefined
    records[3]!.deviceTime = 1_700_000_000_123
    records[4]!.value = -0.000_123_4
    records[5]!.unit = 'µS/cm "x"'
    records.forEach((r, i) => {
      const height = i % 2 === 0 ? null : 7
      const id = toHex(encodeRecord(r)).slice(0, 64)
      const ev = JSON.parse(
        readingEvent(`3.${i}.0`, id, r, toHex(r.gateway), 'aa'.repeat(32), i, height).json,
      )
      expect(ev).toEqual({
        type: 'reading',
        cursor: `3.${i}.0`,
        reading: readingView(id, r, 'aa'.repeat(32), height, i),
      })
    })
  })

  it('writes timeIso as toISOString does, for any record time', () => {
    const r = new BatchMaker('test').records(1)[0]!
    fc.assert(
      fc.property(fc.oneof(fc.nat(0xffff_ffff_ffff), fc.nat(2_000_000_000_000)), (time) => {
        const ev = JSON.parse(readingEvent('1.0.0', 'x', { ...r, time }, 'g', 't', 0, null).json)
        expect(ev.reading.timeIso).toBe(new Date(time).toISOString())
      }),
      { seed: 0x5e2, numRuns: 2000 },
    )
  })

  it('frames events as a JSON array (WebSocket) or as id/event/data blocks (SSE)', () => {
    const evs = [
      { type: 'a', cursor: '1.0.0', json: '{"type":"a","cursor":"1.0.0"}' },
      { type: 'b', cursor: '1.1.0', json: '{"type":"b","cursor":"1.1.0"}' },
    ]
    expect(JSON.parse(frame('ws', evs).toString())).toEqual([
      { type: 'a', cursor: '1.0.0' },
      { type: 'b', cursor: '1.1.0' },
    ])
    const parsed = new SseParser().push(frame('sse', evs).toString())
    expect(parsed.map((m) => [m.id, m.event, JSON.parse(m.data).cursor])).toEqual([
      ['1.0.0', 'a', '1.0.0'],
      ['1.1.0', 'b', '1.1.0'],
    ])
  })
})

describe('SSE parser', () => {
  it('yields the same events however the stream is cut into chunks, with LF, CRLF or CR', () => {
    const text =
      'retry: 1000\n\n: comment\nid: 1.0.0\nevent: reading\ndata: {"a":1}\n\nid: 1.1.0\ndata: x\ndata:y\n\n'
    const expected = new SseParser().push(text)
    expect(expected).toEqual([
      { id: '1.0.0', event: 'reading', data: '{"a":1}' },
      { id: '1.1.0', event: 'message', data: 'x\ny' },
    ])
    fc.assert(
      fc.property(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.uniqueArray(fc.nat(200), { maxLength: 12 }),
        (eol, cuts) => {
          const t = text.replaceAll('\n', eol)
          const points = [...cuts.filter((c) => c < t.length)].sort((x, y) => x - y)
          const p = new SseParser()
          const got = []
          let at = 0
          for (const c of [...points, t.length]) {
            got.push(...p.push(t.slice(at, c)))
            at = c
          }
          expect(got).toEqual(expected)
        },
      ),
      { seed: 0x5e3, numRuns: 300 },
    )
  })
})

describe('status monitor', () => {
  it('puts a device offline after N of its intervals by the injected clock, never sooner than the floor', () => {
    let now = 1_000_000
    const changes: StatusChange[] = []
    const refused = new Map<string, number>()
    const m = new StatusMonitor(
      () => now,
      (c) => changes.push(c),
      () => refused,
      { offlineAfterIntervals: 5, minOfflineMs: 1000 },
    )
    m.seed([{ device: 'old', gateway: GW }])
    const gw = new BatchMaker('test')
    const recs = gw.records(4, 'd1') // 10 ms apart
    m.observe(GW, recs)
    expect(changes.map((c) => `${c.kind}:${c.id}:${c.fields['state']}`)).toEqual([
      'gateway:' + GW + ':online',
      'device:d1:online',
    ])
    changes.length = 0
    now += 999
    m.check()
    expect(changes.filter((c) => c.kind !== 'node')).toEqual([])
    now += 2
    m.check()
    expect(changes.filter((c) => c.kind !== 'node').map((c) => `${c.id}:${c.fields['state']}`)).toEqual([
      `${GW}:offline`,
      'd1:offline',
    ])
    // A slow device (one reading a minute) stays online for five minutes of silence.
    changes.length = 0
    const slow = gw.records(3, 'slow').map((r, i) => ({ ...r, time: r.time + i * 60_000 }))
    m.observe(GW, slow)
    now += 4 * 60_000
    m.check()
    expect(changes.some((c) => c.id === 'slow' && c.fields['state'] === 'offline')).toBe(false)
    now += 61_000
    m.check()
    expect(changes.some((c) => c.id === 'slow' && c.fields['state'] === 'offline')).toBe(true)
    // Error counts change as the node refuses things.
    changes.length = 0
    refused.set('STELE_BATCH_GAP', 2)
    m.check()
    m.check()
    expect(changes.filter((c) => c.kind === 'node').map((c) => c.fields['errors'])).toEqual([
      { STELE_BATCH_GAP: 2 },
    ])
    expect(m.snapshot().find((c) => c.id === 'old')?.fields['state']).toBe('offline')
  })

  it('follows each device through a batch whose devices alternate: its own readings, in order', () => {
    const changes: StatusChange[] = []
    const m = new StatusMonitor(
      () => 5_000_000,
      (c) => changes.push(c),
      () => new Map(),
    )
    const gw = new BatchMaker('test')
    // d1 every 100 ms, d2 every 1000 ms, interleaved record by record.
    const recs = gw.records(8, 'x').map((r, i) => ({
      ...r,
      device: i % 2 ? 'd2' : 'd1',
      time: 1_000_000 + (i >> 1) * (i % 2 ? 1000 : 100),
    }))
    m.observe(GW, recs)
    const fields = (id: string) => m.snapshot().find((c) => c.id === id)!.fields
    expect([fields('d1')['readings'], fields('d1')['intervalMs']]).toEqual([4, 100])
    expect([fields('d2')['readings'], fields('d2')['intervalMs']]).toEqual([4, 1000])
    expect(changes.map((c) => `${c.kind}:${c.id}`)).toEqual([`gateway:${GW}`, 'device:d1', 'device:d2'])
  })
})
