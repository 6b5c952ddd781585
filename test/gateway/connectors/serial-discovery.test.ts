import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Logger } from '../../../core/logger.ts'
import { silentLogger } from '../../../core/logger.ts'
import { BoardPlug } from '../../../device-sim/board-plug.ts'
import { LineBoard } from '../../../device-sim/line-board.ts'
import { createMemorySerialHub } from '../../../device-sim/memory-link.ts'
import { createSerialConnector } from '../../../gateway/connectors/serial/serial-connector.ts'
import {
  expandPaths,
  findCandidates,
  listFromFilesystem,
  listSerialPorts,
} from '../../../gateway/connectors/serial/serial-discovery.ts'
import { RecordingSink } from '../../firmware-bridge/recording-sink.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { until } from '../../helpers/wait.ts'

const SERIAL = '85735313233351F0C1D1'
let root: string
let cleanup: () => Promise<void>

/** A fake /sys and /dev laid out like Linux: an Uno on ttyACM0, an FTDI adapter on ttyUSB0, a bare ttyS0. */
beforeEach(async () => {
  const t = await tempDir('stele-disc-')
  root = t.path
  cleanup = t.cleanup
  const sys = join(root, 'sys')
  const dev = join(root, 'dev')
  const uno = join(sys, 'devices/pci0/usb1/1-1')
  await mkdir(join(uno, '1-1:1.0/tty/ttyACM0'), { recursive: true })
  await writeFile(join(uno, 'idVendor'), '2341\n')
  await writeFile(join(uno, 'idProduct'), '0043\n')
  await writeFile(join(uno, 'serial'), `${SERIAL}\n`)
  await writeFile(join(uno, 'manufacturer'), 'Arduino (www.arduino.cc)\n')
  const ftdi = join(sys, 'devices/pci0/usb1/1-2')
  await mkdir(join(ftdi, '1-2:1.0/ttyUSB0'), { recursive: true })
  await writeFile(join(ftdi, 'idVendor'), '0403\n')
  await writeFile(join(ftdi, 'idProduct'), '6001\n')
  await mkdir(join(sys, 'devices/platform/serial8250/tty/ttyS0'), { recursive: true })
  const cls = join(sys, 'class/tty')
  for (const [name, target] of [
    ['ttyACM0', join(uno, '1-1:1.0')],
    ['ttyUSB0', join(ftdi, '1-2:1.0/ttyUSB0')],
    ['ttyS0', join(sys, 'devices/platform/serial8250')],
  ] as const) {
    await mkdir(join(cls, name), { recursive: true })
    await symlink(target, join(cls, name, 'device'))
  }
  await mkdir(join(cls, 'tty0'), { recursive: true }) // a console: no device
  await mkdir(join(dev, 'serial/by-id'), { recursive: true })
  for (const n of ['ttyACM0', 'ttyUSB0', 'ttyS0']) await writeFile(join(dev, n), '')
  await symlink('../../ttyACM0', join(dev, `serial/by-id/usb-Arduino__www.arduino.cc__0043_${SERIAL}-if00`))
})
afterEach(() => cleanup())

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return {
    ...silentLogger,
    warnings,
    warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? String(_o)),
  }
}

describe('serial discovery', () => {
  it('falls back to the filesystem when SerialPort.list() fails, and says so', async () => {
    const log = recordingLog()
    const ports = await listSerialPorts({
      log,
      list: () => Promise.reject(new Error('spawn udevadm ENOENT')),
      devRoot: join(root, 'dev'),
      sysRoot: join(root, 'sys'),
    })
    expect(log.warnings.join()).toMatch(/SerialPort\.list\(\) failed.*by-id.*sys\/class\/tty/)
    const byPath = Object.fromEntries(ports.map((p) => [p.path.slice(root.length), p]))
    expect(Object.keys(byPath).sort()).toEqual(['/dev/ttyACM0', '/dev/ttyUSB0'])
    expect(byPath['/dev/ttyACM0']).toMatchObject({
      vendorId: '2341',
      productId: '0043',
      serialNumber: SERIAL,
    })
    expect(byPath['/dev/ttyACM0']!.byId).toContain('/serial/by-id/usb-Arduino')
    expect(byPath['/dev/ttyUSB0']).toMatchObject({ vendorId: '0403', productId: '6001' })
  })

  it('on this machine, never throws whatever the real enumerator does', async () => {
    await expect(listSerialPorts({ log: silentLogger })).resolves.toBeInstanceOf(Array)
    await expect(listFromFilesystem('/nonexistent', '/nonexistent')).resolves.toEqual([])
  })

  it('finds candidates by vendor/product id, serial number and path pattern', async () => {
    const opts = {
      list: () => Promise.reject(new Error('no udevadm')),
      devRoot: join(root, 'dev'),
      sysRoot: join(root, 'sys'),
    }
    const byId = join(root, `dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_${SERIAL}-if00`)
    expect(await findCandidates({ vendorId: '2341', productId: '43' }, opts)).toEqual([byId])
    expect(await findCandidates({ serialNumber: SERIAL }, opts)).toEqual([byId])
    expect(await findCandidates({ vendorId: '0403' }, opts)).toEqual([join(root, 'dev/ttyUSB0')])
    expect(await findCandidates({ vendorId: 'ffff' }, opts)).toEqual([])
    expect(await expandPaths([join(root, 'dev/tty*'), join(root, 'dev/nothing')])).toEqual(
      ['ttyACM0', 'ttyS0', 'ttyUSB0'].map((n) => join(root, 'dev', n)),
    )
  })

  it('the connector finds a board by USB serial number through the fallback and reads it', async () => {
    const hub = createMemorySerialHub()
    const byId = join(root, `dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_${SERIAL}-if00`)
    const board = new LineBoard({ boardId: 'uno-usb', sampleIntervalMs: 20 })
    const plug = new BoardPlug(
      board,
      async () => {
        const w = hub.plug(byId)
        return { gatewayPath: w.path, board: w.board, unplug: () => w.unplug() }
      },
      'x',
    )
    await plug.plug()
    const sink = new RecordingSink()
    const c = createSerialConnector({ ports: [{ match: { serialNumber: SERIAL } }] })({
      sink,
      openSerial: hub.openSerial,
      listPorts: () => Promise.reject(new Error('spawn udevadm ENOENT')),
      devRoot: join(root, 'dev'),
      sysRoot: join(root, 'sys'),
    })
    await c.start()
    try {
      await until(() => sink.readings.length >= 6, { what: 'readings', on: [[sink, 'push']] })
      expect(c.ports()[0]).toMatchObject({ path: byId, boardId: 'uno-usb', connected: true })
    } finally {
      await c.stop()
      await plug.unplug()
      await board.stop()
    }
  })
})
