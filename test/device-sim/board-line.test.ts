import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BoardPlug, memoryWires, ptyWires, type WireFactory } from '../../device-sim/board-plug.ts'
import { createLineFaults } from '../../device-sim/faults.ts'
import { LineBoard } from '../../device-sim/line-board.ts'
import { createMemorySerialHub } from '../../device-sim/memory-link.ts'
import { createRandom } from '../../device-sim/random.ts'
import { encodeFrame } from '../../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../../firmware-bridge/frame-decoder.ts'
import type { DataFrame, Frame, HelloFrame } from '../../firmware-bridge/frame-types.ts'
import { openSerialPort, type SerialLink } from '../../firmware-bridge/serial-link.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

/** The gateway's side of the wire, by hand: decode what the board sends, answer with ACK frames. */
function listen(link: SerialLink) {
  const frames: Frame[] = []
  const decoder = new FrameDecoder({ onFrame: (f) => frames.push(f) })
  link.stream.on('data', (c: Uint8Array) => decoder.push(c))
  const send = (f: Frame) => link.stream.write(encodeFrame(f))
  const data = () => frames.filter((f): f is DataFrame => f.type === 'data')
  return { frames, decoder, send, data }
}

let cleanup: (() => Promise<void>)[] = []
beforeEach(() => {
  cleanup = []
})
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
})

async function setup(kind: 'pty' | 'memory', init: Partial<ConstructorParameters<typeof LineBoard>[0]> = {}) {
  let wires: WireFactory
  let open = openSerialPort
  if (kind === 'pty') {
    const tmp = await tempDir('stele-board-')
    cleanup.push(tmp.cleanup)
    wires = ptyWires(tmp.path)
  } else {
    const hub = createMemorySerialHub()
    wires = memoryWires(hub)
    open = hub.openSerial
  }
  const board = new LineBoard({
    boardId: 'sim-1',
    sampleIntervalMs: 20,
    resendMs: 200,
    record: true,
    ...init,
  })
  cleanup.push(() => board.stop())
  const plug = new BoardPlug(board, wires, 'line-1')
  const path = await plug.plug()
  cleanup.push(() => plug.unplug())
  const link = await open({ path, baudRate: 115_200 })
  cleanup.push(() => link.close())
  return { board, plug, path, link, open, ...listen(link) }
}

describe.each(['pty', 'memory'] as const)('line-protocol board on a %s wire', (kind) => {
  it('answers a HELLO request, streams data in order, resends until acked, stops resending once acked', async () => {
    const s = await setup(kind)
    s.send({ type: 'ack', boot: 0, ackSeq: 0, flags: 1 })
    await until(() => s.frames.some((f) => f.type === 'hello'), {
      what: 'hello',
      on: [[s.link.stream, 'data']],
    })
    const hello = s.frames.find((f): f is HelloFrame => f.type === 'hello')!
    expect(hello).toMatchObject({ boardId: 'sim-1', boot: s.board.bootId })
    expect(hello.sensors.map((x) => x.name)).toEqual(['temp', 'humidity', 'door'])
    // Without acks the ring fills, then the board resends what it holds.
    // The board counts a resend when it writes it; wait for the frames to cross the wire as well.
    await until(() => s.board.stats.resent >= 8 && s.data().length >= 5, {
      what: 'resends',
      on: [[s.link.stream, 'data']],
    })
    const seqs = s.data().map((f) => f.seq)
    // Frames sent before the gateway end was open are lost on the line, as on a real one; the rest arrive in order.
    const first = seqs[0]!
    expect(seqs.slice(0, 5)).toEqual([first, first + 1, first + 2, first + 3, first + 4])
    expect(s.data().every((f) => f.seq - f.held >= 0)).toBe(true)
    // Ack everything generated so far: the ring empties and the held count drops to 0 on the next frame.
    const last = s.board.history.at(-1)!.seq
    s.send({ type: 'ack', boot: s.board.bootId, ackSeq: last, flags: 2 })
    await until(() => s.board.stats.acks >= 2 && s.board.held <= 1, {
      what: 'ring drained',
      on: [[s.board, 'ack']],
    })
    const n = s.frames.length
    await until(() => s.data().some((f) => f.seq > last), { what: 'new data', on: [[s.link.stream, 'data']] })
    expect(s.frames.slice(n).filter((f) => f.type === 'data' && f.seq <= last - 8)).toEqual([])
  })

  it('a reboot starts a new boot with seq 0 and announces it', async () => {
    const s = await setup(kind)
    const boot = s.board.bootId
    await until(() => s.data().length >= 2, { what: 'data', on: [[s.link.stream, 'data']] })
    s.board.reboot()
    await until(() => s.frames.some((f) => f.type === 'hello' && f.boot !== boot && (f.flags & 1) === 1), {
      what: 'boot hello',
      on: [[s.link.stream, 'data']],
    })
    await until(() => s.data().some((f) => f.boot !== boot && f.seq === 0), {
      what: 'seq 0 of new boot',
      on: [[s.link.stream, 'data']],
    })
  })
})

describe('line-protocol board pacing and faults (pty)', () => {
  it('never sends faster than its baud rate', async () => {
    const s = await setup('pty', { baudRate: 19_200, sampleIntervalMs: 60_000 })
    const t0 = Date.now()
    s.board.burst(20)
    await until(() => s.data().length >= 20, { what: '20 frames', on: [[s.link.stream, 'data']] })
    const elapsed = Date.now() - t0
    const bytes = s.decoder.stats.bytes
    // 10 bit times per byte; the first frame leaves at once, so allow one frame of slack.
    expect(elapsed).toBeGreaterThanOrEqual(((bytes - 40) * 10_000) / 19_200)
  })

  it('damaged frames never decode; every frame is eventually received intact', async () => {
    const faults = createLineFaults(
      { noise: 0.2, noiseBurst: 0.05, corruptCrc: 0.1, bitFlip: 0.1, truncate: 0.1, duplicate: 0.1 },
      createRandom(3),
    )
    const s = await setup('pty', { faults, random: createRandom(4) })
    await until(() => s.board.stats.generated >= 40, { what: 'generated', on: [[s.board, 'generated']] })
    // The ring (8) may have dropped early frames; resends bring the rest in.
    const keep = () => s.board.history.filter((f) => !f.lost)
    await until(
      () => {
        const got = new Set(s.data().map((f) => f.seq))
        return keep().every((f) => got.has(f.seq))
      },
      { what: 'all frames still held received', on: [[s.link.stream, 'data']], timeoutMs: 10_000 },
    )
    for (const f of s.data()) {
      const g = s.board.history.find((h) => h.seq === f.seq)!
      expect(f.samples).toEqual(g.samples)
    }
    const st = s.decoder.stats
    expect(st.crcErrors + st.malformed + st.oversize).toBeGreaterThan(0)
    expect(faults.counts.corruptCrc).toBeGreaterThan(0)
  })
})
