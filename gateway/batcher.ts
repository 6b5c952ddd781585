import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { type Reading, readingFault, validateReading } from '../core/reading.ts'
import { realTimers, sleep, type Timers } from '../core/timers.ts'
import { cutBatch, type Pending, sealGroup } from './batch-group.ts'
import type { BatcherInit, BatcherStats } from './batch-options.ts'
import type { DeliveryMark, FrameSpan, ReadingSink } from './connectors/connector.ts'
import { RecentReadings } from './dedupe.ts'
import type { SequenceState } from './outbox.ts'
import { inlineSealer, type Sealer, workerSealer } from './sealer.ts'
import { RecordStamper } from './stamper.ts'

export type { BatcherInit, BatcherStats, BatchOptions } from './batch-options.ts'

interface Waiter {
  /** Resolved once the records up to seq are durable. */
  seq: number
  /** Still taking pushes: no seal has started since it was made. */
  open: boolean
  done: Promise<void>
  resolve: () => void
  reject: (e: unknown) => void
}

const DONE = Promise.resolve()

export class Batcher implements ReadingSink {
  private readonly maxRecords: number
  private readonly maxDelayMs: number
  private readonly maxPending: number
  private readonly maxGroup: number
  private readonly eagerRecords: number
  /** The last write was busy (see eagerRecords): seal the next arrivals on the next turn, not after the delay. */
  private hot = false
  private immediate: ReturnType<typeof setImmediate> | null = null
  private readonly timers: Timers
  private readonly logger: Logger
  private readonly sealer: Sealer
  private readonly stamper: RecordStamper
  readonly dedupe: RecentReadings
  private readonly marks = new Map<string, DeliveryMark>()
  private state: SequenceState
  /** Last record sequence handed out (ahead of state.recordSeq while records wait). */
  private assignedSeq: number
  private pending: Pending[] = []
  private waiters: Waiter[] = []
  private roomWaiters: (() => void)[] = []
  private timer: unknown = null
  private timerDue = false
  private sealing: Promise<void> | null = null
  private stopping = false
  private blocked = false
  private reportedFull = false
  private readonly stopController = new AbortController()
  private counts = { stamped: 0, sealed: 0 }
  lastError: SteleError | null = null

  constructor(private readonly init: BatcherInit) {
    this.maxRecords = init.maxRecords ?? 1000
    this.maxDelayMs = init.maxDelayMs ?? 50
    this.maxGroup = Math.max(1, init.maxGroup ?? 64)
    this.eagerRecords = Math.max(1, init.eagerRecords ?? 16)
    this.maxPending = Math.max(init.maxPendingRecords ?? 32 * this.maxRecords, this.maxRecords)
    this.timers = init.timers ?? realTimers
    this.logger = init.logger ?? silentLogger
    this.stamper = new RecordStamper(init.key.publicKey)
    this.sealer = (init.sealWorker ?? true) ? workerSealer(init.key, this.logger) : inlineSealer(init.key)
    this.dedupe = init.dedupe ?? new RecentReadings(init.dedupeCapacity)
    this.state = init.state
    this.assignedSeq = init.state.recordSeq
    for (const m of init.marks ?? []) this.marks.set(m.source, m)
  }

  /** The last durable mark of `source`. */
  mark(source: string): DeliveryMark | undefined {
    return this.marks.get(source)
  }

  push(readings: Reading[], frames?: readonly FrameSpan[]): Promise<void> {
    // Not async: on the hot path (room to stamp) the promise returned is the write's, shared by every push it holds.
    try {
      if (readings.length === 0) return DONE
      // All or none: refused before any is stamped (validateReading, which copies, only to throw its error).
      for (const r of readings) if (readingFault(r)) validateReading(r)
      if (this.pending.length >= this.maxPending || this.stopping) return this.pushWhenRoom(readings, frames)
      return this.stampAll(readings, frames)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  private async pushWhenRoom(readings: Reading[], frames?: readonly FrameSpan[]): Promise<void> {
    while (this.pending.length >= this.maxPending && !this.stopping)
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve))
    if (this.stopping) throw new SteleError('STELE_UNAVAILABLE', 'the gateway is stopping')
    return this.stampAll(readings, frames)
  }

