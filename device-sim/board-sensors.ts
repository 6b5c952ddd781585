import type { SensorInfo } from '../firmware-bridge/frame-types.ts'
import type { Random } from './random.ts'

/** A simulated analog or digital input: a slow sine around `base`, plus seeded noise. */
export interface SimSensor extends SensorInfo {
  base: number
  amplitude?: number
  periodMs?: number
  noise?: number
  /** A digital input: 0 or 1, flipping with probability `noise` at each sample. */
  digital?: boolean
}

/** Default sensors of a simulated line-protocol board: what a greenhouse Uno would report. */
export const DEFAULT_LINE_SENSORS: SimSensor[] = [
  { name: 'temp', unit: '°C', exponent: -2, base: 21.5, amplitude: 3, periodMs: 600_000, noise: 0.2 },
  { name: 'humidity', unit: '%', exponent: -1, base: 55, amplitude: 10, periodMs: 900_000, noise: 1 },
  { name: 'door', unit: '', exponent: 0, base: 0, noise: 0.02, digital: true },
]

/** Raw integer a board would send for `sensor` at board time `t` (value = raw × 10^exponent). */
export function sampleRaw(sensor: SimSensor, t: number, random: Random, last: number | undefined): number {
  if (sensor.digital) {
    const prev = last ?? Math.round(sensor.base)
    return random() < (sensor.noise ?? 0) ? 1 - prev : prev
  }
  const wave = (sensor.amplitude ?? 0) * Math.sin((2 * Math.PI * t) / (sensor.periodMs ?? 60_000))
  const value = sensor.base + wave + (sensor.noise ?? 0) * (random() * 2 - 1)
  const raw = Math.round(value / 10 ** sensor.exponent)
  return Math.max(-0x8000_0000, Math.min(0x7fff_ffff, raw))
}

/** A simulated analog input in ADC counts (0..1023): a sine around `base` plus seeded noise. */
export interface AnalogModel {
  base: number
  amplitude?: number
  periodMs?: number
  noise?: number
}

/** The 10-bit ADC reading of `m` at board time `t`. */
export function analogRaw(m: AnalogModel, t: number, random: Random): number {
  const wave = (m.amplitude ?? 0) * Math.sin((2 * Math.PI * t) / (m.periodMs ?? 60_000))
  const v = m.base + wave + (m.noise ?? 0) * (random() * 2 - 1)
  return Math.max(0, Math.min(1023, Math.round(v)))
}
