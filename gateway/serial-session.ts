import type { DataFrame, HelloFrame, SensorInfo } from '../firmware-bridge/frame-types.ts'
import { seqDiff } from '../firmware-bridge/frame-types.ts'

/**
 * What the gateway knows about one board: its sensors (from HELLO), its boot, and where its data sequence
 * stands. Delivery is go-back-N: only the next expected sequence is accepted, so frames reach the sink
 * exactly once and in order even though the board resends, frames get corrupted and the line drops out.
 * Frames the board no longer holds (its ring overflowed) are skipped and counted, never waited for.
 */
export type DataVerdict =
  /** The next frame: deliver it. */
  | 'accept'
  /** Already accepted (a resend): do not deliver; re-acknowledge what is durable. */
  | 'duplicate'
  /** A later frame while an earlier one is still to come (corrupted in transit): the board will resend. */
  | 'ahead'
  /** A boot this session has not seen a HELLO for: ask for one. */
  | 'unknown-boot'

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
  reboots = 0

  constructor(readonly boardId: string) {}

  /** Returns true when the HELLO announced a boot we did not know (a new board, or a reset). */
  onHello(h: HelloFrame): boolean {
    this.sensors = h.sensors
    this.firmware = h.firmware
    if (h.boot !== this.boot) {
      if (this.boot !== null) this.reboots++
      this.boot = h.boot
      this.expected = h.seq
      this.floor = h.seq
      this.durable = null
      return true
    }
    // Same boot (we asked again, or the board came back on another path): skip what the board no longer holds.
    this.skipTo(h.seq)
    return false
  }

  onData(d: DataFrame): DataVerdict {
    if (this.boot === null || d.boot !== this.boot || this.expected === null) return 'unknown-boot'
    // `held` tells us the oldest frame the board still has; anything before it will never come.
    this.skipTo((d.seq - d.held) >>> 0)
    const diff = seqDiff(d.seq, this.expected)
    if (diff === 0) {
      this.expected = (this.expected + 1) >>> 0
      return 'accept'
    }
    if (diff < 0) {
      this.duplicates++
      return 'duplicate'
    }
    this.ahead++
    return 'ahead'
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
  }

  private skipTo(oldest: number): void {
    if (this.expected === null) return
    const gap = seqDiff(oldest, this.expected)
    if (gap > 0) {
      this.lost += gap
      this.expected = oldest
    }
    if (seqDiff(oldest, this.floor) > 0) this.floor = oldest
  }
}
