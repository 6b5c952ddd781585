import type { BackoffOptions } from '../../../core/backoff.ts'
import { SteleError } from '../../../core/errors.ts'
import type { Connector, ConnectorStatus } from '../connector.ts'
import {
  checkPortConfig,
  type PortConnectorComponents,
  portWorkerComponents,
  portWorkerGroup,
} from '../port-worker.ts'
import { type PortStatus, type SerialPortConfig, SerialPortWorker } from './serial-port-worker.ts'

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

export type SerialConnectorComponents = PortConnectorComponents

export interface SerialConnector extends Connector {
  ports(): PortStatus[]
}

export function createSerialConnector(
  init: SerialConnectorInit,
): (components: SerialConnectorComponents) => SerialConnector {
  if (!Array.isArray(init.ports))
    throw new SteleError('STELE_CONFIG', 'serial connector: ports must be an array')
  for (const [i, p] of init.ports.entries()) checkPortConfig(`serial connector: port ${p.name ?? i}`, p)
  return (c) => {
    const name = init.name ?? 'serial'
    const components = portWorkerComponents(c, init.backoff)
    const serve = {
      sink: c.sink,
      helloRetryMs: init.helloRetryMs ?? 500,
      helloTimeoutMs: init.helloTimeoutMs ?? 3000,
      maxPendingFrames: init.maxPendingFrames ?? 256,
    }
    const workers = init.ports.map((cfg) => new SerialPortWorker(cfg, serve, components))
    const ports = (): PortStatus[] => workers.map((w) => w.status())
    const group = portWorkerGroup(workers, () =>
      components.log.info({ connector: name, ports: workers.map((w) => w.name) }, 'serial connector started'),
    )
    return {
      name,
      ports,
      start: group.start,
      stop: group.stop,
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
