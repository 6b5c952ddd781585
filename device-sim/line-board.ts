import { EventEmitter } from 'node:events'
import { concatBytes } from '../core/bytes.ts'
import { backgroundTimers, type Timers } from '../core/timers.ts'
import { encodeFrame } from '../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../firmware-bridge/frame-decoder.ts'
import {
  ACK_FLAG_HELLO_REQUEST,
  ACK_FLAG_SEQ_VALID,
  type DataFrame,
  type Frame,
  HELLO_FLAG_BOOT,
  seqDiff,
} from '../firmware-bridge/frame-types.ts'
import type { SerialLink } from '../firmware-bridge/serial-link.ts'
import { DEFAULT_LINE_SENSORS, type SimSensor, sampleRaw } from './board-sensors.ts'
import { type LineFaults, noLineFaults } from './faults.ts'
import { PacedWriter } from './paced-writer.ts'
import { createRandom, type Random } from './random.ts'

/**
 * A simulated line-protocol board: the TypeScript twin of firmware-bridge/arduino/stele_board.ino. It samples
 * its sensors every interval, keeps unacknowledged frames in a ring and resends them (oldest first) after
 * `resendMs` without progress, answers HELLO requests, and paces its output to the configured baud.
 */
export interface LineBoardInit {
  boardId: string
  firmware?: string
  sensors?: SimSensor[]
  baudRate?: number
  sampleIntervalMs?: number
  ringSize?: number
  resendMs?: number
  random?: Random
  timers?: Timers
  faults?: LineFaults
  /** Board clock error in parts per million: its uptime runs fast (positive) or slow (negative). */
  driftPpm?: number
  /** Keep every generated frame in `history` (tests compare what arrived against it). */
  record?: boolean
}

export interface LineBoardStats {
  boots: number
  generated: number
  /** Frames sent, first sends and resends, and how many of them went out undamaged. */
  sent: number
  sentIntact: number
  resent: number
  hellos: number
  acks: number
  /** Frames dropped from a full ring, or lost at a reboot, before any ack. */
  lost: number
}

export interface GeneratedFrame {
  boot: number
  seq: number
  uptimeMs: number
  samples: { sensor: number; raw: number }[]
  /** Dropped from the ring (full or reboot) before it was acknowledged. */
  lost: boolean
}

export class LineBoard extends EventEmitter {
  readonly boardId: string
  // biome-ignore format: one line per counter would be a third of a screen of zeros
  readonly stats: LineBoardStats = { boots: 0, generated: 0, sent: 0, sentIntact: 0, resent: 0, hellos: 0, acks: 0, lost: 0 }
  /** Every frame generated, when `record` is set. */
  readonly history: GeneratedFrame[] = []
  private readonly init: Required<Omit<LineBoardInit, 'driftPpm' | 'record' | 'faults'>> & {
    faults: LineFaults
  }
  private readonly writer: PacedWriter
  private readonly decoder: FrameDecoder
  private ring: GeneratedFrame[] = []
  private boot = 0
  private nextSeq = 0
  private bootAt = 0
  private driftPpm: number
  private lastProgress = 0
  private lastValues: number[] = []
  private link: SerialLink | null = null
  private sampleTimer: unknown = null
  private resendTimer: unknown = null
  private stopped = false
  private paused = false
  private readonly recording: boolean

  constructor(init: LineBoardInit) {
    super()
    this.boardId = init.boardId
    const timers = init.timers ?? backgroundTimers
    this.init = {
      boardId: init.boardId,
      firmware: init.firmware ?? 'stele-sim-0.1.0',
      sensors: init.sensors ?? DEFAULT_LINE_SENSORS,
      baudRate: init.baudRate ?? 115_200,
      sampleIntervalMs: init.sampleIntervalMs ?? 1000,
      ringSize: init.ringSize ?? 8,
      resendMs: init.resendMs ?? 1500,
      random: init.random ?? createRandom(1),
      timers,
      faults: init.faults ?? noLineFaults,
    }
    this.driftPpm = init.driftPpm ?? 0
    this.recording = init.record ?? false
    this.writer = new PacedWriter(this.init.baudRate, timers)
    this.decoder = new FrameDecoder({ onFrame: (f) => this.onFrame(f) })
    this.powerOn()
    this.scheduleSample()
  }

  /** Connects the board's UART to a line (a pty end or an in-process link). */
  attach(link: SerialLink): void {
    this.detach()
    this.link = link
    this.decoder.reset()
    this.writer.attach(link)
    link.stream.on('data', this.onData)
    link.stream.once('close', () => {
      if (this.link === link) this.detach()
    })
    this.emit('attached', link.path)
  }

  /** Disconnects the line; the board keeps sampling into its ring, like a powered board whose cable is pulled. */
  detach(): void {
    if (!this.link) return
    this.link.stream.off('data', this.onData)
    this.link = null
    this.writer.attach(null)
    this.emit('detached')
  }

  /** A reset: new boot id, sequence back to 0, uptime back to 0, and the RAM ring (with anything unacked) gone. */
  reboot(): void {
    for (const f of this.ring) this.markLost(f)
    this.ring = []
    this.powerOn()
  }

