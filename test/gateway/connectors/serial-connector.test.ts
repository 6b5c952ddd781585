import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../core/logger.ts'
import { BoardPlug, memoryWires, ptyWires, type WireFactory } from '../../../device-sim/board-plug.ts'
import { DEFAULT_LINE_SENSORS } from '../../../device-sim/board-sensors.ts'
import { LineBoard } from '../../../device-sim/line-board.ts'
import { createMemorySerialHub } from '../../../device-sim/memory-link.ts'
import { createRandom } from '../../../device-sim/random.ts'
import { scaleRaw } from '../../../firmware-bridge/frame-codec.ts'
import type { OpenSerial } from '../../../firmware-bridge/serial-link.ts'
import {
  createSerialConnector,
  type SerialConnector,
} from '../../../gateway/connectors/serial/serial-connector.ts'
import { checkDelivery, RecordingSink } from '../../firmware-bridge/recording-sink.ts'
import { tempDir } from '../../helpers/tmp.ts'
import { until } from '../../helpers/wait.ts'

const scale = (sensor: number, raw: number) => scaleRaw(raw, DEFAULT_LINE_SENSORS[sensor]!.exponent)

let cleanup: (() => Promise<void>)[] = []
beforeEach(() => {
  cleanup = []
})
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
})

async function wires(
  kind: 'pty' | 'memory',
): Promise<{ wires: WireFactory; openSerial?: OpenSerial; dir: string }> {
  if (kind === 'memory') {
    const hub = createMemorySerialHub()
    return { wires: memoryWires(hub), openSerial: hub.openSerial, dir: 'sim:/' }
  }
  const tmp = await tempDir('stele-serial-')
  cleanup.push(tmp.cleanup)
  return { wires: ptyWires(tmp.path), dir: tmp.path }
}

function board(id: string, seed: number, extra: Partial<ConstructorParameters<typeof LineBoard>[0]> = {}) {
  const b = new LineBoard({
    boardId: id,
    sampleIntervalMs: 25,
    resendMs: 300,
    record: true,
    random: createRandom(seed),
    ...extra,
  })
  cleanup.push(() => b.stop())
  return b
}

function connector(
  init: Parameters<typeof createSerialConnector>[0],
  sink: RecordingSink,
  openSerial?: OpenSerial,
): SerialConnector {
  const c = createSerialConnector({ backoff: { initialMs: 20, maxMs: 200 }, helloRetryMs: 100, ...init })({
    sink,
    log: silentLogger,
    random: createRandom(9),
    ...(openSerial ? { openSerial } : {}),
  })
  cleanup.push(() => c.stop())
  return c
}

/** Frames generated up to the last one delivered (the board keeps sampling after the test stops looking). */
function upToLastDelivered(b: LineBoard, sink: RecordingSink) {
  const last = sink.readings.at(-1)!
  const i = b.history.findLastIndex((f) => f.seq === last.deviceSeq && f.uptimeMs === last.deviceTime)
  return b.history.slice(0, i + 1)
}

