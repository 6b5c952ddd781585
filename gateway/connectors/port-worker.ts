import { type BackoffOptions, backoffDelay } from '../../core/backoff.ts'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import { backgroundTimers, sleep, type Timers } from '../../core/timers.ts'
import { type OpenSerial, openSerialPort, type SerialLink } from '../../firmware-bridge/serial-link.ts'
import type { ReadingSink } from './connector.ts'
import {
  type DiscoveryOptions,
  findCandidates,
  type SerialMatch,
  type SerialPortInfo,
} from './serial/serial-discovery.ts'
import { deviceKey } from './serial/serial-port-status.ts'

/**
 * One reconnecting serial port, whatever speaks on it: the serial (line protocol) and Firmata connectors each plug
 * a `serve()` into it. The worker finds candidate paths (the configured one, then discovery), skips those another
 * worker of the connector holds, opens one, hands it to `serve` until the line ends, closes it, and tries again with
 * backoff for as long as it runs. Waits grow exponentially with jitter (so a fleet of gateways does not hammer a
 * flapping hub in step) and reset after a session that produced data, so a replugged board is back within
 * `initialMs`.
 */

/** Reconnect waits: short and capped, since a replugged board should be back within a second or two. */
export const SERIAL_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 2000, factor: 2, jitter: 0.2 }

/**
 * How one served line ended: 'healthy' (data flowed: the backoff resets), 'unhealthy', or 'next' (not the board
 * wanted here: try the next candidate at once). A `serve` that throws counts as 'next', its message kept.
 */
export type ServeOutcome = 'healthy' | 'unhealthy' | 'next'

export interface PortWorkerInit {
  /** Label in logs. */
  name: string
  path?: string | undefined
  match?: SerialMatch | undefined
  baudRate: number
  /** Serves one open line until it closes or `signal` aborts. */
  serve(link: SerialLink, signal: AbortSignal): Promise<ServeOutcome>
  /** Settles once nothing `serve` started is still running (an in-flight push); stop() waits for it. */
  idle?(): Promise<unknown>
  /** Where the worker reports why the last attempt failed (the connector's status object for this port). */
  status: { lastError: string | null }
}

/** What every worker of one connector shares. */
export interface PortWorkerComponents {
  log: Logger
  timers: Timers
  random: () => number
  openSerial: OpenSerial
  discovery: DiscoveryOptions
  /** Device paths held by any worker of the connector, so two workers never open the same board. */
  claimed: Set<string>
  backoff: BackoffOptions
}

/** The components the serial and Firmata connectors take. */
export interface PortConnectorComponents {
  sink: ReadingSink
  log?: Logger
  timers?: Timers
  random?: () => number
  /** Replaces serialport (the in-process link of `stele start` without socat; tests). */
  openSerial?: OpenSerial
  /** Replaces SerialPort.list() for discovery by USB ids. */
  listPorts?: () => Promise<SerialPortInfo[]>
  /** Roots of the filesystem discovery fallback (tests). */
  devRoot?: string
  sysRoot?: string
}

/** Defaults filled in, and one claimed-path set for all the workers of one connector. */
export function portWorkerComponents(
  c: PortConnectorComponents,
  backoff: Partial<BackoffOptions> | undefined,
): PortWorkerComponents {
  const log = c.log ?? silentLogger
  return {
    log,
    timers: c.timers ?? backgroundTimers,
    random: c.random ?? Math.random,
    openSerial: c.openSerial ?? openSerialPort,
    discovery: {
      log,
      ...(c.listPorts ? { list: c.listPorts } : {}),
      ...(c.devRoot ? { devRoot: c.devRoot } : {}),
      ...(c.sysRoot ? { sysRoot: c.sysRoot } : {}),
    },
    claimed: new Set(),
    backoff: { ...SERIAL_BACKOFF, ...backoff },
  }
}