  private stampAll(readings: Reading[], frames?: readonly FrameSpan[]): Promise<void> {
    if (frames) return this.pushFrames(readings, frames)
    let waitFor = 0
    for (const r of readings) {
      const original = this.dedupe.admit(r, this.assignedSeq + 1)
      if (original !== undefined) {
        waitFor = Math.max(waitFor, original)
        continue
      }
      waitFor = this.stampOne(r, false)
    }
    if (waitFor <= this.state.recordSeq) return DONE // only repeats of readings already on disk
    return this.waitDurable(waitFor)
  }

  /** Frames are deduplicated by their source (its session and marks), not by `RecentReadings`. */
  private pushFrames(readings: Reading[], frames: readonly FrameSpan[]): Promise<void> {
    let end = 0
    for (const f of frames) {
      if (!Number.isInteger(f.end) || f.end <= end || f.end > readings.length)
        throw new SteleError(
          'STELE_BAD_REQUEST',
          `frame spans must cover the readings in order (end ${f.end})`,
        )
      end = f.end
    }
    if (end !== readings.length)
      throw new SteleError('STELE_BAD_REQUEST', 'frame spans must cover every reading of the push')
    let start = 0
    for (const f of frames) {
      for (let i = start; i < f.end - 1; i++) this.stampOne(readings[i]!, true)
      this.stampOne(readings[f.end - 1]!, false, { source: f.source, boot: f.boot, seq: f.seq })
      start = f.end
    }
    return this.waitDurable(this.assignedSeq)
  }

  /** Stamps `r` as the next record and queues it for sealing; returns its record seq. */
  private stampOne(r: Reading, joined: boolean, mark?: DeliveryMark): number {
    const seq = ++this.assignedSeq
    const ts = this.init.hlc.next()
    const start = this.stamper.write(r, seq, ts.time, ts.logical)
    const p: Pending = {
      reading: r,
      slab: this.stamper.current,
      start,
      end: this.stamper.end,
      seq,
      time: ts.time,
      logical: ts.logical,
      joined,
    }
    if (mark) p.mark = mark // only a frame's last reading has one
    this.pending.push(p)
    this.counts.stamped++
    return seq
  }

  private waitDurable(seq: number): Promise<void> {
    // Pushes stamped before the next seal share one waiter: its seq is the highest of theirs.
    const last = this.waiters[this.waiters.length - 1]
    let done: Promise<void>
    if (last?.open) {
      if (seq > last.seq) last.seq = seq
      done = last.done
    } else {
      const w = { seq, open: true } as Waiter
      w.done = new Promise<void>((resolve, reject) => {
        w.resolve = resolve
        w.reject = reject
      })
      this.waiters.push(w)
      done = w.done
    }
    if (this.pending.length >= this.maxRecords) this.kick()
    else if (this.hot) this.sealSoon()
    else this.armTimer()
    return done
  }

  /** Seals on the next turn of the event loop: the readings of one burst of packets go in one batch. */
  private sealSoon(): void {
    // Not a clock (no time passes): setImmediate only lets the packets already read be stamped first. Only with
    // readings waiting: re-arming with none spun the event loop (a core polling between bursts) until the next push.
    if (this.immediate !== null || this.sealing || this.pending.length === 0) return
    this.immediate = setImmediate(() => {
      this.immediate = null
      this.timerDue = true
      this.kick()
    })
  }

  /** Seals whatever waits now and resolves once it is in the outbox. */
  async flush(): Promise<void> {
    this.timerDue = true
    this.kick()
    while (this.sealing) await this.sealing
  }

