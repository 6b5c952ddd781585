import type { BackoffOptions } from '../../../core/backoff.ts'
import { SteleError } from '../../../core/errors.ts'
import { type Logger, silentLogger } from '../../../core/logger.ts'
import { backgroundTimers, type Timers } from '../../../core/timers.ts'
import { type OpenSerial, openSerialPort } from '../../../firmware-bridge/serial-link.ts'
import type { Connector, ConnectorStatus, ReadingSink } from '../connector.ts'
import type { SerialPortInfo } from './serial-discovery.ts'
import { type PortStatus, type SerialPortConfig, SerialPortWorker } from './serial-port-worker.ts'
import { SERIAL_BACKOFF } from './serial-reconnect.ts'

export type { PortStatus, SerialPortConfig }

/**
 * The serial connector: line-protocol boards (docs/protocol-serial.md) on USB serial ports or ptys. Each
 * configured port has its own worker that finds the board (by path, USB ids, path pattern, board id),
 * reconnects with backoff when it goes away, delivers each data frame exactly once and in order, and
 * acknowledges a frame to the board only after the sink has made its readings durable.
 */
export interface SerialConnectorInit {
  /** Connector name in status and logs; default 'serial'. */
  name?: string
  ports: SerialPortConfig[]
  backoff?: Partial<BackoffOptions>
  /** While a port has not said who it is, ask again this often (ms). */
  helloRetryMs?: number
  /** A port matched by board id that sends no HELLO within this time is given up for the next candidate. */
  helloTimeoutMs?: number
  /** Frames accepted but not yet pushed, per port; beyond it frames are refused and resent by the board. */
  maxPendingFrames?: number
}

export interface SerialConnectorComponents {
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

export interface SerialConnector extends Connector {
  ports(): PortStatus[]
}

export function createSerialConnector(
  init: SerialConnectorInit,
): (components: SerialConnectorComponents) => SerialConnector {
  if (!Array.isArray(init.ports))
    throw new SteleError('STELE_CONFIG', 'serial connector: ports must be an array')
  for (const p of init.ports) {
    if (!p.path && !p.match)
      throw new SteleError('STELE_CONFIG', 'serial connector: each port needs a path or a match')
    if (p.baudRate !== undefined && (!Number.isInteger(p.baudRate) || p.baudRate <= 0))
      throw new SteleError('STELE_CONFIG', `serial connector: invalid baud rate ${p.baudRate}`)
  }
  return (c) => {
    const name = init.name ?? 'serial'
    const log = c.log ?? silentLogger
    const claimed = new Set<string>()
    const workers = init.ports.map(
      (cfg) =>
        new SerialPortWorker(cfg, {
          sink: c.sink,
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
          claimed,
          backoff: { ...SERIAL_BACKOFF, ...init.backoff },
          helloRetryMs: init.helloRetryMs ?? 500,
          helloTimeoutMs: init.helloTimeoutMs ?? 3000,
          maxPendingFrames: init.maxPendingFrames ?? 256,
        }),
    )
    let controller: AbortController | null = null
    let running: Promise<unknown> | null = null

    const ports = (): PortStatus[] => workers.map((w) => w.status())

    return {
      name,
      ports,
      async start(opts = {}) {
        if (controller) return
        opts.signal?.throwIfAborted()
        controller = new AbortController()
        const ctl = controller
        opts.signal?.addEventListener('abort', () => ctl.abort(opts.signal?.reason), { once: true })
        // Boards may be absent at start: the workers keep looking, so start returns at once.
        running = Promise.all(workers.map((w) => w.run(ctl.signal)))
        log.info({ connector: name, ports: workers.map((w) => w.name) }, 'serial connector started')
      },
      async stop() {
        if (!controller) return
        controller.abort()
        await running
        controller = null
        running = null
      },
      status(): ConnectorStatus {
        const ps = ports()
        const sum = (f: (p: PortStatus) => number): number => ps.reduce((n, p) => n + f(p), 0)
        const last = ps.reduce<number | null>(
          (m, p) => (p.lastFrameAt !== null && (m === null || p.lastFrameAt > m) ? p.lastFrameAt : m),
          null,
        )
        return {
          name,
          kind: 'serial',
          connected: ps.some((p) => p.connected),
          received: sum((p) => p.frames),
          readings: sum((p) => p.readings),
          errors: sum((p) => p.crcErrors + p.oversize + p.malformed + p.pushErrors),
          lastMessageAt: last,
          detail: { ports: ps },
        }
      },
    }
  }
}
