import { describe, expect, it } from 'vitest'
import { createRandom } from '../../device-sim/random.ts'
import {
  CONTINUOUS_SENSORS,
  createDeviceSensors,
  createDoor,
  hourOfDay,
  quantize,
  SENSOR_RESOLUTION,
} from '../../device-sim/sensors.ts'

const DAY_START = Date.UTC(2024, 5, 1) // midnight UTC
const MINUTE = 60_000

function simulateDay(seed: number) {
  const s = createDeviceSensors(createRandom(seed), { start: DAY_START })
  const rows: { h: number; temp: number; humidity: number; light: number }[] = []
  for (let t = DAY_START; t < DAY_START + 24 * 60 * MINUTE; t += MINUTE)
    rows.push({
      h: hourOfDay(t),
      temp: s.sample('temp', t).value,
      humidity: s.sample('humidity', t).value,
      light: s.sample('light', t).value,
    })
  return { rows, door: s.doorEvents(DAY_START, DAY_START + 24 * 60 * MINUTE) }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs)
  const my = mean(ys)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
    syy += (ys[i]! - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

describe('seeded random', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = createRandom(42)
    const b = createRandom(42)
    const c = createRandom(43)
    const xs = Array.from({ length: 5 }, a)
    expect(Array.from({ length: 5 }, b)).toEqual(xs)
    expect(Array.from({ length: 5 }, c)).not.toEqual(xs)
    for (const x of Array.from({ length: 1000 }, a)) expect(x >= 0 && x < 1).toBe(true)
  })
})

describe('sensor models', () => {
  it('are deterministic for a seed', () => {
    expect(simulateDay(7)).toEqual(simulateDay(7))
    expect(simulateDay(7).rows).not.toEqual(simulateDay(8).rows)
  })

  for (const seed of [1, 2, 3]) {
    it(`are plausible over a day (seed ${seed})`, () => {
      const { rows, door } = simulateDay(seed)
      const temps = rows.map((r) => r.temp)
      expect(Math.min(...temps)).toBeGreaterThan(5)
      expect(Math.max(...temps)).toBeLessThan(35)
      const afternoon = mean(rows.filter((r) => r.h >= 13 && r.h < 17).map((r) => r.temp))
      const dawn = mean(rows.filter((r) => r.h >= 3 && r.h < 7).map((r) => r.temp))
      expect(afternoon - dawn).toBeGreaterThan(2) // a daily cycle, warm afternoons

      const hum = rows.map((r) => r.humidity)
      expect(Math.min(...hum)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...hum)).toBeLessThanOrEqual(100)
      expect(correlation(temps, hum)).toBeLessThan(-0.5) // anti-correlated

      for (const r of rows) if (r.h < 6 || r.h >= 18) expect(r.light).toBe(0)
      expect(mean(rows.filter((r) => r.h >= 11 && r.h < 13).map((r) => r.light))).toBeGreaterThan(100)
      expect(rows.every((r) => r.light >= 0)).toBe(true)

      // door: opens and closes alternate, in time order, a few dozen times a day
      expect(door.length).toBeGreaterThan(40)
      expect(door.length).toBeLessThan(300)
      door.forEach((e, i) => {
        expect(e.value).toBe(i % 2 === 0 ? 1 : 0)
        if (i > 0) expect(e.time).toBeGreaterThanOrEqual(door[i - 1]!.time)
      })
    })
  }

  it('door events are the same whether asked for in one window or many', () => {
    const whole = createDoor(createRandom(5), { start: DAY_START }).between(DAY_START, DAY_START + 86_400_000)
    const pieces = createDoor(createRandom(5), { start: DAY_START })
    const parts = []
    for (let t = DAY_START; t < DAY_START + 86_400_000; t += 7 * MINUTE)
      parts.push(...pieces.between(t, Math.min(t + 7 * MINUTE, DAY_START + 86_400_000)))
    expect(parts).toEqual(whole)
  })

  it('hourOfDay honours the site offset', () => {
    expect(hourOfDay(DAY_START + 3_600_000)).toBe(1)
    expect(hourOfDay(DAY_START, -5)).toBe(19)
  })
})

describe('sensor resolution', () => {
  it('quantize lands on the grid as the shortest decimal, without float noise', () => {
    expect(quantize(61.93, 0.1)).toBe(61.9) // Math.round(619.3) * 0.1 is 61.900000000000006
    expect(quantize(0.7, 0.1)).toBe(0.7) // 7 * 0.1 is 0.7000000000000001
    expect(quantize(21.26, 0.25)).toBe(21.25)
    expect(quantize(1234.5, 5)).toBe(1235)
    expect(quantize(-0.04, 0.1)).toBe(0)
    expect(quantize(3e-7, 1e-7)).toBe(3e-7)
  })

  it('every simulated value is a whole number of its sensor resolution and prints with its decimals at most', () => {
    const decimals = { temp: 1, humidity: 1, light: 0 } as const
    for (const seed of [1, 2, 3]) {
      const s = createDeviceSensors(createRandom(seed), { start: DAY_START })
      for (let t = DAY_START; t < DAY_START + 86_400_000; t += 7 * MINUTE)
        for (const sensor of CONTINUOUS_SENSORS) {
          const { value } = s.sample(sensor, t)
          const d = decimals[sensor]
          const printed = d === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+(\\.\\d{1,${d}})?$`)
          expect(JSON.stringify(value), `${sensor} at seed ${seed}`).toMatch(printed)
          const steps = value / SENSOR_RESOLUTION[sensor]
          expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-9)
        }
    }
  })
})
