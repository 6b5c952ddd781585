import type { Reading } from '../../../core/reading.ts'
import { encodeFrame, scaleRaw } from '../../../firmware-bridge/frame-codec.ts'
import {
  ACK_FLAG_HELLO_REQUEST,
  ACK_FLAG_SEQ_VALID,
  type DataFrame,
} from '../../../firmware-bridge/frame-types.ts'
import type { FrameSpan, ReadingSink } from '../connector.ts'
import type { BoardSession } from './serial-session.ts'

/**
 * The readings of one data frame, as the board's HELLO describes its sensors. `BoardSession.onData` refuses a
 * frame with an index past the HELLO list, so `unknown` stays 0 for accepted frames; it is kept as a guard.
 */
export function readingsOf(session: BoardSession, f: DataFrame): { readings: Reading[]; unknown: number } {
  const readings: Reading[] = []
  let unknown = 0
  for (const s of f.samples) {
    const info = session.sensors[s.sensor]
    if (!info) {
      unknown++
      continue
    }
    readings.push({
      device: session.boardId,
      sensor: info.name,
      value: scaleRaw(s.raw, info.exponent),
      unit: info.unit === '' ? undefined : info.unit,
      deviceSeq: f.seq,
      deviceTime: f.uptimeMs,
      source: 'serial',
    })
  }
  return { readings, unknown }
}

/**
 * The ACK a gateway sends: what is durable for the session's boot, and optionally a HELLO request. The sync byte
 * comes first, as boards send it: whatever half-frame the board's decoder holds cannot swallow the ACK.
 */
export function ackBytes(session: BoardSession | null, helloRequest: boolean): Uint8Array {
  let flags = helloRequest ? ACK_FLAG_HELLO_REQUEST : 0
  if (session?.durable != null) flags |= ACK_FLAG_SEQ_VALID
  const frame = encodeFrame({ type: 'ack', boot: session?.boot ?? 0, ackSeq: session?.durable ?? 0, flags })
  const out = new Uint8Array(frame.length + 1)
  out.set(frame, 1)
  return out
}

/** The source name a board's marks are kept under in the outbox. */
export const markSource = (boardId: string): string => `serial:${boardId}`

interface Batch {
  session: BoardSession
  boot: number
  lastSeq: number
  frames: number
  readings: Reading[]
  spans: FrameSpan[]
}

export interface DeliveryEvents {
  /** Everything up to `seq` of the session's boot is durable: acknowledge it to the board. */
  durable(session: BoardSession, readings: number): void
  failed(err: unknown): void
}

/**
 * Hands accepted frames to the sink in order, one push at a time; frames accepted meanwhile are batched into
 * the next push. A push that fails rolls the session back to its last durable frame and drops the frames
 * accepted after it, so the board's resends deliver them again, in order, exactly once.
 */
export class SerialDelivery {
  private batches: Batch[] = []
  private inflight: Promise<void> | null = null

  constructor(
    private readonly sink: ReadingSink,
    private readonly on: DeliveryEvents,
  ) {}

  /** Frames accepted but not yet durable: the connector refuses more beyond its limit (backpressure). */
  get pendingFrames(): number {
    let n = 0
    for (const b of this.batches) n += b.frames
    return n
  }

  /** Resolves once no push is in flight. */
  get idle(): Promise<void> {
    return this.inflight ?? Promise.resolve()
  }

  add(session: BoardSession, f: DataFrame, readings: Reading[]): void {
    let b = this.batches.at(-1)
    if (!b || b.session !== session || b.boot !== f.boot) {
      b = { session, boot: f.boot, lastSeq: f.seq, frames: 0, readings: [], spans: [] }
      this.batches.push(b)
    }
    b.readings.push(...readings)
    b.lastSeq = f.seq
    b.frames++
    // The sink writes the frame's mark (board, boot, seq) with the batch that completes it (an empty frame has none).
    if (readings.length > 0)
      b.spans.push({ source: markSource(session.boardId), boot: f.boot, seq: f.seq, end: b.readings.length })
    this.flush()
  }

  private flush(): void {
    if (this.inflight) return
    const b = this.batches.shift()
    if (!b) return
    const pushed = b.readings.length > 0 ? this.sink.push(b.readings, b.spans) : Promise.resolve()
    this.inflight = pushed
      .then(
        () => {
          b.session.commit(b.boot, b.lastSeq)
          this.on.durable(b.session, b.readings.length)
        },
        (err: unknown) => {
          b.session.rollback(b.boot)
          this.batches = this.batches.filter((x) => !(x.session === b.session && x.boot === b.boot))
          this.on.failed(err)
        },
      )
      .finally(() => {
        this.inflight = null
        this.flush()
      })
  }
}
