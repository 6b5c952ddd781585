import { EventEmitter } from 'node:events'
import type { SerialLink } from '../firmware-bridge/serial-link.ts'
import { realTimers, type Timers } from '../firmware-bridge/timers.ts'
import { PacedWriter } from './paced-writer.ts'
import { createRandom, type Random } from './random.ts'

/**
 * A StandardFirmata board (an Uno: 14 digital pins, 6 analog inputs) emulated well enough for firmata-io and
 * johnny-five to finish their handshake and stream readings: REPORT_VERSION, QUERY_FIRMWARE, CAPABILITY_QUERY,
 * ANALOG_MAPPING_QUERY, PIN_STATE_QUERY, PIN_MODE, REPORT_ANALOG, REPORT_DIGITAL, SAMPLING_INTERVAL, and the
 * analog and digital message streams. Output is paced to the baud rate, as a real UART would.
 */
const REPORT_VERSION = 0xf9
const SYSTEM_RESET = 0xff
const PIN_MODE = 0xf4
const SET_DIGITAL_PIN_VALUE = 0xf5
const ANALOG_MESSAGE = 0xe0
const DIGITAL_MESSAGE = 0x90
const REPORT_ANALOG = 0xc0
const REPORT_DIGITAL = 0xd0
const START_SYSEX = 0xf0
const END_SYSEX = 0xf7
const QUERY_FIRMWARE = 0x79
const CAPABILITY_QUERY = 0x6b
const CAPABILITY_RESPONSE = 0x6c
const ANALOG_MAPPING_QUERY = 0x69
const ANALOG_MAPPING_RESPONSE = 0x6a
const PIN_STATE_QUERY = 0x6d
const PIN_STATE_RESPONSE = 0x6e
const SAMPLING_INTERVAL = 0x7a

const MODE = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, PULLUP: 0x0b } as const
const DIGITAL_PINS = 14
const ANALOG_PINS = 6
const PWM_PINS = new Set([3, 5, 6, 9, 10, 11])
/** Data bytes that follow each channel-style command; sysex is handled apart. */
const DATA_BYTES: Record<number, number> = {
  [ANALOG_MESSAGE]: 2,
  [DIGITAL_MESSAGE]: 2,
  [REPORT_ANALOG]: 1,
  [REPORT_DIGITAL]: 1,
  [PIN_MODE]: 2,
  [SET_DIGITAL_PIN_VALUE]: 2,
  [REPORT_VERSION]: 0,
  [SYSTEM_RESET]: 0,
}
const MAX_SYSEX = 64

/** A simulated analog input in ADC counts (0..1023): a sine around `base` plus seeded noise. */
export interface AnalogModel {
  base: number
  amplitude?: number
  periodMs?: number
  noise?: number
}

export interface FirmataBoardInit {
  firmwareName?: string
  baudRate?: number
  /** Analog channel models; channels without one read mid-scale noise. */
  analog?: Record<number, AnalogModel>
  random?: Random
  timers?: Timers
}

export class FirmataBoard extends EventEmitter {
  private readonly timers: Timers
  private readonly random: Random
  private readonly writer: PacedWriter
  private readonly firmwareName: string
  private readonly models: Record<number, AnalogModel>
  private link: SerialLink | null = null
  private readonly modes = new Array<number>(DIGITAL_PINS + ANALOG_PINS).fill(MODE.OUTPUT)
  private readonly digital = new Array<number>(DIGITAL_PINS + ANALOG_PINS).fill(0)
  private readonly forced = new Map<number, number>()
  private readonly reportAnalog = new Set<number>()
  private readonly reportDigital = new Set<number>()
  private readonly lastPort = new Map<number, number>()
  private samplingMs = 19
  private timer: unknown = null
  private readonly bornAt: number
  // Parser state: the command being assembled, or a sysex body.
  private cmd = -1
  private args: number[] = []
  private sysex: number[] | null = null
  readonly stats = { commands: 0, analogMessages: 0, digitalMessages: 0, unknown: 0 }

