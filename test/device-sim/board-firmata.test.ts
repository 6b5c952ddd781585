import { createRequire } from 'node:module'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BoardPlug, memoryWires, ptyWires, type WireFactory } from '../../device-sim/board-plug.ts'
import { FirmataBoard } from '../../device-sim/firmata-board.ts'
import { createMemorySerialHub } from '../../device-sim/memory-link.ts'
import { type FirmataSample, startFirmataSession } from '../../firmware-bridge/firmata-adapter.ts'
import { type OpenSerial, openSerialPort } from '../../firmware-bridge/serial-link.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

const five = createRequire(import.meta.url)('johnny-five') as { Board: { cache: unknown[] } }

let cleanup: (() => Promise<void>)[] = []
beforeEach(() => {
  cleanup = []
})
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
})

async function setup(kind: 'pty' | 'memory') {
  let wires: WireFactory
  let open: OpenSerial = openSerialPort
  if (kind === 'pty') {
    const tmp = await tempDir('stele-firmata-')
    cleanup.push(tmp.cleanup)
    wires = ptyWires(tmp.path, { baudRate: 57_600 })
  } else {
    const hub = createMemorySerialHub()
    wires = memoryWires(hub)
    open = hub.openSerial
  }
  const board = new FirmataBoard()
  cleanup.push(() => board.stop())
  const plug = new BoardPlug(board, wires, 'uno-firmata')
  const path = await plug.plug()
  cleanup.push(() => plug.unplug())
  const link = await open({ path, baudRate: 57_600 })
  cleanup.push(() => link.close())
  return { board, link }
}

describe.each(['pty', 'memory'] as const)(
  'StandardFirmata emulator on a %s wire, read by johnny-five',
  (kind) => {
    it('completes the firmata-io handshake and streams scaled analog and digital readings', async () => {
      const { board, link } = await setup(kind)
      board.setAnalog(0, 512)
      board.setDigital(2, 1)
      const samples: FirmataSample[] = []
      const cacheBefore = five.Board.cache.length
      const processEvents = ['SIGINT', 'SIGTERM', 'exit', 'uncaughtException', 'unhandledRejection'] as const
      const listenersBefore = processEvents.map((e) => process.listenerCount(e))
      const session = await startFirmataSession(link, {
        readyTimeoutMs: 5000,
        sensors: [
          {
            name: 'temp',
            pin: 'A0',
            intervalMs: 25,
            scale: { raw: [0, 1023], value: [0, 500] },
            decimals: 2,
            unit: '°C',
          },
          { name: 'door', pin: 2, intervalMs: 25 },
        ],
        onSample: (s) => samples.push(s),
      })
      expect(session.firmware).toEqual({ name: 'StandardFirmata.ino', version: '2.5' })
      await until(
        () =>
          samples.filter((s) => s.sensor === 'temp').length >= 3 && samples.some((s) => s.sensor === 'door'),
        { what: 'samples', on: [[board, 'tick']] },
      )
      const temp = samples.find((s) => s.sensor === 'temp')!
      expect(temp).toEqual({ sensor: 'temp', value: 250.24, unit: '°C', raw: 512 })
      expect(samples.find((s) => s.sensor === 'door')).toMatchObject({ value: 1, raw: 1 })
      expect(board.samplingIntervalMs).toBe(25)
      // No REPL, no SIGINT handler that exits the process: johnny-five is embedded, not in charge.
      expect(processEvents.map((e) => process.listenerCount(e))).toEqual(listenersBefore)
      expect(board.reportingAnalog).toEqual([0])
      session.dispose()
      expect(five.Board.cache.length).toBe(cacheBefore)
      // After dispose nothing of johnny-five or firmata-io listens on the line any more.
      expect(link.stream.listenerCount('data')).toBe(0)
      const n = samples.length
      await until(() => board.stats.analogMessages > 10, { what: 'more board output', on: [[board, 'tick']] })
      expect(samples.length).toBe(n)
    })

    it('fails the handshake with STELE_UNAVAILABLE when the board never answers', async () => {
      const { board, link } = await setup(kind)
      board.detach()
      await expect(
        startFirmataSession(link, {
          readyTimeoutMs: 300,
          sensors: [{ name: 't', pin: 'A0' }],
          onSample: () => {},
        }),
      ).rejects.toMatchObject({ code: 'STELE_UNAVAILABLE' })
    })
  },
)