  /** Samples `n` times at once, as a board catching up after a blocking task does. */
  burst(n: number): void {
    for (let i = 0; i < n; i++) this.sample()
  }

  /** Stops sampling but keeps resending what is unacknowledged, so a test can wait for the ring to drain. */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
  }

  setDrift(ppm: number): void {
    this.driftPpm = ppm
  }

  get held(): number {
    return this.ring.length
  }

  get bootId(): number {
    return this.boot
  }

  async stop(): Promise<void> {
    this.stopped = true
    const t = this.init.timers
    if (this.sampleTimer !== null) t.clear(this.sampleTimer)
    if (this.resendTimer !== null) t.clear(this.resendTimer)
    const link = this.link
    this.detach()
    await link?.close()
  }

  private powerOn(): void {
    this.stats.boots++
    // A real board reads a boot counter from EEPROM; a random start avoids colliding with an earlier run.
    this.boot = this.boot === 0 ? Math.floor(this.init.random() * 0xfffe) + 1 : (this.boot % 0xffff) + 1
    this.nextSeq = 0
    this.bootAt = this.init.timers.now()
    this.lastValues = []
    this.sendHello(HELLO_FLAG_BOOT)
  }

  private uptime(): number {
    const elapsed = this.init.timers.now() - this.bootAt
    return Math.max(0, Math.floor(elapsed * (1 + this.driftPpm / 1e6))) >>> 0
  }

  private readonly onData = (chunk: Uint8Array): void => this.decoder.push(chunk)

  private onFrame(f: Frame): void {
    if (f.type !== 'ack') return
    this.stats.acks++
    if (f.flags & ACK_FLAG_HELLO_REQUEST) this.sendHello(0)
    if (!(f.flags & ACK_FLAG_SEQ_VALID) || f.boot !== this.boot) return
    let progress = false
    while (this.ring.length > 0 && seqDiff(this.ring[0]!.seq, f.ackSeq) <= 0) {
      this.ring.shift()
      progress = true
    }
    if (progress) this.lastProgress = this.init.timers.now()
    this.emit('ack', f.ackSeq)
  }

  private scheduleSample(): void {
    if (this.stopped) return
    this.sampleTimer = this.init.timers.set(() => {
      this.sampleTimer = null
      if (!this.paused) this.sample()
      this.scheduleSample()
    }, this.init.sampleIntervalMs)
    if (this.resendTimer === null) this.scheduleResend()
  }

  private scheduleResend(): void {
    if (this.stopped) return
    // Checked at a quarter of the resend interval, as the sketch's loop() checks on every pass.
    this.resendTimer = this.init.timers.set(
      () => {
        this.resendTimer = null
        const now = this.init.timers.now()
        if (this.ring.length > 0 && now - this.lastProgress >= this.init.resendMs) {
          this.lastProgress = now
          this.ring.forEach((f, k) => {
            this.stats.resent++
            this.sendData(f, k)
          })
        }
        this.scheduleResend()
      },
      Math.max(1, this.init.resendMs / 4),
    )
  }

  private sample(): void {
    if (this.stopped) return
    if (this.ring.length >= this.init.ringSize) this.markLost(this.ring.shift()!)
    const t = this.uptime()
    const samples = this.init.sensors.map((s, i) => {
      const raw = sampleRaw(s, t, this.init.random, this.lastValues[i])
      this.lastValues[i] = raw
      return { sensor: i, raw }
    })
    const f: GeneratedFrame = { boot: this.boot, seq: this.nextSeq, uptimeMs: t, samples, lost: false }
    this.nextSeq = (this.nextSeq + 1) >>> 0
    this.stats.generated++
    if (this.recording) this.history.push(f)
    this.ring.push(f)
    if (this.ring.length === 1) this.lastProgress = this.init.timers.now()
    this.sendData(f, this.ring.length - 1)
    this.emit('generated', f)
  }

  private markLost(f: GeneratedFrame): void {
    f.lost = true
    this.stats.lost++
  }

  private sendHello(flags: number): void {
    const oldest = this.ring[0]?.seq ?? this.nextSeq
    const frame = encodeFrame({
      type: 'hello',
      boot: this.boot,
      seq: oldest,
      uptimeMs: this.uptime(),
      flags,
      boardId: this.init.boardId,
      firmware: this.init.firmware,
      sensors: this.init.sensors.map(({ name, unit, exponent }) => ({ name, unit, exponent })),
    })
    // A HELLO goes out undamaged and ahead of queued data: it carries no readings, and faults on it would only
    // slow the test down without exercising anything the data frames do not.
    if (this.writer.enqueue(new Uint8Array([0, ...frame]), true)) this.stats.hellos++
  }

  private sendData(f: GeneratedFrame, held: number): void {
    if (!this.link) return
    const data: DataFrame = {
      type: 'data',
      boot: f.boot,
      seq: f.seq,
      uptimeMs: f.uptimeMs,
      held,
      samples: f.samples,
    }
    const { bytes, intact } = this.init.faults.apply(encodeFrame(data))
    const out = concatBytes(...bytes)
    if (!this.writer.enqueue(out)) return
    this.stats.sent++
    if (intact) this.stats.sentIntact++
  }
}
