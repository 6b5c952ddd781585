import { BoardPlug, ptyWires } from '../../../device-sim/board-plug.ts'
import { DEFAULT_LINE_SENSORS } from '../../../device-sim/board-sensors.ts'
import { LineBoard } from '../../../device-sim/line-board.ts'
import { createRandom } from '../../../device-sim/random.ts'
import { scaleRaw } from '../../../firmware-bridge/frame-codec.ts'
import type { SerialLink } from '../../../firmware-bridge/serial-link.ts'
import { until } from '../../helpers/wait.ts'
import { deviceReadings, type InvariantReport, timesBackwards, withStoppedNode } from './invariants.ts'
import { LossyLink } from './lossy-link.ts'

/** One simulated board on a real pty, whose incoming bytes (the gateway's ACKs) can be lost on the line. */
export class SerialBoard {
  readonly board: LineBoard
  readonly plug: BoardPlug
  private lossy: LossyLink | null = null
  private dropping = false

  constructor(dir: string, id: string, seed: number) {
    this.board = new LineBoard({
      boardId: id,
      sampleIntervalMs: 50,
      ringSize: 256,
      resendMs: 400,
      record: true,
      random: createRandom(seed),
    })
    const board = this.board
    this.plug = new BoardPlug(
      {
        attach: (link: SerialLink) => {
          this.lossy = new LossyLink(link)
          this.lossy.drop = this.dropping
          board.attach(this.lossy.link)
        },
        detach: () => board.detach(),
      },
      ptyWires(dir),
      id,
    )
  }

  /** Lose (or stop losing) every ACK the gateway sends this board. */
  set dropAcks(on: boolean) {
    this.dropping = on
    if (this.lossy) this.lossy.drop = on
  }

  async stop(): Promise<void> {
    await this.board.stop()
    await this.plug.unplug()
  }
}

/** Pauses sampling and waits until every board's ring is empty: all it kept is acknowledged. */
export async function drainBoards(boards: SerialBoard[], ms = 30_000): Promise<void> {
  for (const b of boards) b.board.pause()
  await until(() => boards.every((b) => b.board.held === 0), {
    what: 'every board ring acknowledged',
    timeoutMs: ms,
    everyMs: 50,
    detail: () => boards.map((b) => `${b.board.boardId}: ${b.board.held} held`).join(', '),
  })
}

const key = (sensor: string, seq: number, time: number, value: number) => `${sensor}|${seq}|${time}|${value}`

/**
 * What the boards generated against what the stopped node serves: every reading of a frame a board had acknowledged
 * is stored exactly once (a frame is known by its seq, uptime and values, which also tells boots apart), and
 * record times never go backwards within the gateway.
 */
export function checkSerialInvariants(dataDir: string, boards: SerialBoard[]): Promise<InvariantReport> {
  return withStoppedNode(dataDir, async (node, chainHeight) => {
    const problems: string[] = []
    let sent = 0
    let acknowledged = 0
    let stored = 0
    let lost = 0
    let duplicated = 0
    const times: { seq: number; time: number }[] = []
    for (const { board } of boards) {
      const expected = new Map<string, number>()
      for (const f of board.history) {
        sent += f.samples.length
        if (f.lost) continue
        acknowledged += f.samples.length
        for (const s of f.samples) {
          const info = DEFAULT_LINE_SENSORS[s.sensor]!
          const k = key(info.name, f.seq, f.uptimeMs, scaleRaw(s.raw, info.exponent))
          expected.set(k, (expected.get(k) ?? 0) + 1)
        }
      }
      const counts = new Map<string, number>()
      for await (const r of deviceReadings(node, board.boardId)) {
        stored++
        const k = key(r.sensor, r.deviceSeq ?? -1, r.deviceTime ?? -1, r.value)
        counts.set(k, (counts.get(k) ?? 0) + 1)
        times.push({ seq: r.seq, time: r.time })
      }
      for (const [k, want] of expected) {
        const n = counts.get(k) ?? 0
        if (n < want) {
          lost += want - n
          if (problems.length < 20) problems.push(`${board.boardId} ${k} acknowledged but not stored`)
        }
      }
      for (const [k, n] of counts) {
        const extra = n - Math.max(1, expected.get(k) ?? 0)
        if (extra > 0) {
          duplicated += extra
          if (problems.length < 20) problems.push(`${board.boardId} ${k} stored ${n} times`)
        }
      }
    }
    const timeBackwards = timesBackwards(times)
    return { sent, acknowledged, stored, lost, duplicated, timeBackwards, chainHeight, problems }
  })
}
