import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../core/logger.ts'
import { BoardPlug, ptyWires } from '../../../device-sim/board-plug.ts'
import { FirmataBoard } from '../../../device-sim/firmata-board.ts'
import { createRandom } from '../../../device-sim/random.ts'
import {
  createFirmataConnector,
  type FirmataConnector,
} from '../../../gateway/connectors/firmata/firmata-connector.ts'
import { RecordingSink } from '../../firmware-bridge/recording-sink.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { until } from '../../helpers/wait.ts'

let cleanup: (() => Promise<void>)[] = []
beforeEach(() => {
  cleanup = []
})
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
})

describe('Firmata connector (johnny-five over firmata-io over serialport 13, on a pty)', () => {
  it('emits scaled readings from an analog pin, and reconnects when the board is unplugged and replugged', async () => {
    const tmp = await tempDir('stele-firmata-conn-')
    cleanup.push(tmp.cleanup)
    const board = new FirmataBoard({ random: createRandom(2) })
    board.setAnalog(0, 205)
    const plug = new BoardPlug(board, ptyWires(tmp.path, { baudRate: 57_600 }), 'uno-f')
    const path = await plug.plug()
    cleanup.push(
      () => board.stop(),
      () => plug.unplug(),
    )
    const sink = new RecordingSink()
    const connector: FirmataConnector = createFirmataConnector({
      boards: [
        {
          device: 'uno-firmata-1',
          path,
          match: { paths: [`${tmp.path}/uno-f*`] },
          sensors: [
            {
              name: 'temp',
              pin: 'A0',
              intervalMs: 20,
              scale: { raw: [0, 1023], value: [0, 500] },
              decimals: 1,
              unit: '°C',
            },
          ],
          readyTimeoutMs: 3000,
        },
      ],
      backoff: { initialMs: 20, maxMs: 200 },
    })({ sink, log: silentLogger, random: createRandom(3) })
    cleanup.push(() => connector.stop())
    await connector.start()
    await until(() => sink.readings.length >= 5, { what: 'readings', on: [[sink, 'push']] })
    expect(sink.readings[0]).toEqual({
      device: 'uno-firmata-1',
      sensor: 'temp',
      value: 100.2,
      unit: '°C',
      source: 'firmata',
    })
    expect(connector.boards()[0]).toMatchObject({
      connected: true,
      path,
      firmware: 'StandardFirmata.ino 2.5',
      connects: 1,
    })

    await plug.unplug()
    await until(() => !connector.boards()[0]!.connected, { what: 'disconnect noticed' })
    board.setAnalog(0, 1023)
    await plug.plug('uno-f-again')
    await until(() => sink.readings.some((r) => r.value === 500), {
      what: 'readings after replug',
      on: [[sink, 'push']],
    })
    await connector.stop()
    expect(connector.boards()[0]).toMatchObject({ path: plug.path, connects: 2 })
    expect(connector.status()).toMatchObject({ kind: 'firmata', name: 'firmata' })
    expect(connector.status().readings).toBe(sink.readings.length)
  })

  it('rejects bad configuration with STELE_CONFIG', () => {
    const bad = (b: object) => () => createFirmataConnector({ boards: [b as never] })
    expect(bad({ device: 'd', path: '/x', sensors: [] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
    expect(bad({ device: 'd', path: '/x', sensors: [{ name: 't', pin: 'B7' }] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
    expect(bad({ device: 'bad id', path: '/x', sensors: [{ name: 't', pin: 'A0' }] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
    expect(bad({ device: 'd', sensors: [{ name: 't', pin: 'A0' }] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
  })
})
