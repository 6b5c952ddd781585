import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.ts'
import { DEFAULT_LINE_SENSORS } from '../../device-sim/board-sensors.ts'
import { LineBoard } from '../../device-sim/line-board.ts'
import { createMemorySerialHub } from '../../device-sim/memory-link.ts'
import { createRandom } from '../../device-sim/random.ts'
import { scaleRaw } from '../../firmware-bridge/frame-codec.ts'
import { createSerialConnector } from '../../gateway/connectors/serial/serial-connector.ts'
import { createGateway, type Gateway } from '../../gateway/gateway.ts'
import { LossyLink } from '../e2e/faults/lossy-link.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { FakeNode } from './helpers/fake-node.ts'

/**
 * Issue 10 item 1: a gateway restarted while the ACKs of frames it had made durable were lost on the line. The
 * board still holds those frames (its whole ring, up to 256) and resends them; the marks written with the outbox
 * batches (board, boot, frame seq) make every one of them a duplicate, however old, while a rebooted board's new
 * frames (same seqs, new boot) are stored.
 */
let dir: { path: string; cleanup(): Promise<void> }
const stops: (() => Promise<void>)[] = []
beforeEach(async () => {
  dir = await tempDir('stele-serial-restart-')
})
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s()
  await dir.cleanup()
})

describe('serial boards across a gateway restart with ACKs lost on the line', () => {
  it('stores every frame the board resends exactly once, and a rebooted board’s frames as new', {
    timeout: 30_000,
  }, async () => {
    const node = new FakeNode()
    const hub = createMemorySerialHub()
    const board = new LineBoard({
      boardId: 'ring-a',
      sampleIntervalMs: 20,
      ringSize: 200,
      resendMs: 300,
      record: true,
      random: createRandom(7),
    })
    stops.push(() => board.stop())
    const lossy = new LossyLink(hub.plug('sim://ring-a').board)
    board.attach(lossy.link)

    const run = async (): Promise<Gateway> => {
      const gw = await createGateway({
        dataDir: dir.path,
        node,
        chainId: node.chainId,
        batch: { maxDelayMs: 5 }, // about one batch per frame: far more batches than the 16 kept for MQTT dedupe
        submit: { backoff: { initialMs: 10, maxMs: 50 } },
      })
      node.register(gw.publicKey)
      await gw.addConnector(
        createSerialConnector({ ports: [{ path: 'sim://ring-a' }], helloRetryMs: 50 })({
          sink: gw.sink,
          log: silentLogger,
          random: createRandom(3),
          openSerial: hub.openSerial,
        }),
      )
      await gw.start()
      return gw
    }
    const durableFrames = (gw: Gateway) => (gw.status().connectors[0]!.readings as number) / 3

    const a = await run()
    await until(() => durableFrames(a) >= 10 && board.held < 5, {
      what: 'frames acknowledged',
      timeoutMs: 10_000,
    })
    // From now the ACKs are lost: the gateway keeps making frames durable, the board keeps them all.
    lossy.drop = true
    const from = durableFrames(a)
    await until(() => durableFrames(a) >= from + 60, {
      what: '60 frames durable, unacknowledged',
      timeoutMs: 10_000,
    })
    await a.stop()
    expect(board.held).toBeGreaterThanOrEqual(60)
    const heldAtRestart = board.held

    lossy.drop = false
    const b = await run()
    stops.push(() => b.stop())
    await until(() => board.held < 5, { what: 'the resent ring acknowledged', timeoutMs: 10_000 })
    board.reboot() // new boot, seqs from 0 again: these are new readings
    const bootB = board.bootId
    await until(() => board.history.filter((f) => f.boot === bootB).length >= 20, {
      what: 'frames after reboot',
    })
    board.pause()
    await until(() => board.held === 0, { what: 'the ring drained', timeoutMs: 10_000 })
    await b.drained(AbortSignal.timeout(10_000))

    // Each generated frame stored once per sensor. A record does not name its boot, so a key (sensor, seq, uptime,
    // value) may belong to a frame of each boot: a door reading (0 or 1) at the same seq and uptime after the reboot
    // is another reading. So a key may be stored as many times as frames generated it, never more (a frame stored
    // twice repeats all three of its sensors).
    const stored = new Map<string, number>()
    for (const r of node.records) {
      const k = `${r.sensor}|${r.deviceSeq}|${r.deviceTime}|${r.value}`
      stored.set(k, (stored.get(k) ?? 0) + 1)
    }
    const generated = new Map<string, number>()
    for (const f of board.history)
      DEFAULT_LINE_SENSORS.forEach((s, i) => {
        const k = `${s.name}|${f.seq}|${f.uptimeMs}|${scaleRaw(f.samples[i]!.raw, s.exponent)}`
        generated.set(k, (generated.get(k) ?? 0) + 1)
      })
    const dup = [...stored.entries()].filter(([k, n]) => n > (generated.get(k) ?? 0))
    expect(dup).toEqual([])
    expect(heldAtRestart).toBeGreaterThan(16)
    // Every acknowledged frame stored (frames the reboot dropped may be stored too: durable, their ACK in flight).
    const acked = board.history.filter((f) => !f.lost)
    const missing = acked.filter(
      (f) => !stored.has(`temp|${f.seq}|${f.uptimeMs}|${scaleRaw(f.samples[0]!.raw, -2)}`),
    )
    expect(missing).toEqual([])
    expect(node.records.length).toBeGreaterThanOrEqual(acked.length * 3)
    expect(node.records.length).toBeLessThanOrEqual(board.history.length * 3)
    expect(b.status().connectors[0]!.detail).toMatchObject({ ports: [expect.objectContaining({ lost: 0 })] })
    expect(acked.some((f) => f.boot === bootB && f.seq === 0)).toBe(true)
  })
})
