/**
 * Plausible, seeded sensor models for simulated devices. Each model is a function of time plus its own
 * random stream, so a seed and a sequence of times give the same values on every run:
 *   temperature  daily cycle (coolest near 05:00, warmest near 15:00) plus slowly wandering noise (AR(1))
 *   humidity     relative humidity, anti-correlated with temperature, with its own noise, within 0..100
 *   light        follows daylight (zero at night, a sine arch by day) times a slowly drifting cloud cover
 *   door         a Poisson stream of open/close events, busier by day than by night
 * Times are epoch milliseconds; "time of day" is UTC shifted by the device's utcOffsetHours.
 */
import type { Random } from './random.ts'

export interface SensorSample {
  sensor: string
  value: number
  unit: string
  time: number
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Hour of day, 0 <= h < 24, at `t` for a site `offsetHours` from UTC. */
export function hourOfDay(t: number, offsetHours = 0): number {
  const ms = (((t + offsetHours * HOUR) % DAY) + DAY) % DAY
  return ms / HOUR
}

/** Standard normal deviate from two uniforms (Box-Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random() // (0, 1]: log(0) is avoided
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/**
 * `v` on the grid of `step` (a sensor's resolution), as the shortest decimal: a whole number of steps, written with
 * the step's decimals and read back, since the product alone carries float noise (619 × 0.1 is 61.900000000000006).
 */
export function quantize(v: number, step: number): number {
  return Number((Math.round(v / step) * step).toFixed(decimalsOf(step)))
}

/** Decimals of a step as written: 0.1 → 1, 0.25 → 2, 5 → 0, 1e-7 → 7. */
function decimalsOf(step: number): number {
  const [mantissa = '', exp] = String(step).split('e')
  const dot = mantissa.indexOf('.')
  return Math.max(0, (dot < 0 ? 0 : mantissa.length - dot - 1) - Number(exp ?? 0))
}

export const CONTINUOUS_SENSORS = ['temp', 'humidity', 'light'] as const
export type ContinuousSensor = (typeof CONTINUOUS_SENSORS)[number]

/** What each simulated sensor resolves, as the parts it imitates do (DHT22: 0.1 °C and 0.1 %RH; BH1750: 1 lx). */
export const SENSOR_RESOLUTION: { readonly [S in ContinuousSensor]: number } = {
  temp: 0.1,
  humidity: 0.1,
  light: 1,
}

export interface TemperatureModel {
  /** °C at `t`; call with non-decreasing times (the noise carries over from call to call). */
  at(t: number): number
}

export function createTemperature(
  random: Random,
  opts: { mean?: number; swing?: number; noise?: number; offsetHours?: number; resolution?: number } = {},
): TemperatureModel {
  const step = opts.resolution ?? SENSOR_RESOLUTION.temp
  const mean = opts.mean ?? 18 + random() * 6 // 18..24 °C: indoors or a temperate day
  const swing = opts.swing ?? 2 + random() * 4 // half the day-night difference
  const sigma = opts.noise ?? 0.15
  let wander = 0
  return {
    at(t) {
      // AR(1): each step keeps 90% of the last deviation, so noise drifts instead of jumping
      wander = 0.9 * wander + sigma * gaussian(random)
      const cycle = Math.cos((2 * Math.PI * (hourOfDay(t, opts.offsetHours) - 15)) / 24)
      return quantize(mean + swing * cycle + wander, step)
    },
  }
}

export function createHumidity(
  random: Random,
  temperature: TemperatureModel,
  opts: {
    mean?: number
    perDegree?: number
    noise?: number
    referenceTemp?: number
    resolution?: number
  } = {},
): { at(t: number): { humidity: number; temperature: number } } {
  const step = opts.resolution ?? SENSOR_RESOLUTION.humidity
  const mean = opts.mean ?? 45 + random() * 20 // 45..65 %RH
  const perDegree = opts.perDegree ?? 3 // warmer air holds more water: relative humidity falls
  const reference = opts.referenceTemp ?? 21
  const sigma = opts.noise ?? 0.8
  return {
    at(t) {
      const temp = temperature.at(t)
      const rh = mean - perDegree * (temp - reference) + sigma * gaussian(random)
      return { humidity: quantize(Math.min(100, Math.max(0, rh)), step), temperature: temp }
    },
  }
}

export function createLight(
  random: Random,
  opts: {
    peakLux?: number
    offsetHours?: number
    sunrise?: number
    sunset?: number
    resolution?: number
  } = {},
): { at(t: number): number } {
  const step = opts.resolution ?? SENSOR_RESOLUTION.light
  const peak = opts.peakLux ?? 300 + random() * 700 // an indoor room by a window
  const sunrise = opts.sunrise ?? 6
  const sunset = opts.sunset ?? 18
  let cloud = 0.7 + random() * 0.3
  return {
    at(t) {
      cloud = Math.min(1, Math.max(0.2, cloud + 0.02 * gaussian(random)))
      const h = hourOfDay(t, opts.offsetHours)
      if (h <= sunrise || h >= sunset) return 0
      const elevation = Math.sin((Math.PI * (h - sunrise)) / (sunset - sunrise))
      return Math.max(0, quantize(peak * elevation ** 1.2 * cloud * (1 + 0.02 * gaussian(random)), step))
    },
  }
}

export interface DoorModel {
  /** State changes (1 open, 0 closed) with times in (from, to], in order. */
  between(from: number, to: number): { time: number; value: 0 | 1 }[]
}

/**
 * Door openings arrive as a Poisson process, `perHourByDay` by day and a tenth of that at night (thinning:
 * draw at the daytime rate, keep a night draw with probability 0.1). Each opening closes 3-60 s later.
 */
export function createDoor(
  random: Random,
  opts: { perHourByDay?: number; offsetHours?: number; start?: number } = {},
): DoorModel {
  const rate = (opts.perHourByDay ?? 6) / HOUR
  const exp = () => -Math.log(1 - random()) / rate
  let nextOpen = (opts.start ?? 0) + exp()
  let closeAt: number | null = null
  return {
    between(from, to) {
      const out: { time: number; value: 0 | 1 }[] = []
      for (;;) {
        const due = closeAt !== null && closeAt <= nextOpen ? closeAt : nextOpen
        if (due > to) break
        if (closeAt !== null && due === closeAt) {
          if (due > from) out.push({ time: Math.round(due), value: 0 })
          closeAt = null
          continue
        }
        const h = hourOfDay(nextOpen, opts.offsetHours)
        const day = h >= 7 && h < 21
        if (closeAt === null && (day || random() < 0.1)) {
          if (nextOpen > from) out.push({ time: Math.round(nextOpen), value: 1 })
          closeAt = nextOpen + 3000 + random() * 57_000
        }
        nextOpen += exp()
      }
      return out
    },
  }
}

/** One device's sensors, sharing its random stream so the device is reproducible from one seed. */
export interface DeviceSensors {
  sample(sensor: ContinuousSensor, t: number): SensorSample
  doorEvents(from: number, to: number): SensorSample[]
}

export function createDeviceSensors(
  random: Random,
  opts: { offsetHours?: number; start?: number } = {},
): DeviceSensors {
  const where = opts.offsetHours === undefined ? {} : { offsetHours: opts.offsetHours }
  const temperature = createTemperature(random, where)
  const humidity = createHumidity(random, temperature)
  const light = createLight(random, where)
  const door = createDoor(random, { ...where, ...(opts.start === undefined ? {} : { start: opts.start }) })
  return {
    sample(sensor, t) {
      switch (sensor) {
        case 'temp':
          return { sensor, value: temperature.at(t), unit: '°C', time: t }
        case 'humidity':
          return { sensor, value: humidity.at(t).humidity, unit: '%', time: t }
        case 'light':
          return { sensor, value: light.at(t), unit: 'lx', time: t }
      }
    },
    doorEvents(from, to) {
      return door.between(from, to).map((e) => ({ sensor: 'door', value: e.value, unit: '', time: e.time }))
    },
  }
}
