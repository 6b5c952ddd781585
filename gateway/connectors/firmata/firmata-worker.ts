import type { Logger } from '../../../core/logger.ts'
import type { Reading } from '../../../core/reading.ts'
import type { Timers } from '../../../core/timers.ts'
import { type FirmataSensorConfig, startFirmataSession } from '../../../firmware-bridge/firmata-adapter.ts'
import type { SerialLink } from '../../../firmware-bridge/serial-link.ts'
import type { ReadingSink } from '../connector.ts'
import { PortWorker, type PortWorkerComponents } from '../port-worker.ts'
import type { SerialMatch } from '../serial/serial-discovery.ts'

export interface FirmataBoardConfig {
  /** Device id of the readings. */
  device: string
  path?: string
  /** Where else to look for it (USB ids, path patterns): Firmata boards do not announce an id. */
  match?: SerialMatch
  /** StandardFirmata's default is 57600. */
  baudRate?: number
  sensors: FirmataSensorConfig[]
  readyTimeoutMs?: number
  staleMs?: number
}

export interface FirmataBoardStatus {
  device: string
  path: string | null
  connected: boolean
  firmware: string | null
  readings: number
  errors: number
  dropped: number
  connects: number
  lastReadingAt: number | null
  lastError: string | null
}

/** One Firmata board: a PortWorker finds, opens and reopens its port; this class handshakes and samples it. */
export class FirmataWorker {
  readonly st: FirmataBoardStatus
  private pending: Reading[] = []
  private inflight: Promise<void> | null = null
  private readonly port: PortWorker
  private readonly log: Logger
  private readonly timers: Timers

  constructor(
    private readonly cfg: FirmataBoardConfig,
    private readonly d: { sink: ReadingSink; maxPending: number },
    c: PortWorkerComponents,
  ) {
    this.st = {
      device: cfg.device,
      path: null,
      connected: false,
      firmware: null,
      readings: 0,
      errors: 0,
      dropped: 0,
      connects: 0,
      lastReadingAt: null,
      lastError: null,
    }
    this.log = c.log
    this.timers = c.timers
    this.port = new PortWorker(
      {
        name: cfg.device,
        path: cfg.path,
        match: cfg.match,
        baudRate: cfg.baudRate ?? 57_600,
        status: this.st,
        // A failed handshake throws: the worker keeps its message and tries the next candidate.
        serve: async (link, signal) => ((await this.serve(link, signal)) ? 'healthy' : 'unhealthy'),
        idle: () => this.inflight ?? Promise.resolve(),
      },
      c,
    )
  }

  start(opts?: { signal?: AbortSignal | undefined }): void {
    this.port.start(opts)
  }

  stop(): Promise<void> {
    return this.port.stop()
  }

  private async serve(link: SerialLink, signal: AbortSignal): Promise<boolean> {
    const { timers, log } = this
    const session = await startFirmataSession(link, {
      sensors: this.cfg.sensors,
      readyTimeoutMs: this.cfg.readyTimeoutMs ?? 10_000,
      signal,
      onError: (e) => {
        this.st.errors++
        this.st.lastError = e.message
      },
      onSample: (s) => {
        this.st.lastReadingAt = timers.now()
        this.enqueue({
          device: this.cfg.device,
          sensor: s.sensor,
          value: s.value,
          unit: s.unit,
          source: 'firmata',
        })
      },
    })
    this.st.path = link.path
    this.st.connected = true
    this.st.connects++
    this.st.firmware = `${session.firmware.name} ${session.firmware.version}`.trim()
    this.st.lastReadingAt = timers.now()
    log.info(
      { device: this.cfg.device, path: link.path, firmware: this.st.firmware },
      'firmata board connected',
    )
    const slowest = Math.max(...this.cfg.sensors.map((s) => s.intervalMs ?? 1000))
    const staleMs = this.cfg.staleMs ?? Math.max(5000, 5 * slowest)
    const readingsAtStart = this.st.readings + this.pending.length
    await new Promise<void>((resolve) => {
      let timer: unknown = null
      const done = (why: string): void => {
        if (timer !== null) timers.clear(timer)
        link.stream.off('close', onClose)
        signal.removeEventListener('abort', onAbort)
        if (!signal.aborted)
          log.warn({ device: this.cfg.device, path: link.path }, `firmata board disconnected: ${why}`)
        resolve()
      }
      const onClose = (): void => done('line closed')
      const onAbort = (): void => done('stopping')
      // A pty or a hung board can stay "open" without a byte: silence for staleMs counts as gone.
      const watch = (): void => {
        timer = null
        if (timers.now() - (this.st.lastReadingAt ?? 0) > staleMs) done(`no reading for ${staleMs} ms`)
        else timer = timers.set(watch, Math.max(10, staleMs / 4))
      }
      link.stream.once('close', onClose)
      signal.addEventListener('abort', onAbort, { once: true })
      if (link.stream.destroyed || signal.aborted) return done('closed')
      timer = timers.set(watch, Math.max(10, staleMs / 4))
    })
    session.dispose()
    this.st.connected = false
    return this.st.readings + this.pending.length > readingsAtStart
  }

  private enqueue(r: Reading): void {
    this.pending.push(r)
    if (this.pending.length > this.d.maxPending) {
      this.pending.shift()
      this.st.dropped++
    }
    this.flush()
  }

  private flush(): void {
    if (this.inflight || this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.inflight = this.d.sink
      .push(batch)
      .then(
        () => {
          this.st.readings += batch.length
        },
        (err: unknown) => {
          this.st.errors++
          this.st.dropped += batch.length
          this.st.lastError = err instanceof Error ? err.message : String(err)
          this.log.error({ device: this.cfg.device, err: this.st.lastError }, 'sink refused firmata readings')
        },
      )
      .finally(() => {
        this.inflight = null
        this.flush()
      })
  }
}