  /** Refuses new readings, seals and writes everything already stamped (even past the outbox bound). */
  async stop(): Promise<void> {
    this.stopping = true
    this.stopController.abort()
    for (const wake of this.roomWaiters.splice(0)) wake()
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timer = null
    if (this.immediate !== null) clearImmediate(this.immediate)
    this.immediate = null
    await this.flush()
    await this.sealer.close()
    const err = new SteleError('STELE_UNAVAILABLE', 'the gateway stopped before these readings were written')
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  sequenceState(): SequenceState {
    return this.state
  }

  stats(): BatcherStats {
    return {
      stamped: this.counts.stamped,
      sealed: this.counts.sealed,
      duplicates: this.dedupe.stats().duplicates,
      pending: this.pending.length,
      blocked: this.blocked,
      lastRecordSeq: this.state.recordSeq,
      lastBatchSeq: this.state.batchSeq,
    }
  }

  private armTimer(): void {
    if (this.timer !== null || this.pending.length === 0) return
    this.timer = this.timers.set(() => {
      this.timer = null
      this.timerDue = true
      this.kick()
    }, this.maxDelayMs)
  }

  private kick(): void {
    if (this.sealing) return
    this.sealing = this.sealLoop()
      .catch(() => undefined) // writeBatch logged it; stop() rejects the readings' waiters
      .finally(() => {
        this.sealing = null
        if (this.stopping) return
        if (this.pending.length >= this.maxRecords) this.kick()
        else if (this.hot) this.sealSoon()
        else this.armTimer()
      })
  }

  private async sealLoop(): Promise<void> {
    while (this.pending.length >= this.maxRecords || (this.timerDue && this.pending.length > 0)) {
      // Group commit: every batch that is ready now goes to the outbox in one write, so one fsync covers all the
      // batches that filled while the previous write was on its way to the disk.
      const takes: Pending[][] = []
      let taken = 0
      const room = Math.max(1, this.init.outbox.maxBatches - this.init.outbox.depth().batches)
      const limit = Math.min(this.maxGroup, room)
      do {
        const n = cutBatch(this.pending, taken, this.maxRecords)
        takes.push(this.pending.slice(taken, taken + n))
        taken += n
      } while (
        takes.length < limit &&
        (this.pending.length - taken >= this.maxRecords || (this.timerDue && this.pending.length > taken))
      )
      const lastWaiter = this.waiters[this.waiters.length - 1]
      if (lastWaiter) lastWaiter.open = false // later pushes wait for a later write
      await this.writeBatches(takes)
      this.pending.splice(0, taken)
      this.release()
      this.hot = taken >= this.eagerRecords
      if (this.pending.length === 0) {
        this.timerDue = false
        if (this.timer !== null) this.timers.clear(this.timer)
        this.timer = null
      } else {
        // Readings arrived during the write and their sources wait for it: seal them now, the pipeline stays busy.
        this.timerDue = true
      }
      if (this.pending.length < this.maxPending) for (const wake of this.roomWaiters.splice(0)) wake()
    }
  }

  /**
   * Seals each of `takes` as the next batch and writes them all in one outbox write; retries a failed write (disk
   * full) because skipping would leave a seq gap.
   */
  private async writeBatches(takes: Pending[][]): Promise<void> {
    const { items, marks, next } = await sealGroup(takes, this.state, this.sealer, this.dedupe)
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.stopping && !this.init.outbox.hasRoom()) {
          this.blocked = true
          // Once per episode: a full outbox stays full for many batches while the node is away.
          if (!this.reportedFull)
            this.logger.warn(
              this.init.outbox.depth(),
              'outbox full: holding sources back until the node accepts batches',
            )
          this.reportedFull = true
          await this.init.outbox.waitForRoom(this.stopController.signal).catch(() => undefined)
        } else if (this.reportedFull) {
          this.reportedFull = false
          this.logger.info(this.init.outbox.depth(), 'outbox has room again: sources resume')
        }
        this.blocked = false
        await this.init.outbox.appendMany(items, next, [...marks.values()])
        break
      } catch (e) {
        this.lastError =
          e instanceof SteleError ? e : new SteleError('STELE_STORAGE', String(e), { cause: e })
        if (this.stopping && attempt >= 2) {
          this.logger.error(
            { err: e, batch: next.batchSeq },
            'cannot write batch while stopping; readings stay unacknowledged',
          )
          throw this.lastError
        }
        this.logger.error({ err: e, batch: next.batchSeq, attempt }, 'outbox write failed; retrying')
        await sleep(Math.min(5000, 100 * 2 ** attempt), this.timers).catch(() => undefined)
      }
    }
    this.state = next
    for (const [source, m] of marks) this.marks.set(source, m)
    this.counts.sealed += takes.length
  }

  /** Resolves the pushes whose records are all durable now. */
  private release(): void {
    const durable = this.state.recordSeq
    // Not always in seq order (a repeat waits for its original's seq), but few: one per seal at most, plus repeats.
    const still: Waiter[] = []
    for (const w of this.waiters) {
      if (w.seq <= durable) w.resolve()
      else still.push(w)
    }
    this.waiters = still
  }
}
