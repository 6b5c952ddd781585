import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { BoardPlug, ptyWires } from '../../device-sim/board-plug.ts'
import { DEFAULT_LINE_SENSORS } from '../../device-sim/board-sensors.ts'
import { createLineFaults, type LineFaultConfig, unplugFor } from '../../device-sim/faults.ts'
import { LineBoard } from '../../device-sim/line-board.ts'
import { createRandom } from '../../device-sim/random.ts'
import { scaleRaw } from '../../firmware-bridge/frame-codec.ts'
import {
  createSerialConnector,
  type SerialConnector,
} from '../../gateway/connectors/serial/serial-connector.ts'
import { checkDelivery, RecordingSink } from '../firmware-bridge/recording-sink.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

/**
 * The serial path end to end, through real pseudo-terminals and real serialport: two simulated boards with
 * every line fault on, clock drift, a reboot, a burst, and one board unplugged for 5 s and plugged back under
 * another path, while the connector keeps running. Every frame a board sent intact reaches the sink exactly
 * once and in order; damaged frames are counted and never delivered.
 */
const ALL_FAULTS: LineFaultConfig = {
  noise: 0.1,
  noiseBurst: 0.03,
  corruptCrc: 0.08,
  bitFlip: 0.08,
  truncate: 0.08,
  duplicate: 0.08,
}
const UNPLUG_MS = 5000
const scale = (sensor: number, raw: number) => scaleRaw(raw, DEFAULT_LINE_SENSORS[sensor]!.exponent)

let dir: string
let cleanupDir: () => Promise<void>
const cleanup: (() => Promise<void>)[] = []
beforeAll(async () => {
  const t = await tempDir('stele-e2e-serial-')
  dir = t.path
  cleanupDir = t.cleanup
})
afterAll(async () => {
  for (const c of cleanup.reverse()) await c()
  await cleanupDir()
})

function simBoard(id: string, seed: number, driftPpm: number) {
  const faults = createLineFaults(ALL_FAULTS, createRandom(seed * 7))
  // 64 frames of ring at 10 frames/s hold more than the 5 s unplug: nothing is lost while away.
  const board = new LineBoard({
    boardId: id,
    sampleIntervalMs: 100,
    resendMs: 400,
    ringSize: 64,
    record: true,
    faults,
    driftPpm,
    random: createRandom(seed),
  })
  const plug = new BoardPlug(board, ptyWires(dir), id)
  cleanup.push(
    () => board.stop(),
    () => plug.unplug(),
  )
  return { board, plug, faults }
}

describe('serial connector against faulty boards on ptys', () => {
  it('delivers every intact frame exactly once, in order, through noise, corruption, reboot, burst and a 5 s unplug', {
    timeout: 40_000,
  }, async () => {
    const a = simBoard('line-a', 11, 5000)
    const b = simBoard('line-b', 12, -3000)
    const pathA = await a.plug.plug()
    const pathB = await b.plug.plug()
    const sink = new RecordingSink()
    const connector: SerialConnector = createSerialConnector({
      ports: [
        { path: pathA, match: { boardId: 'line-a', paths: [`${dir}/line-a*`] } },
        { path: pathB, match: { boardId: 'line-b', paths: [`${dir}/line-b*`] } },
      ],
      backoff: { initialMs: 50, maxMs: 500 },
      helloRetryMs: 200,
    })({ sink, log: silentLogger, random: createRandom(5) })
    cleanup.push(() => connector.stop())
    await connector.start()
    const frames = (id: string) => sink.of(id).length / 3
    await until(() => frames('line-a') >= 15 && frames('line-b') >= 15, {
      what: 'both boards streaming',
      on: [[sink, 'push']],
    })

    // Board faults on A: a burst of samples at once, then a reset (new boot, seq 0, uptime 0).
    a.board.burst(20)
    await until(() => frames('line-a') >= 40, {
      what: 'burst delivered',
      on: [[sink, 'push']],
      timeoutMs: 15_000,
    })
    a.board.reboot()

    // B is unplugged: its path disappears; it comes back 5 s later under another name. The connector is not restarted.
    const connectsBefore = connector.ports()[1]!.connects
    const newPathB = await unplugFor(b.plug, UNPLUG_MS, backgroundTimers, { rename: 'line-b-replugged' })
    expect(newPathB).not.toBe(pathB)
    const generatedAtReplug = b.board.stats.generated
    await until(() => sink.of('line-b').some((r) => r.deviceSeq! >= generatedAtReplug + 5), {
      what: 'B delivering again from its new path',
      on: [[sink, 'push']],
      timeoutMs: 15_000,
    })
    expect(connector.ports()[1]!).toMatchObject({ path: newPathB, connected: true })
    expect(connector.ports()[1]!.connects).toBeGreaterThan(connectsBefore)

    // Quiesce: stop sampling, let resends and acks drain both rings, then compare everything.
    a.board.pause()
    b.board.pause()
    await until(() => a.board.held === 0 && b.board.held === 0, {
      what: 'rings drained by acks',
      on: [
        [a.board, 'ack'],
        [b.board, 'ack'],
      ],
      timeoutMs: 15_000,
    })
    await connector.stop()

    const matchedA = checkDelivery(sink.of('line-a'), a.board.history, scale, 3)
    const matchedB = checkDelivery(sink.of('line-b'), b.board.history, scale, 3)
    expect(b.board.stats.lost).toBe(0)
    expect(matchedB).toBe(b.board.history.length)
    expect(matchedA).toBeGreaterThanOrEqual(a.board.history.length - a.board.stats.lost)

    // The faults really happened, and the connector counted the damage instead of delivering it.
    for (const f of [a.faults, b.faults]) {
      expect(f.counts.corruptCrc + f.counts.bitFlip + f.counts.truncate).toBeGreaterThan(3)
      expect(f.counts.noise + f.counts.noiseBursts).toBeGreaterThan(0)
      expect(f.counts.duplicate).toBeGreaterThan(0)
    }
    const ports = connector.ports()
    const sum = (k: 'crcErrors' | 'malformed' | 'oversize' | 'duplicates') => ports[0]![k] + ports[1]![k]
    expect(sum('crcErrors')).toBeGreaterThanOrEqual(a.faults.counts.corruptCrc + b.faults.counts.corruptCrc)
    expect(sum('malformed') + sum('crcErrors')).toBeGreaterThan(0)
    expect(sum('oversize')).toBeGreaterThan(0)
    expect(sum('duplicates')).toBeGreaterThan(0)
    expect(connector.status().errors).toBeGreaterThan(0)
  })
})
