import type { DataFrame, HelloFrame, SensorInfo } from '../../../firmware-bridge/frame-types.ts'
import { seqDiff } from '../../../firmware-bridge/frame-types.ts'
import type { DeliveryMark } from '../connector.ts'

/**
 * What the gateway knows about one board: its sensors (from HELLO), its boot, and where its data sequence
 * stands. Frames are delivered strictly in sequence order, each once, even though the board resends, frames
 * get corrupted and the line drops out. Frames that arrive after a gap (an earlier one was damaged) wait in a
 * small reorder buffer until the board's resend fills the gap: on a noisy line this keeps throughput up where
 * pure go-back-N would discard everything after each damaged frame. Frames the board no longer holds (its
 * ring overflowed) are skipped and counted, never waited for.
 */
export type DataVerdict =
  /** The next frame: deliver `deliver` (it, and any buffered frames it unblocked). */
  | 'accept'
  /** Later than the next expected frame: kept until the gap is filled. */
  | 'buffered'
  /** Already accepted or buffered (a resend): do not deliver; re-acknowledge what is durable. */
  | 'duplicate'
  /** Too far ahead to buffer: dropped, the board resends it. */
  | 'ahead'
  /** A boot this session has not seen a HELLO for: ask for one. */
  | 'unknown-boot'
  /**
   * A sample names a sensor past the HELLO list: the frame is malformed as a whole (protocol-serial §3). None
   * of it is delivered and it is not acknowledged, so the board resends it and an intact resend is stored whole.
   */
  | 'malformed'

/** Frames waiting for a gap to fill, at most; `held` is a u8, so a board never has more than 256 in flight. */
export const MAX_REORDER = 256

export class BoardSession {
  boot: number | null = null
  sensors: SensorInfo[] = []
  firmware = ''
  /** Next data sequence to accept; null until a HELLO tells us where the board stands. */
  expected: number | null = null
  /** Highest sequence whose readings the sink has made durable (what we acknowledge). */
  durable: number | null = null
  /** The oldest sequence not skipped as lost: a rollback never goes below it (nor counts a loss twice). */
  private floor = 0
  /** Frames the board dropped before we had them (ring overflow, reboot), by sequence count. */
  lost = 0
  duplicates = 0
  ahead = 0
  /** DATA frames refused whole because a sample's sensor index is past the HELLO list. */
  malformed = 0
  reboots = 0
  private readonly reorder = new Map<number, DataFrame>()

  constructor(
    readonly boardId: string,
    private readonly maxReorder = MAX_REORDER,
  ) {}

  /**
   * Returns true when the HELLO announced a boot we did not know (a new board, or a reset). Buffered frames a
   * skip over lost ones unblocked are appended to `deliver`. `mark` is the sink's durable mark for this board
   * (from the outbox, so it survives a gateway restart): when it names the HELLO's boot, delivery resumes after
   * it, and whatever the board still holds up to it is a duplicate to re-acknowledge, never stored again.
   */
  onHello(h: HelloFrame, deliver: DataFrame[], mark?: DeliveryMark): boolean {
    this.sensors = h.sensors
    this.firmware = h.firmware
    if (h.boot !== this.boot) {
      if (this.boot !== null) this.reboots++
      this.boot = h.boot
      this.expected = h.seq
      this.floor = h.seq
      this.durable = null
      this.reorder.clear()
      if (mark && mark.boot === h.boot) {
        const next = (mark.seq + 1) >>> 0
        this.durable = mark.seq
        // The board dropped frames after the mark before we got them (its ring overflowed while we were away).
        if (seqDiff(h.seq, next) > 0) this.lost += seqDiff(h.seq, next)
        else this.expected = this.floor = next
      }
      return true
    }
    // Same boot (we asked again, or the board came back on another path): skip what the board no longer holds.
    this.skipTo(h.seq, deliver)
    return false
  }

  /**
   * Classifies a data frame and appends to `deliver` the frames now ready for the sink, in order: this one
   * when it was next, and buffered ones it (or a skip over lost frames) unblocked. The caller hands `deliver`
   * to the sink whatever the verdict.
   */
  onData(d: DataFrame, deliver: DataFrame[]): DataVerdict {
    if (this.boot === null || d.boot !== this.boot || this.expected === null) return 'unknown-boot'
    // Checked before anything else: not even its `held` is trusted, and its sequence stays free for the resend.
    if (d.samples.some((s) => s.sensor >= this.sensors.length)) {
      this.malformed++
      return 'malformed'
    }
    // `held` tells us the oldest frame the board still has; anything before it will never come.
    this.skipTo((d.seq - d.held) >>> 0, deliver)
    const diff = seqDiff(d.seq, this.expected)
    if (diff < 0 || this.reorder.has(d.seq)) {
      this.duplicates++
      return 'duplicate'
    }
    if (diff > 0) {
      if (diff >= this.maxReorder || this.reorder.size >= this.maxReorder) {
        this.ahead++
        return 'ahead'
      }
      this.reorder.set(d.seq, d)
      return 'buffered'
    }
    deliver.push(d)
    this.expected = (this.expected + 1) >>> 0
    this.drain(deliver)
    return 'accept'
  }

  /** Frames waiting in the reorder buffer. */
  get buffered(): number {
    return this.reorder.size
  }

  private drain(deliver: DataFrame[]): void {
    for (let next = this.reorder.get(this.expected!); next; next = this.reorder.get(this.expected!)) {
      this.reorder.delete(next.seq)
      deliver.push(next)
      this.expected = (this.expected! + 1) >>> 0
    }
  }

  /** The sink made everything up to `seq` of `boot` durable. */
  commit(boot: number, seq: number): void {
    if (boot !== this.boot) return
    if (this.durable === null || seqDiff(seq, this.durable) > 0) this.durable = seq
  }

  /** A push failed: forget what was accepted but not durable, so the board's resends deliver it again. */
  rollback(boot: number): void {
    if (boot !== this.boot || this.expected === null) return
    const next = this.durable === null ? this.floor : (this.durable + 1) >>> 0
    this.expected = seqDiff(this.floor, next) > 0 ? this.floor : next
    this.reorder.clear()
  }

  private skipTo(oldest: number, deliver: DataFrame[]): void {
    if (this.expected === null) return
    const gap = seqDiff(oldest, this.expected)
    if (gap > 0) {
      // Buffered frames below the new start are ones the board gave up on and we never delivered: count
      // them with the loss; anything from `oldest` on stays buffered and may now be deliverable.
      for (const seq of this.reorder.keys()) if (seqDiff(seq, oldest) < 0) this.reorder.delete(seq)
      this.lost += gap
      this.expected = oldest
      this.drain(deliver)
    }
    if (seqDiff(oldest, this.floor) > 0) this.floor = oldest
  }
}
