/**
 * The batcher: the gateway's ReadingSink. It stamps each reading into a Record at once (so the clock reads
 * arrival time), seals records into signed batches, writes each batch with the sequence state that follows from
 * it to the outbox in one write, and only then resolves the `push()` promises of the readings in it.
 *
 * When to seal (group commit): at `maxRecords`; at once when a write finishes and readings are waiting (they
 * arrived during the write, and their sources wait for the acknowledgement); on the next turn of the event loop
 * when the last write was busy (`eagerRecords` or more): under load a source sends again only once acknowledged,
 * so waiting out a timer would leave the write pipeline idle while the sources wait. Otherwise (a trickle) at
 * `maxDelayMs` after the first reading, which keeps batches from shrinking to one reading each.
 *
 * Readings pushed with `frames` (a serial board's frames) are never split across batches, and each batch carries
 * the mark of the last frame it completes per source, in the same write: after a crash, the marks on disk say
 * exactly which frames are durable, so a board resending any of them is recognised (gateway/dedupe.ts is for
 * sources without frames).
 *
 * Memory is bounded: at most `maxPendingRecords` stamped records wait for sealing. Past that, `push()` waits
 * before stamping; with the outbox full (see outbox.ts) that wait is the backpressure sources feel.
 */
import { fromHex, toHex } from '../core/bytes.ts'
import type { KeyPair } from '../core/ed25519.ts'
import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { type Reading, validateReading } from '../core/reading.ts'
import { encodeRecordList } from '../core/record.ts'
import { realTimers, sleep, type Timers } from '../core/timers.ts'
import type { DeliveryMark, FrameSpan, ReadingSink } from './connectors/connector.ts'
import { RecentReadings } from './dedupe.ts'
import type { Hlc } from './hlc.ts'
import type { Outbox, OutboxEntry, SequenceState } from './outbox.ts'
import { inlineSealer, type Sealer, type SealJob, workerSealer } from './sealer.ts'
import { RecordStamper } from './stamper.ts'

export interface BatchOptions {
  /** Seal when this many records wait; default 1000. */
  maxRecords?: number
  /** Seal at most this long after the first record of a batch arrived; default 50 ms. */
  maxDelayMs?: number
  /**
   * Stamped records allowed to wait for sealing before push() waits; default 32 x maxRecords (about 10 MB): what
   * sources send during one write under load must fit, or they wait a write for room (the old 4 x held 10
   * readings/message at 400 messages per write).
   */
  maxPendingRecords?: number
  /** Recent readings remembered for duplicate detection; default 100,000. */
  dedupeCapacity?: number
  /** Batches sealed into one outbox write (one fsync) at most; default 64, 1 for a write per batch. */
  maxGroup?: number
  /**
   * Seal (hash and sign) in a worker thread, leaving this thread to MQTT and stamping; default true. Falls back to
   * this thread if the worker cannot run.
   */
  sealWorker?: boolean
  /** A write of at least this many records means load: the next readings are sealed without the delay; default 16. */
  eagerRecords?: number
}

export interface BatcherInit extends BatchOptions {
  key: KeyPair
  outbox: Outbox
  /** The state the outbox holds (or the initial one for a fresh gateway); the chain continues from it. */
  state: SequenceState
  hlc: Hlc
  dedupe?: RecentReadings
  /** Sources' marks as the outbox holds them (`Outbox.marks()`). */
  marks?: readonly DeliveryMark[]
  timers?: Timers
  logger?: Logger
}

export interface BatcherStats {
  stamped: number
  sealed: number
  duplicates: number
  pending: number
  /** True while a sealed batch waits for room in the outbox. */
  blocked: boolean
  lastRecordSeq: number
  lastBatchSeq: number
}

interface Pending {
  reading: Reading
  bytes: Uint8Array
  seq: number
  time: number
  logical: number
  /** Set on the last reading of a source frame. */
  mark?: DeliveryMark
  /** True when the next pending reading belongs to the same frame: no batch may end here. */
  joined: boolean
}

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
      for (const r of readings) validateReading(r) // all or none: refused before any is stamped
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
      const original = this.dedupe.check(r)
      if (original !== undefined) {
        waitFor = Math.max(waitFor, original)
        continue
      }
      const seq = ++this.assignedSeq
      const ts = this.init.hlc.next()
      const bytes = this.stamper.encode(r, seq, ts.time, ts.logical)
      this.pending.push({ reading: r, bytes, seq, time: ts.time, logical: ts.logical, joined: false })
      this.dedupe.remember(r, seq)
      this.counts.stamped++
      waitFor = seq
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
      for (let i = start; i < f.end; i++) {
        const r = readings[i]!
        const seq = ++this.assignedSeq
        const ts = this.init.hlc.next()
        const bytes = this.stamper.encode(r, seq, ts.time, ts.logical)
        const last = i === f.end - 1
        this.pending.push({
          reading: r,
          bytes,
          seq,
          time: ts.time,
          logical: ts.logical,
          joined: !last,
          ...(last ? { mark: { source: f.source, boot: f.boot, seq: f.seq } } : {}),
        })
        this.counts.stamped++
      }
      start = f.end
    }
    return this.waitDurable(this.assignedSeq)
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
    // Not a clock (no time passes): setImmediate only lets the packets already read be stamped first.
    if (this.immediate !== null || this.sealing) return
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
        const n = this.cut(taken)
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

  /** How many pending records from `at` the next batch takes: up to maxRecords, ending at a frame's end. */
  private cut(at: number): number {
    let n = Math.min(this.maxRecords, this.pending.length - at)
    while (n > 0 && this.pending[at + n - 1]!.joined) n--
    if (n > 0) return n
    // One frame longer than maxRecords (a tiny maxRecords): take it whole rather than split it.
    while (at + n < this.pending.length && this.pending[at + n]!.joined) n++
    return n + 1
  }

  /**
   * Seals each of `takes` as the next batch and writes them all in one outbox write; retries a failed write (disk
   * full) because skipping would leave a seq gap.
   */
  private async writeBatches(takes: Pending[][]): Promise<void> {
    const jobs: SealJob[] = []
    let seq = this.state.batchSeq
    for (const take of takes) {
      const first = take[0]!
      const last = take[take.length - 1]!
      jobs.push({
        seq: ++seq,
        firstRecordSeq: first.seq,
        minTime: first.time,
        maxTime: last.time,
        list: encodeRecordList(take.map((p) => p.bytes)),
      })
    }
    const sealed = await this.sealer.seal(
      this.state.chainId,
      fromHex(this.state.prevHash, 'prevHash', 32),
      jobs,
    )
    let state = this.state
    const items: { entry: OutboxEntry; recent?: Uint8Array }[] = []
    const marks = new Map<string, DeliveryMark>()
    takes.forEach((take, k) => {
      const last = take[take.length - 1]!
      const job = jobs[k]!
      state = {
        chainId: state.chainId,
        batchSeq: job.seq,
        recordSeq: last.seq,
        prevHash: toHex(sealed[k]!.headerHash),
        hlc: { time: last.time, logical: last.logical },
      }
      const recent = this.dedupe.encode(
        take.filter((p) => p.mark === undefined && !p.joined).map((p) => p.reading),
      )
      items.push({
        entry: { seq: job.seq, tx: sealed[k]!.tx, records: job.list },
        ...(recent ? { recent } : {}),
      })
      for (const p of take) if (p.mark) marks.set(p.mark.source, p.mark)
    })
    const next = state
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
