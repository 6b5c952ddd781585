import type { BackoffOptions } from '../../../core/backoff.ts'
import { SteleError } from '../../../core/errors.ts'
import { isValidId, LIMITS } from '../../../core/reading.ts'
import { validateFirmataSensors } from '../../../firmware-bridge/firmata-adapter.ts'
import type { Connector, ConnectorStatus } from '../connector.ts'
import {
  checkPortConfig,
  type PortConnectorComponents,
  portWorkerComponents,
  portWorkerGroup,
} from '../port-worker.ts'
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

export type FirmataConnectorComponents = PortConnectorComponents

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
    checkPortConfig(`firmata connector: ${b.device}`, b)
    validateFirmataSensors(b.sensors)
  }
  return (c) => {
    const name = init.name ?? 'firmata'
    const components = portWorkerComponents(c, init.backoff)
    const serve = { sink: c.sink, maxPending: init.maxPending ?? 10_000 }
    const workers = init.boards.map((cfg) => new FirmataWorker(cfg, serve, components))
    const boards = (): FirmataBoardStatus[] => workers.map((w) => ({ ...w.st }))
    const group = portWorkerGroup(workers, () =>
      components.log.info(
        { connector: name, boards: init.boards.map((b) => b.device) },
        'firmata connector started',
      ),
    )
    return {
      name,
      boards,
      start: group.start,
      stop: group.stop,
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