/** Refuses a port entry that can never be found or opened (the connector's name first in the message). */
export function checkPortConfig(
  what: string,
  cfg: { path?: string | undefined; match?: unknown; baudRate?: number | undefined },
): void {
  if (!cfg.path && !cfg.match) throw new SteleError('STELE_CONFIG', `${what} needs a path or a match`)
  if (cfg.baudRate !== undefined && (!Number.isInteger(cfg.baudRate) || cfg.baudRate <= 0))
    throw new SteleError('STELE_CONFIG', `${what}: invalid baud rate ${cfg.baudRate}`)
}

/**
 * Start and stop for all the workers of one connector. start refuses an aborted signal, starts every worker and
 * returns at once (boards may be absent for now); stop resolves once none runs. Both are idempotent.
 */
export function portWorkerGroup(
  workers: readonly { start(opts: { signal?: AbortSignal | undefined }): void; stop(): Promise<void> }[],
  onStart: () => void,
): { start(opts?: { signal?: AbortSignal | undefined }): Promise<void>; stop(): Promise<void> } {
  let started = false
  return {
    async start(opts = {}) {
      if (started) return
      opts.signal?.throwIfAborted()
      started = true
      for (const w of workers) w.start(opts)
      onStart()
    },
    async stop() {
      if (!started) return
      await Promise.all(workers.map((w) => w.stop()))
      started = false
    },
  }
}

export class PortWorker {
  private controller: AbortController | null = null
  private running: Promise<void> | null = null

  constructor(
    private readonly init: PortWorkerInit,
    private readonly c: PortWorkerComponents,
  ) {}

  /** Starts looking for the board and returns at once (it may be absent for now). Idempotent. */
  start(opts: { signal?: AbortSignal | undefined } = {}): void {
    if (this.controller) return
    opts.signal?.throwIfAborted()
    const ctl = new AbortController()
    this.controller = ctl
    opts.signal?.addEventListener('abort', () => ctl.abort(opts.signal?.reason), { once: true })
    this.running = this.run(ctl.signal)
  }

  /** Closes the line and resolves once nothing of the worker's still runs. Idempotent. */
  async stop(): Promise<void> {
    if (!this.controller) return
    this.controller.abort()
    await this.running
    this.controller = null
    this.running = null
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { timers, random, backoff, log } = this.c
    let attempt = 0
    while (!signal.aborted) {
      let healthy = false
      try {
        healthy = await this.connectOnce(signal)
      } catch (err) {
        if (signal.aborted) break
        log.debug({ port: this.init.name, err: message(err) }, 'serial connect failed')
      }
      if (signal.aborted) break
      attempt = healthy ? 0 : attempt + 1
      try {
        await sleep(backoffDelay(healthy ? 0 : attempt - 1, backoff, random), timers, signal)
      } catch {
        break
      }
    }
    // Let an in-flight push settle so stop() returns with nothing of ours still running.
    await this.init.idle?.()
  }

  private async candidates(): Promise<string[]> {
    const out: string[] = []
    // The configured path is always tried: opening a missing one fails fast, and an injected opener (the
    // in-process link) has paths the filesystem does not know.
    if (this.init.path) out.push(this.init.path)
    if (this.init.match) out.push(...(await findCandidates(this.init.match, this.c.discovery)))
    return [...new Set(out)].filter((p) => !this.c.claimed.has(deviceKey(p)))
  }

  private async connectOnce(signal: AbortSignal): Promise<boolean> {
    const st = this.init.status
    const candidates = await this.candidates()
    if (candidates.length === 0) {
      st.lastError = `no device at ${this.init.path ?? 'any matching path'}`
      return false
    }
    for (const path of candidates) {
      if (signal.aborted) return false
      let link: SerialLink
      try {
        link = await this.c.openSerial({ path, baudRate: this.init.baudRate }, { signal })
      } catch (err) {
        st.lastError = message(err)
        continue
      }
      const key = deviceKey(path)
      this.c.claimed.add(key)
      try {
        const outcome = await this.init.serve(link, signal)
        if (outcome !== 'next') return outcome === 'healthy'
      } catch (err) {
        st.lastError = message(err)
        this.c.log.debug({ port: this.init.name, path, err: st.lastError }, 'serving a port failed')
      } finally {
        this.c.claimed.delete(key)
        await link.close()
      }
    }
    return false
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))