  constructor(init: FirmataBoardInit = {}) {
    super()
    this.timers = init.timers ?? realTimers
    this.random = init.random ?? createRandom(1)
    this.writer = new PacedWriter(init.baudRate ?? 57_600, this.timers)
    this.firmwareName = init.firmwareName ?? 'StandardFirmata.ino'
    this.models = init.analog ?? { 0: { base: 300, amplitude: 40, periodMs: 60_000, noise: 3 } }
    this.bornAt = this.timers.now()
  }

  attach(link: SerialLink): void {
    this.detach()
    this.link = link
    this.writer.attach(link)
    this.resetParser()
    link.stream.on('data', this.onData)
    link.stream.once('close', () => {
      if (this.link === link) this.detach()
    })
    this.schedule()
  }

  detach(): void {
    if (!this.link) return
    this.link.stream.off('data', this.onData)
    this.link = null
    this.writer.attach(null)
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timer = null
  }

  /** Pins an analog channel to a fixed ADC value (tests), or back to its model with undefined. */
  setAnalog(channel: number, value: number | undefined): void {
    if (value === undefined) this.forced.delete(channel)
    else this.forced.set(channel, Math.max(0, Math.min(1023, Math.round(value))))
  }

  setDigital(pin: number, value: 0 | 1): void {
    this.digital[pin] = value
  }

  get samplingIntervalMs(): number {
    return this.samplingMs
  }

  get reportingAnalog(): number[] {
    return [...this.reportAnalog]
  }

  async stop(): Promise<void> {
    const link = this.link
    this.detach()
    await link?.close()
  }

  private send(bytes: number[]): void {
    this.writer.enqueue(new Uint8Array(bytes))
  }

  private readonly onData = (chunk: Uint8Array): void => {
    for (const b of chunk) this.byte(b)
  }

  private resetParser(): void {
    this.cmd = -1
    this.args = []
    this.sysex = null
  }

  private byte(b: number): void {
    if (this.sysex) {
      if (b === END_SYSEX) {
        const body = this.sysex
        this.sysex = null
        this.onSysex(body)
      } else if (this.sysex.length < MAX_SYSEX) this.sysex.push(b)
      return
    }
    if (b === START_SYSEX) {
      this.sysex = []
      this.cmd = -1
      return
    }
    if (b & 0x80) {
      // A status byte starts a command; channel commands carry the channel in the low nibble.
      const base = b < 0xf0 ? b & 0xf0 : b
      const n = DATA_BYTES[base]
      if (n === undefined) {
        this.stats.unknown++
        this.cmd = -1
        return
      }
      this.cmd = b
      this.args = []
      if (n === 0) this.run()
      return
    }
    if (this.cmd < 0) return
    this.args.push(b)
    const base = this.cmd < 0xf0 ? this.cmd & 0xf0 : this.cmd
    if (this.args.length >= (DATA_BYTES[base] ?? 0)) this.run()
  }

  private run(): void {
    const cmd = this.cmd
    const a = this.args[0] ?? 0
    const b = this.args[1] ?? 0
    this.cmd = -1
    this.stats.commands++
    const base = cmd < 0xf0 ? cmd & 0xf0 : cmd
    switch (base) {
      case REPORT_VERSION:
        this.send([REPORT_VERSION, 2, 5])
        break
      case SYSTEM_RESET:
        this.reportAnalog.clear()
        this.reportDigital.clear()
        break
      case PIN_MODE:
        if (a < this.modes.length) this.modes[a] = b
        break
      case REPORT_ANALOG:
        if (a) this.reportAnalog.add(cmd & 0x0f)
        else this.reportAnalog.delete(cmd & 0x0f)
        break
      case REPORT_DIGITAL: {
        const port = cmd & 0x0f
        if (a) {
          this.reportDigital.add(port)
          this.lastPort.delete(port)
        } else this.reportDigital.delete(port)
        break
      }
      case DIGITAL_MESSAGE: {
        const port = cmd & 0x0f
        const v = a | (b << 7)
        for (let i = 0; i < 8; i++)
          if (this.modes[port * 8 + i] === MODE.OUTPUT) this.digital[port * 8 + i] = (v >> i) & 1
        break
      }
      case SET_DIGITAL_PIN_VALUE:
        if (a < this.digital.length) this.digital[a] = b ? 1 : 0
        break
      default:
        break
    }
  }

