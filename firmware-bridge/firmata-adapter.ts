import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { SteleError } from '../core/errors.ts'
import { isValidId, LIMITS } from '../core/reading.ts'
import type { SerialLink } from './serial-link.ts'

/**
 * A StandardFirmata board read through johnny-five, with firmata-io as its IO plugin over a line we opened
 * ourselves (serialport 13 or the in-process link). This avoids johnny-five's own serial discovery and the old
 * native serialport that `firmata` drags in. johnny-five is made safe to embed: no REPL, no SIGINT handler, no
 * console output, every 'error' event handled, and every timer and registry entry it leaves behind removed
 * when the session is disposed, so reconnecting a thousand times leaks nothing.
 */
export interface FirmataSensorConfig {
  /** Sensor id in readings. */
  name: string
  /** 'A0'..'A5' for analog inputs, a number for a digital pin. */
  pin: string | number
  /** Defaults to analog for 'A…' pins, digital otherwise. */
  type?: 'analog' | 'digital'
  /** How often a reading is taken (ms); the board's sampling interval is the smallest of these. */
  intervalMs?: number
  /** Linear map from raw counts to the physical unit: raw [0, 1023] → value [0, 500] is an LM35 at 5 V. */
  scale?: { raw: [number, number]; value: [number, number] }
  /** Decimal places kept after scaling (ADC counts do not carry more precision than that). */
  decimals?: number
  unit?: string
}

export interface FirmataSample {
  sensor: string
  value: number
  unit: string | undefined
  raw: number
}

export interface FirmataSessionOptions {
  sensors: FirmataSensorConfig[]
  onSample: (s: FirmataSample) => void
  onError?: (err: Error) => void
  /** How long the handshake (version, firmware, capabilities, analog map) may take. */
  readyTimeoutMs?: number
  signal?: AbortSignal
}

export interface FirmataSession {
  readonly firmware: { name: string; version: string }
  /** Stops sampling and releases johnny-five's and firmata-io's timers and registries; the line stays open. */
  dispose(): void
}

// Minimal shapes of the untyped CommonJS libraries, just what is used here.
interface FirmataIo extends EventEmitter {
  firmware: { name?: string; version?: { major: number; minor: number } }
  reportVersionTimeoutId?: ReturnType<typeof setTimeout>
  reportVersion(cb: () => void): void
  queryFirmware(cb: () => void): void
  setSamplingInterval(ms: number): void
  reportAnalogPin(pin: number, value: 0 | 1): void
  reportDigitalPin(pin: number, value: 0 | 1): void
}
interface FiveBoard extends EventEmitter {
  timer: ReturnType<typeof setTimeout> | null
}
interface FiveSensor extends EventEmitter {
  disable(): void
}
interface Five {
  Board: (new (o: object) => FiveBoard) & { cache: FiveBoard[]; Pins: { normalize: { clear(): void } } }
  Sensor: new (o: object) => FiveSensor
}

const require = createRequire(import.meta.url)
let libs: { Firmata: new (transport: unknown, opts: object) => FirmataIo; five: Five } | null = null
function load(): NonNullable<typeof libs> {
  libs ??= { Firmata: require('firmata-io').Firmata, five: require('johnny-five') }
  return libs
}

export function validateFirmataSensors(sensors: FirmataSensorConfig[]): void {
  if (!Array.isArray(sensors) || sensors.length === 0)
    throw new SteleError('STELE_CONFIG', 'firmata: at least one sensor is needed')
  const names = new Set<string>()
  for (const s of sensors) {
    if (!isValidId(s.name, LIMITS.sensorBytes))
      throw new SteleError('STELE_CONFIG', `firmata: invalid sensor name ${JSON.stringify(s.name)}`)
    if (names.has(s.name)) throw new SteleError('STELE_CONFIG', `firmata: sensor ${s.name} declared twice`)
    names.add(s.name)
    if (!(typeof s.pin === 'number' ? Number.isInteger(s.pin) && s.pin >= 0 : /^A\d{1,2}$/.test(s.pin)))
      throw new SteleError(
        'STELE_CONFIG',
        `firmata: sensor ${s.name}: pin must be 'A0'..'A15' or a digital pin number`,
      )
    if (s.intervalMs !== undefined && !(Number.isFinite(s.intervalMs) && s.intervalMs >= 10))
      throw new SteleError('STELE_CONFIG', `firmata: sensor ${s.name}: intervalMs must be at least 10`)
    if (
      s.scale &&
      (s.scale.raw[0] === s.scale.raw[1] || ![...s.scale.raw, ...s.scale.value].every(Number.isFinite))
    )
      throw new SteleError(
        'STELE_CONFIG',
        `firmata: sensor ${s.name}: scale needs two distinct raw points and finite values`,
      )
  }
}

export function scaleSample(s: FirmataSensorConfig, raw: number): number {
  if (!s.scale) return raw
  const [r0, r1] = s.scale.raw
  const [v0, v1] = s.scale.value
  const v = v0 + ((raw - r0) * (v1 - v0)) / (r1 - r0)
  const k = 10 ** (s.decimals ?? 3)
  return Math.round(v * k) / k
}