describe.each(['memory', 'pty'] as const)('serial connector over %s', (kind) => {
  it('delivers every frame once, in order, acknowledges them, and reports health', async () => {
    const w = await wires(kind)
    const b = board('uno-a', 1)
    const plug = new BoardPlug(b, w.wires, 'uno-a')
    const path = await plug.plug()
    cleanup.push(() => plug.unplug())
    const sink = new RecordingSink()
    const c = connector({ ports: [{ path }] }, sink, w.openSerial)
    await c.start()
    await until(() => sink.of('uno-a').length >= 60, { what: '20 frames', on: [[sink, 'push']] })
    // Acks flow back: the board's ring stays nearly empty instead of filling and resending.
    await until(() => b.stats.acks > 5 && b.held <= 2, { what: 'acks drain the ring', on: [[b, 'ack']] })
    await c.stop()
    expect(checkDelivery(sink.readings, upToLastDelivered(b, sink), scale, 3)).toBeGreaterThanOrEqual(20)
    const r = sink.readings[0]!
    expect(r).toMatchObject({ device: 'uno-a', sensor: 'temp', unit: '°C', source: 'serial' })
    expect(typeof r.deviceSeq).toBe('number')
    const st = c.status()
    expect(st).toMatchObject({ name: 'serial', kind: 'serial', errors: 0 })
    expect(st.readings).toBe(sink.readings.length)
    const port = c.ports()[0]!
    expect(port).toMatchObject({ path, boardId: 'uno-a', crcErrors: 0, connects: 1 })
    expect(port.lastFrameAt).not.toBeNull()
  })

  it('a failed push is not acknowledged; the board resends and the readings arrive exactly once', async () => {
    const w = await wires(kind)
    const b = board('uno-b', 2)
    const plug = new BoardPlug(b, w.wires, 'uno-b')
    const path = await plug.plug()
    cleanup.push(() => plug.unplug())
    const sink = new RecordingSink()
    const c = connector({ ports: [{ path }] }, sink, w.openSerial)
    await c.start()
    await until(() => sink.readings.length >= 9, { what: 'first frames', on: [[sink, 'push']] })
    sink.failNext = true
    await until(() => c.ports()[0]!.pushErrors === 1 && sink.readings.length >= 60, {
      what: 'recovery after a failed push',
      on: [[sink, 'push']],
    })
    await c.stop()
    checkDelivery(sink.readings, upToLastDelivered(b, sink), scale, 3)
  })

  it('follows a reboot (new boot, seq from 0) and a board that comes back under another path', async () => {
    const w = await wires(kind)
    const b = board('uno-c', 3)
    const plug = new BoardPlug(b, w.wires, 'uno-c')
    const path = await plug.plug()
    cleanup.push(() => plug.unplug())
    const sink = new RecordingSink()
    const c = connector(
      { ports: [{ path, match: { boardId: 'uno-c', paths: [`${w.dir}/uno-c*`] } }] },
      sink,
      w.openSerial,
    )
    await c.start()
    await until(() => sink.readings.length >= 15, { what: 'data', on: [[sink, 'push']] })
    b.reboot()
    await until(() => sink.readings.some((r) => r.deviceSeq === 0), {
      what: 'data after the reboot',
      on: [[sink, 'push']],
    })
    await plug.unplug()
    const before = sink.readings.length
    // Path patterns are expanded on the filesystem, so only the pty wire can come back under a new name.
    await plug.plug(kind === 'pty' ? 'uno-c-renamed' : 'uno-c')
    await until(() => sink.readings.length >= before + 30, {
      what: 'data from the new path',
      on: [[sink, 'push']],
    })
    await c.stop()
    const port = c.ports()[0]!
    expect(port.path).toBe(plug.path)
    expect(port.connects).toBeGreaterThanOrEqual(2)
    checkDelivery(sink.readings, upToLastDelivered(b, sink), scale, 3)
  })
})

describe('serial connector: choosing the right board', () => {
  it('skips a port whose HELLO names another board and finds the wanted one by pattern', async () => {
    const w = await wires('pty')
    const other = board('uno-x', 4)
    const wanted = board('uno-y', 5)
    const p1 = new BoardPlug(other, w.wires, 'dev-1')
    const p2 = new BoardPlug(wanted, w.wires, 'dev-2')
    await p1.plug()
    await p2.plug()
    cleanup.push(
      () => p1.unplug(),
      () => p2.unplug(),
    )
    const sink = new RecordingSink()
    const c = connector({ ports: [{ match: { boardId: 'uno-y', paths: [`${w.dir}/dev-*`] } }] }, sink)
    await c.start()
    await until(() => sink.readings.length >= 9, { what: 'readings of uno-y', on: [[sink, 'push']] })
    await c.stop()
    expect(new Set(sink.readings.map((r) => r.device))).toEqual(new Set(['uno-y']))
    expect(c.ports()[0]!.path).toBe(p2.path)
  })

  it('keeps trying while no board is there, without crashing, and stops promptly', async () => {
    const sink = new RecordingSink()
    const c = connector({ ports: [{ path: '/nonexistent/ttyACM9' }] }, sink)
    await c.start()
    await until(() => c.ports()[0]!.lastError !== null, { what: 'an attempt' })
    const t0 = Date.now()
    await c.stop()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(c.status()).toMatchObject({ connected: false, received: 0 })
  })

  it('rejects invalid configuration with STELE_CONFIG', () => {
    expect(() => createSerialConnector({ ports: [{}] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
    expect(() => createSerialConnector({ ports: [{ path: '/x', baudRate: -1 }] })).toThrow(
      expect.objectContaining({ code: 'STELE_CONFIG' }),
    )
  })

  it('start honours an aborted signal', async () => {
    const c = connector({ ports: [{ path: '/nonexistent' }] }, new RecordingSink())
    const signal = AbortSignal.abort()
    await expect(c.start({ signal })).rejects.toBe(signal.reason)
  })
})
