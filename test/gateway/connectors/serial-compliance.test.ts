import { silentLogger } from '../../../core/logger.ts'
import { BoardPlug, memoryWires } from '../../../device-sim/board-plug.ts'
import { FirmataBoard } from '../../../device-sim/firmata-board.ts'
import { LineBoard } from '../../../device-sim/line-board.ts'
import { createMemorySerialHub } from '../../../device-sim/memory-link.ts'
import { createFirmataConnector } from '../../../gateway/connectors/firmata/firmata-connector.ts'
import { createSerialConnector } from '../../../gateway/connectors/serial/serial-connector.ts'
import { connectorCompliance } from '../../firmware-bridge/connector-compliance.ts'

connectorCompliance('serial connector (in-process link)', 'serial', async (sink) => {
  const hub = createMemorySerialHub()
  const board = new LineBoard({ boardId: 'uno-comp', sampleIntervalMs: 20 })
  const plug = new BoardPlug(board, memoryWires(hub), 'uno-comp')
  const path = await plug.plug()
  const connector = createSerialConnector({ ports: [{ path }], backoff: { initialMs: 10, maxMs: 50 } })({
    sink,
    log: silentLogger,
    openSerial: hub.openSerial,
  })
  return {
    connector,
    cleanup: async () => {
      await connector.stop()
      await plug.unplug()
      await board.stop()
    },
  }
})

connectorCompliance('Firmata connector (in-process link)', 'firmata', async (sink) => {
  const hub = createMemorySerialHub()
  const board = new FirmataBoard()
  const plug = new BoardPlug(board, memoryWires(hub), 'firmata-comp')
  const path = await plug.plug()
  const connector = createFirmataConnector({
    boards: [{ device: 'firmata-comp', path, sensors: [{ name: 'temp', pin: 'A0', intervalMs: 20 }] }],
    backoff: { initialMs: 10, maxMs: 50 },
  })({ sink, log: silentLogger, openSerial: hub.openSerial })
  return {
    connector,
    cleanup: async () => {
      await connector.stop()
      await plug.unplug()
      await board.stop()
    },
  }
})
