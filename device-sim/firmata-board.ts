import { EventEmitter } from 'node:events'
import { backgroundTimers, type Timers } from '../core/timers.ts'
import type { SerialLink } from '../firmware-bridge/serial-link.ts'
import { type AnalogModel, analogRaw } from './board-sensors.ts'
import {
  ANALOG_MAPPING_QUERY,
  ANALOG_MESSAGE,
  ANALOG_PINS,
  analogMappingResponse,
  CAPABILITY_QUERY,
  capabilityResponse,
  DATA_BYTES,
  DIGITAL_MESSAGE,
  DIGITAL_PINS,
  END_SYSEX,
  firmwareResponse,
  MAX_SYSEX,
  MODE,
  PIN_MODE,
  PIN_STATE_QUERY,
  PIN_STATE_RESPONSE,
  QUERY_FIRMWARE,
  REPORT_ANALOG,
  REPORT_DIGITAL,
  REPORT_VERSION,
  SAMPLING_INTERVAL,
  SET_DIGITAL_PIN_VALUE,
  START_SYSEX,
  SYSTEM_RESET,
} from './firmata-messages.ts'
import { PacedWriter } from './paced-writer.ts'
import { createRandom, type Random } from './random.ts'

/**
 * A StandardFirmata board (an Uno: 14 digital pins, 6 analog inputs) emulated well enough for firmata-io and
 * johnny-five to finish their handshake and stream readings: REPORT_VERSION, QUERY_FIRMWARE, CAPABILITY_QUERY,
 * ANALOG_MAPPING_QUERY, PIN_STATE_QUERY, PIN_MODE, REPORT_ANALOG, REPORT_DIGITAL, SAMPLING_INTERVAL, and the
 * analog and digital message streams. Output is paced to the baud rate, as a real UART would.
 */
export type { AnalogModel }

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
    this.timers = init.timers ?? backgroundTimers
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
      case QUERY_FIRMWARE:
        this.send(firmwareResponse(this.firmwareName))
        break
      case CAPABILITY_QUERY:
        this.send(capabilityResponse())
        break
      case ANALOG_MAPPING_QUERY:
        this.send(analogMappingResponse())
        break
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
    return analogRaw(this.models[ch] ?? { base: 512, noise: 8 }, this.timers.now() - this.bornAt, this.random)
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
