import type { BackoffOptions } from '../../../core/backoff.ts'
import type { Logger } from '../../../core/logger.ts'
import type { Reading } from '../../../core/reading.ts'
import type { Timers } from '../../../core/timers.ts'
import { type FirmataSensorConfig, startFirmataSession } from '../../../firmware-bridge/firmata-adapter.ts'
import type { OpenSerial, SerialLink } from '../../../firmware-bridge/serial-link.ts'
import type { ReadingSink } from '../connector.ts'
import { type DiscoveryOptions, findCandidates, type SerialMatch } from '../serial/serial-discovery.ts'
import { deviceKey } from '../serial/serial-port-status.ts'
import { reconnectLoop } from '../serial/serial-reconnect.ts'

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

/** One Firmata board: find it, open it, handshake, sample until it goes away, reconnect. */
export class FirmataWorker {
  readonly st: FirmataBoardStatus
  private pending: Reading[] = []
  private inflight: Promise<void> | null = null

  constructor(
    private readonly cfg: FirmataBoardConfig,
    private readonly d: {
      sink: ReadingSink
      log: Logger
      timers: Timers
      random: () => number
      openSerial: OpenSerial
      discovery: DiscoveryOptions
      backoff: BackoffOptions
      maxPending: number
      claimed: Set<string>
    },
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
  }

  async run(signal: AbortSignal): Promise<void> {
    const { timers, random, backoff, log } = this.d
    await reconnectLoop({
      name: this.cfg.device,
      signal,
      timers,
      random,
      backoff,
      log,
      connect: (s) => this.connectOnce(s),
    })
    await this.inflight
  }

  private async connectOnce(signal: AbortSignal): Promise<boolean> {
    const candidates = [
      ...(this.cfg.path ? [this.cfg.path] : []),
      ...(this.cfg.match ? await findCandidates(this.cfg.match, this.d.discovery) : []),
    ]
    for (const path of [...new Set(candidates)].filter((p) => !this.d.claimed.has(deviceKey(p)))) {
      if (signal.aborted) return false
      let link: SerialLink
      try {
        link = await this.d.openSerial({ path, baudRate: this.cfg.baudRate ?? 57_600 }, { signal })
      } catch (err) {
        this.st.lastError = err instanceof Error ? err.message : String(err)
        continue
      }
      const key = deviceKey(path)
      this.d.claimed.add(key)
      try {
        return await this.serve(link, signal)
      } catch (err) {
        this.st.lastError = err instanceof Error ? err.message : String(err)
        this.d.log.debug(
          { device: this.cfg.device, path, err: this.st.lastError },
          'firmata handshake failed',
        )
      } finally {
        this.d.claimed.delete(key)
        await link.close()
      }
    }
    if (candidates.length === 0) this.st.lastError = 'no path or match configured'
    return false
  }

  private async serve(link: SerialLink, signal: AbortSignal): Promise<boolean> {
    const { timers, log } = this.d
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
          this.d.log.error(
            { device: this.cfg.device, err: this.st.lastError },
            'sink refused firmata readings',
          )
        },
      )
      .finally(() => {
        this.inflight = null
        this.flush()
      })
  }
}
