import type { BackoffOptions } from '../../../core/backoff.ts'
import { SteleError } from '../../../core/errors.ts'
import { type Logger, silentLogger } from '../../../core/logger.ts'
import { isValidId, LIMITS } from '../../../core/reading.ts'
import { backgroundTimers, type Timers } from '../../../core/timers.ts'
import { validateFirmataSensors } from '../../../firmware-bridge/firmata-adapter.ts'
import { type OpenSerial, openSerialPort } from '../../../firmware-bridge/serial-link.ts'
import type { Connector, ConnectorStatus, ReadingSink } from '../connector.ts'
import type { SerialPortInfo } from '../serial/serial-discovery.ts'
import { SERIAL_BACKOFF } from '../serial/serial-reconnect.ts'
import { type FirmataBoardConfig, type FirmataBoardStatus, FirmataWorker } from './firmata-worker.ts'

/**
 * StandardFirmata boards through johnny-five (firmware-bridge/firmata-adapter.ts). Firmata has no sequence
 * numbers and no acknowledgements, so readings are sampled values: pushed in order, at most `maxPending`
 * waiting while the sink is slow (oldest dropped beyond that, and counted). A board that stops sending for
 * `staleMs` is treated as gone; like an unplugged one it is closed and reopened with backoff.
 */
export interface FirmataConnectorInit {
  name?: string
  boards: FirmataBoardConfig[]
  backoff?: Partial<BackoffOptions>
  maxPending?: number
}

export interface FirmataConnectorComponents {
  sink: ReadingSink
  log?: Logger
  timers?: Timers
  random?: () => number
  openSerial?: OpenSerial
  listPorts?: () => Promise<SerialPortInfo[]>
}

export type { FirmataBoardConfig, FirmataBoardStatus }

export interface FirmataConnector extends Connector {
  boards(): FirmataBoardStatus[]
}

export function createFirmataConnector(
  init: FirmataConnectorInit,
): (components: FirmataConnectorComponents) => FirmataConnector {
  if (!Array.isArray(init.boards))
    throw new SteleError('STELE_CONFIG', 'firmata connector: boards must be an array')
  for (const b of init.boards) {
    if (!isValidId(b.device, LIMITS.deviceIdBytes))
      throw new SteleError('STELE_CONFIG', `firmata connector: invalid device id ${JSON.stringify(b.device)}`)
    if (!b.path && !b.match)
      throw new SteleError('STELE_CONFIG', `firmata connector: ${b.device} needs a path or a match`)
    validateFirmataSensors(b.sensors)
  }
  return (c) => {
    const name = init.name ?? 'firmata'
    const log = c.log ?? silentLogger
    const claimed = new Set<string>()
    const workers = init.boards.map(
      (cfg) =>
        new FirmataWorker(cfg, {
          sink: c.sink,
          log,
          timers: c.timers ?? backgroundTimers,
          random: c.random ?? Math.random,
          openSerial: c.openSerial ?? openSerialPort,
          discovery: { log, ...(c.listPorts ? { list: c.listPorts } : {}) },
          backoff: { ...SERIAL_BACKOFF, ...init.backoff },
          maxPending: init.maxPending ?? 10_000,
          claimed,
        }),
    )
    let controller: AbortController | null = null
    let running: Promise<unknown> | null = null
    const boards = (): FirmataBoardStatus[] => workers.map((w) => ({ ...w.st }))
    return {
      name,
      boards,
      async start(opts = {}) {
        if (controller) return
        opts.signal?.throwIfAborted()
        controller = new AbortController()
        const ctl = controller
        opts.signal?.addEventListener('abort', () => ctl.abort(opts.signal?.reason), { once: true })
        running = Promise.all(workers.map((w) => w.run(ctl.signal)))
        log.info({ connector: name, boards: init.boards.map((b) => b.device) }, 'firmata connector started')
      },
      async stop() {
        if (!controller) return
        controller.abort()
        await running
        controller = null
        running = null
      },
      status(): ConnectorStatus {
        const bs = boards()
        const last = bs.reduce<number | null>(
          (m, b) => (b.lastReadingAt !== null && (m === null || b.lastReadingAt > m) ? b.lastReadingAt : m),
          null,
        )
        return {
          name,
          kind: 'firmata',
          connected: bs.some((b) => b.connected),
          received: bs.reduce((n, b) => n + b.readings + b.dropped, 0),
          readings: bs.reduce((n, b) => n + b.readings, 0),
          errors: bs.reduce((n, b) => n + b.errors, 0),
          lastMessageAt: last,
          detail: { boards: bs },
        }
      },
    }
  }
}