  private onSysex(body: number[]): void {
    this.stats.commands++
    const [cmd, ...rest] = body
    switch (cmd) {
      case QUERY_FIRMWARE: {
        const name: number[] = []
        for (const c of Buffer.from(this.firmwareName)) name.push(c & 0x7f, c >> 7)
        this.send([START_SYSEX, QUERY_FIRMWARE, 2, 5, ...name, END_SYSEX])
        break
      }
      case CAPABILITY_QUERY: {
        const out = [START_SYSEX, CAPABILITY_RESPONSE]
        for (let pin = 0; pin < DIGITAL_PINS + ANALOG_PINS; pin++) {
          out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1)
          if (pin >= DIGITAL_PINS) out.push(MODE.ANALOG, 10)
          if (PWM_PINS.has(pin)) out.push(MODE.PWM, 8)
          if (pin >= 2 && pin < DIGITAL_PINS) out.push(MODE.SERVO, 14)
          out.push(0x7f)
        }
        out.push(END_SYSEX)
        this.send(out)
        break
      }
      case ANALOG_MAPPING_QUERY: {
        const map = Array.from({ length: DIGITAL_PINS + ANALOG_PINS }, (_, p) =>
          p < DIGITAL_PINS ? 0x7f : p - DIGITAL_PINS,
        )
        this.send([START_SYSEX, ANALOG_MAPPING_RESPONSE, ...map, END_SYSEX])
        break
      }
      case PIN_STATE_QUERY: {
        const pin = rest[0] ?? 0
        if (pin < this.modes.length)
          this.send([
            START_SYSEX,
            PIN_STATE_RESPONSE,
            pin,
            this.modes[pin]!,
            this.digital[pin]! & 0x7f,
            END_SYSEX,
          ])
        break
      }
      case SAMPLING_INTERVAL: {
        const ms = (rest[0] ?? 0) | ((rest[1] ?? 0) << 7)
        // StandardFirmata's floor is 1 ms; 10 ms keeps a simulated fleet cheap.
        this.samplingMs = Math.max(10, ms)
        this.schedule()
        break
      }
      default:
        this.stats.unknown++
    }
  }

  private schedule(): void {
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timer = null
    if (!this.link) return
    this.timer = this.timers.set(() => {
      this.timer = null
      this.tick()
      this.schedule()
    }, this.samplingMs)
  }

  private analogValue(ch: number): number {
    const forced = this.forced.get(ch)
    if (forced !== undefined) return forced
    const m = this.models[ch] ?? { base: 512, noise: 8 }
    const t = this.timers.now() - this.bornAt
    const wave = (m.amplitude ?? 0) * Math.sin((2 * Math.PI * t) / (m.periodMs ?? 60_000))
    const v = m.base + wave + (m.noise ?? 0) * (this.random() * 2 - 1)
    return Math.max(0, Math.min(1023, Math.round(v)))
  }

  private tick(): void {
    for (const ch of [...this.reportAnalog].sort((x, y) => x - y)) {
      const v = this.analogValue(ch)
      this.stats.analogMessages++
      this.send([ANALOG_MESSAGE | ch, v & 0x7f, (v >> 7) & 0x7f])
    }
    for (const port of this.reportDigital) {
      let v = 0
      for (let i = 0; i < 8; i++) if (this.digital[port * 8 + i]) v |= 1 << i
      if (this.lastPort.get(port) === v) continue
      this.lastPort.set(port, v)
      this.stats.digitalMessages++
      this.send([DIGITAL_MESSAGE | port, v & 0x7f, (v >> 7) & 0x7f])
    }
    this.emit('tick')
  }
}
