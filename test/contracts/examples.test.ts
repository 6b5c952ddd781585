import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkContract } from '../../node/executor/check-contract.ts'
import { runContract } from '../../node/executor/run-contract.ts'
import { type ContractReading, replayReadings } from '../../node/executor/run-readings.ts'

const dir = join(import.meta.dirname, '../../contracts/examples')
const code = (name: string): string => readFileSync(join(dir, name), 'utf8')
const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000

const series = (
  device: string,
  sensor: string,
  values: number[],
  stepMs: number,
  t0 = T0,
): ContractReading[] => values.map((value, i) => ({ device, sensor, value, time: t0 + i * stepMs }))

describe('example contracts', () => {
  it('every example loads and exports onReading', async () => {
    for (const f of ['threshold-alert.js', 'hourly-mean.js', 'flat-line.js', 'door-counter.js']) {
      const info = await checkContract(code(f))
      expect(info.exports, f).toContain('onReading')
    }
  })

  it('threshold alert: fires after 10 minutes above -15 °C, holds in the hysteresis band, clears at -17 °C', async () => {
    const readings = readFileSync(join(dir, 'freezer.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ContractReading)
    const r = await replayReadings(code('threshold-alert.js'), readings)
    expect(r.failures).toBe(0)
    // Above -15 from reading 3 (6 min); 10 minutes later is reading 8.
    expect(r.events.map((e) => [e.index, e.name])).toEqual([
      [8, 'alert'],
      [13, 'clear'],
    ])
    expect(r.events[0]!.data).toMatchObject({ device: 'freezer-1', since: T0 + 6 * MIN, peak: -12.8 })
    expect(r.state['alarm:freezer-1/temperature']).toEqual({ since: null, alerting: false, peak: null })
  })

  it('threshold alert: a spell shorter than the minimum duration, or broken by a dip, never fires', async () => {
    const short = series('f', 'temperature', [-14, -14, -14, -14, -18], 2 * MIN)
    expect((await replayReadings(code('threshold-alert.js'), short)).events).toEqual([])
    const broken = series('f', 'temperature', [-14, -14, -14, -16, -14, -14, -14], 2 * MIN)
    expect((await replayReadings(code('threshold-alert.js'), broken)).events).toEqual([])
  })

  it('threshold alert: the callable lists raised alarms', async () => {
    const r = await replayReadings(
      code('threshold-alert.js'),
      series('f', 'temperature', [-14, -14, -14], 6 * MIN),
    )
    const out = await runContract({
      code: code('threshold-alert.js'),
      contractId: 'local-test',
      calls: [{ handler: 'alarms', input: null }],
      state: r.state,
      blockTime: T0,
      seed: new Uint8Array(32),
    })
    expect(out.output).toEqual([{ key: 'f/temperature', since: T0, peak: -14 }])
  })

  it('hourly mean: closes each hour into state and emits its mean', async () => {
    const readings = [
      ...series('room', 'temperature', [20, 21, 22], 20 * MIN, T0),
      ...series('room', 'temperature', [10, 12], 20 * MIN, T0 + 60 * MIN),
      ...series('room', 'temperature', [0], 1, T0 + 120 * MIN),
    ]
    const r = await replayReadings(code('hourly-mean.js'), readings)
    expect(r.events.map((e) => e.data)).toEqual([
      { device: 'room', sensor: 'temperature', hour: '2026-01-01T00:00:00.000Z', mean: 21, count: 3 },
      { device: 'room', sensor: 'temperature', hour: '2026-01-01T01:00:00.000Z', mean: 11, count: 2 },
    ])
    expect(r.state['mean:room/temperature']).toMatchObject({ sum: 0, count: 1, hour: T0 + 120 * MIN })
  })

  it('flat-line: flags a sensor stuck for 10 readings over 30 minutes once, and its recovery', async () => {
    const stuck = series('s', 'humidity', [...Array(12).fill(55), 56], 5 * MIN)
    const r = await replayReadings(code('flat-line.js'), stuck)
    expect(r.events.map((e) => [e.index, e.name])).toEqual([
      [9, 'flatline'],
      [12, 'recovered'],
    ])
    const lively = series('s', 'humidity', [55, 56, 55, 56, 55, 56, 55, 56, 55, 56, 55, 56], 5 * MIN)
    expect((await replayReadings(code('flat-line.js'), lively)).events).toEqual([])
  })

  it('door counter: counts closed-to-open changes per day and warns once on a door left open', async () => {
    const values = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1]
    const r = await replayReadings(code('door-counter.js'), series('back-door', 'door', values, 2 * MIN))
    expect(r.events.map((e) => e.name)).toEqual(['opened', 'opened', 'opened', 'left-open'])
    const out = await runContract({
      code: code('door-counter.js'),
      contractId: 'local-test',
      calls: [{ handler: 'count', input: { device: 'back-door' } }],
      state: r.state,
      blockTime: T0,
      seed: new Uint8Array(32),
    })
    expect(out.output).toEqual({ total: 3, days: { '2026-01-01': 3 } })
  })
})