const isAnalog = (s: FirmataSensorConfig): boolean =>
  (s.type ?? (typeof s.pin === 'string' ? 'analog' : 'digital')) === 'analog'

/** Runs the Firmata handshake on an open line and starts sampling; resolves once the board is ready. */
export function startFirmataSession(link: SerialLink, o: FirmataSessionOptions): Promise<FirmataSession> {
  validateFirmataSensors(o.sensors)
  const { Firmata, five } = load()
  const events = ['data', 'open', 'close', 'error'] as const
  const before = new Map(events.map((ev) => [ev, new Set(link.stream.listeners(ev))]))
  const io = new Firmata(link.stream, { reportVersionTimeout: 2000 })
  // The listeners firmata-io put on the line, so dispose can take exactly those off again.
  const added = events.flatMap((ev) =>
    link.stream
      .listeners(ev)
      .filter((l) => !before.get(ev)!.has(l))
      .map((l) => [ev, l as (...a: unknown[]) => void] as const),
  )
  // firmata-io re-emits transport errors; unhandled, an EventEmitter 'error' would throw and end the process.
  io.on('error', (e: Error) => o.onError?.(e))
  const board = new five.Board({
    io,
    repl: false,
    debug: false,
    sigint: false,
    timeout: o.readyTimeoutMs ?? 10_000,
  })
  board.on('error', (e: unknown) =>
    o.onError?.(e instanceof Error ? e : new Error(String((e as { message?: string })?.message ?? e))),
  )
  const sensors: FiveSensor[] = []
  let disposed = false

  const dispose = (): void => {
    if (disposed) return
    disposed = true
    for (const s of sensors) {
      s.disable()
      s.removeAllListeners()
    }
    if (board.timer) clearTimeout(board.timer)
    if (io.reportVersionTimeoutId) clearTimeout(io.reportVersionTimeoutId)
    const cache = five.Board.cache
    const at = cache.indexOf(board)
    if (at >= 0) cache.splice(at, 1)
    five.Board.Pins.normalize.clear()
    board.removeAllListeners()
    io.removeAllListeners()
    io.on('error', () => {})
    // firmata-io listens on the transport for the life of the io object: detach it from the line.
    for (const [ev, l] of added) link.stream.off(ev, l)
  }

  return new Promise<FirmataSession>((resolve, reject) => {
    const fail = (err: Error): void => {
      cleanup()
      dispose()
      reject(err)
    }
    const onTimeout = (): void =>
      fail(
        new SteleError(
          'STELE_UNAVAILABLE',
          `firmata ${link.path}: no handshake within ${o.readyTimeoutMs ?? 10_000} ms`,
        ),
      )
    const timer = setTimeout(onTimeout, o.readyTimeoutMs ?? 10_000)
    const onAbort = (): void =>
      fail(o.signal?.reason instanceof Error ? o.signal.reason : new Error('aborted'))
    const onClose = (): void =>
      fail(new SteleError('STELE_UNAVAILABLE', `firmata ${link.path}: line closed during handshake`))
    const cleanup = (): void => {
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      link.stream.off('close', onClose)
    }
    if (o.signal?.aborted) return onAbort()
    o.signal?.addEventListener('abort', onAbort, { once: true })
    link.stream.once('close', onClose)

    board.once('ready', () => {
      cleanup()
      if (disposed) return
      const interval = Math.min(...o.sensors.map((s) => s.intervalMs ?? 1000))
      io.setSamplingInterval(Math.max(10, Math.min(interval, 0x3fff)))
      for (const cfg of o.sensors) {
        const analog = isAnalog(cfg)
        const sensor = new five.Sensor({
          board,
          pin: cfg.pin,
          type: analog ? 'analog' : 'digital',
          freq: cfg.intervalMs ?? 1000,
        })
        sensors.push(sensor)
        // johnny-five emits 'data' on its own timer even before the board sent anything: wait for a real sample.
        let seen = false
        const channel = typeof cfg.pin === 'string' ? Number(cfg.pin.slice(1)) : cfg.pin
        io.once(`${analog ? 'analog' : 'digital'}-read-${channel}`, () => {
          seen = true
        })
        sensor.on('data', (raw: number) => {
          if (!seen || disposed) return
          o.onSample({
            sensor: cfg.name,
            value: scaleSample(cfg, raw),
            unit: cfg.unit === '' ? undefined : cfg.unit,
            raw,
          })
        })
      }
      const v = io.firmware.version
      resolve({
        firmware: { name: io.firmware.name ?? '', version: v ? `${v.major}.${v.minor}` : '' },
        dispose,
      })
    })
    // The line is already open, so firmata-io's transport 'open' (which emits 'connect') has come and gone.
    io.emit('connect')
    // Ask at once rather than after reportVersionTimeout: a board that already booted will not announce itself.
    io.reportVersion(() => {})
    io.queryFirmware(() => {})
  })
}
