import type { Timers } from '../core/timers.ts'
import type { SerialLink } from '../firmware-bridge/serial-link.ts'

/**
 * Writes bytes no faster than a UART at `baudRate` would (10 bit times per byte: start, 8 data, stop). A pty
 * moves bytes as fast as the CPU allows, so without pacing a simulated board would be hundreds of times faster
 * than a real one and hide every timing problem. The queue is bounded: when the line is stuck, new bytes are
 * refused (the board keeps them in its ring and resends later), never buffered without limit.
 */
export class PacedWriter {
  private readonly queue: Uint8Array[] = []
  private queued = 0
  private busyUntil = 0
  private timer: unknown = null
  private link: SerialLink | null = null
  private waitingDrain = false
  readonly msPerByte: number

  constructor(
    baudRate: number,
    private readonly timers: Timers,
    private readonly maxQueueBytes = 4096,
  ) {
    this.msPerByte = 10_000 / baudRate
  }

  get queuedBytes(): number {
    return this.queued
  }

  attach(link: SerialLink | null): void {
    this.link = link
    this.queue.length = 0
    this.queued = 0
    this.waitingDrain = false
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timer = null
  }

  /** Queues bytes; `first` puts them ahead of everything queued (a HELLO answering a request). */
  enqueue(bytes: Uint8Array, first = false): boolean {
    if (!this.link || this.queued + bytes.length > this.maxQueueBytes) return false
    if (first) this.queue.unshift(bytes)
    else this.queue.push(bytes)
    this.queued += bytes.length
    this.pump()
    return true
  }

  private pump(): void {
    if (this.timer !== null || this.waitingDrain) return
    const link = this.link
    while (link && this.queue.length > 0) {
      const now = this.timers.now()
      if (this.busyUntil > now + 1) {
        this.timer = this.timers.set(() => {
          this.timer = null
          this.pump()
        }, this.busyUntil - now)
        return
      }
      const bytes = this.queue.shift()!
      this.queued -= bytes.length
      this.busyUntil = Math.max(now, this.busyUntil) + bytes.length * this.msPerByte
      if (link.stream.destroyed || !link.stream.writable) return
      if (!link.stream.write(bytes)) {
        this.waitingDrain = true
        link.stream.once('drain', () => {
          this.waitingDrain = false
          if (this.link === link) this.pump()
        })
        return
      }
    }
  }
}
