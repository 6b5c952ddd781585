import { SteleError } from '../../core/errors.ts'
import type { Timers } from '../../core/timers.ts'
import { type Cursor, encodeCursor, maxCursor, parseCursor, readingAfter } from './cursor.ts'
import { frame, plainEvent } from './events.ts'
import type { Subscription } from './filter.ts'
import type { WriteFrame } from './history.ts'
import type { Sink } from './sinks.ts'

/** A frame as the hub publishes it: shared by every subscriber of one group. */
export interface Framed {
  frame: Buffer
  events: number
  /** The hub's cursor after this frame, and before it. */
  at: Cursor
  before: Cursor
  /** Which cursor axis the frame advances: history can replay 'reading' and 'block' frames, not the others. */
  axis: 'reading' | 'block' | 'none'
  /** The first frame of one publish (one accepted batch, one block): where a subscriber may be cut off. */
  first: boolean
}

export interface Limits {
  /** Bytes one subscriber may have waiting (transport buffer plus the frame at hand, or the replay seam). */
  maxBufferBytes: number
  /** Events the replay seam may hold. */
  maxBufferEvents: number
  /** Time a lagged or closed client has to take its last event before its connection is destroyed. */
  lagGraceMs: number
}

/** What a subscriber needs from its hub. */
export interface SubscriberHost {
  limits: Limits
  /** The grace timer of a closing client runs on these. */
  timers: Timers
  /** The hub's cursor now: everything up to it is in storage, everything after it will be pushed. */
  live(): Cursor
  /**
   * Writes stored events in (from, to] through `write` (with the cursor of the frame's last event), which resolves
   * once the frame may be followed.
   */
  replay(s: Subscriber, from: Cursor, to: Cursor, write: WriteFrame): Promise<void>
  /** Called once, when the subscriber goes live (to send status snapshots), and when it ends. */
  wentLive(s: Subscriber): void
  ended(s: Subscriber, why: 'closed' | 'lagged' | 'failed'): void
  observe(bytes: number): void
  overflowed(): void
}

type State = 'replaying' | 'live' | 'ended'

/**
 * One client's subscription. Live frames go straight to the transport while it keeps up; one that would push the
 * transport's backlog past `maxBufferBytes` ends the subscription with a `lagged` event naming the cursor to resume
 * from. A subscriber that starts from a cursor first replays storage up to the hub's position at that moment while
 * live frames wait in a bounded seam; if the seam overflows it is dropped and the replay simply continues from
 * storage (everything live is also stored), so catching up never costs more than the limit either. A replaying
 * client that stops reading is held to the live rule: once more than `maxBufferBytes` (its transport backlog plus
 * what was published for it) piles up while the replay waits for its transport, it gets `lagged` with the cursor of
 * the last event it was handed, and the connection closes.
 */
export class Subscriber {
  private state: State = 'replaying'
  private seam: Framed[] = []
  private seamBytes = 0
  private seamEvents = 0
  private overflowed = false
  /** While the replay waits for the transport to drain: bytes published for this subscriber meanwhile. */
  private stalledBytes: number | null = null
  /** Everything up to here has been handed to the transport or did not match. */
  private pos: Cursor
  private readonly ending = new AbortController()
  /** Aborts when the subscription ends: its replay from storage stops. */
  readonly signal = this.ending.signal

  constructor(
    readonly id: number,
    readonly sub: Subscription,
    readonly sink: Sink,
    private readonly host: SubscriberHost,
    start: Cursor,
  ) {
    this.pos = start
    sink.onClose(() => this.finish('closed'))
  }

  get live(): boolean {
    return this.state === 'live'
  }

  get ended(): boolean {
    return this.state === 'ended'
  }

  /** Bytes this subscriber holds now: the transport's backlog and the seam. */
  buffered(): number {
    return this.state === 'ended' ? 0 : this.sink.buffered() + this.seamBytes
  }

  push(f: Framed): void {
    if (this.state === 'live') {
      // Judged once per publish: a client that has taken what it was sent takes a whole batch, however large;
      // one still holding more than the limit when the next batch comes is cut off. So a subscriber holds at most
      // the limit plus one batch.
      const total = this.sink.buffered() + f.frame.length
      if (f.first && total > this.host.limits.maxBufferBytes) {
        this.lag(f.before, total)
        return
      }
      this.host.observe(total)
      this.sink.write(f.frame)
      this.pos = f.at
    } else if (this.state === 'replaying' && f.axis !== 'none') {
      const { maxBufferBytes, maxBufferEvents } = this.host.limits
      if (this.stalledBytes !== null) {
        this.stalledBytes += f.frame.length
        const held = this.sink.buffered() + this.stalledBytes
        if (held > maxBufferBytes) {
          this.lag(this.pos, held)
          return
        }
      }
      if (this.overflowed) return
      if (this.seamBytes + f.frame.length > maxBufferBytes || this.seamEvents + f.events > maxBufferEvents) {
        this.dropSeam()
        this.overflowed = true
        this.host.overflowed()
        return
      }
      this.seam.push(f)
      this.seamBytes += f.frame.length
      this.seamEvents += f.events
      this.host.observe(this.seamBytes)
    }
  }

  /** Sends a frame built for this subscriber alone (control events, status snapshots). */
  send(f: Buffer): void {
    if (this.state !== 'ended') this.sink.write(f)
  }

  /** Replays from the start cursor until caught up, then goes live. With `replay` false, goes live at once. */
  async run(replay: boolean): Promise<void> {
    try {
      if (replay) await this.catchUp()
      if (this.state !== 'replaying') return
      this.state = 'live'
      this.send(frame(this.sink.kind, [plainEvent('live', encodeCursor(this.pos), {})]))
      this.host.wentLive(this)
    } catch (e) {
      const message = `replay failed: ${(e as Error).message}; reconnect with the cursor of your last event`
      this.closeWith('error', message, 'failed')
    }
  }

  private async catchUp(): Promise<void> {
    const write = async (f: Buffer, lastCursor?: string): Promise<boolean> => {
      if (this.sink.buffered() > highWater(this.host.limits)) {
        this.stalledBytes = 0
        await this.sink.drained()
        this.stalledBytes = null
      }
      if (this.state === 'ended') return false
      this.host.observe(this.sink.buffered() + f.length)
      this.sink.write(f)
      // Handed to the transport: a cut-off from here on resumes after it.
      if (lastCursor !== undefined) this.pos = maxCursor(this.pos, parseCursor(lastCursor))
      return true
    }
    while (this.state === 'replaying') {
      // Taking the live point and emptying the seam happen in one turn: every frame published after it lands in
      // the seam, every event up to it is in storage.
      const to = this.host.live()
      this.dropSeam()
      this.overflowed = false
      await this.host.replay(this, this.pos, to, write)
      if (this.state !== 'replaying') return
      this.pos = maxCursor(this.pos, to)
      while (this.seam.length > 0 && !this.overflowed) {
        const f = this.seam.shift()!
        this.seamBytes -= f.frame.length
        this.seamEvents -= f.events
        if (!fresh(f, this.pos)) continue
        if (!(await write(f.frame))) return
        this.pos = maxCursor(this.pos, f.at)
      }
      if (!this.overflowed) return
    }
  }

  private dropSeam(): void {
    this.seam = []
    this.seamBytes = 0
    this.seamEvents = 0
  }

  private lag(resumeFrom: Cursor, backlog: number): void {
    // Everything before the frame at hand was handed to the transport or did not match this subscription.
    this.pos = maxCursor(this.pos, resumeFrom)
    const message = `this client fell ${backlog} bytes behind (limit ${this.host.limits.maxBufferBytes}); reconnect with this cursor to resume`
    this.closeWith('lagged', message, 'lagged')
  }

  /**
   * Ends the subscription with a last event (`lagged`, `closed` or `error`) carrying the cursor to resume from, then
   * closes the transport, destroying it if the client does not take the last event within the grace time.
   */
  closeWith(type: string, message: string, why: 'closed' | 'lagged' | 'failed' = 'closed'): void {
    if (this.state === 'ended') return
    // A live subscriber has been handed every matching event up to the hub's position: resume from there, not
    // from its last match, so a filtered client does not re-scan what it skipped.
    if (this.state === 'live' && why === 'closed') this.pos = this.host.live()
    this.finish(why)
    const last = frame(this.sink.kind, [plainEvent(type, encodeCursor(this.pos), { message })])
    const grace = { ms: this.host.limits.lagGraceMs, timers: this.host.timers }
    this.sink.end(last, grace, why === 'lagged' ? 4008 : 1000)
  }

  /** Ends the subscription but leaves the transport open, for a new subscription on the same connection. */
  detach(): void {
    this.finish('closed')
  }

  private finish(why: 'closed' | 'lagged' | 'failed'): void {
    if (this.state === 'ended') return
    this.state = 'ended'
    this.ending.abort(new SteleError('STELE_UNAVAILABLE', `subscription ended (${why})`))
    this.dropSeam()
    this.host.ended(this, why)
  }
}

function fresh(f: Framed, pos: Cursor): boolean {
  if (f.axis === 'reading') return readingAfter(f.at.seq, f.at.index, pos)
  if (f.axis === 'block') return f.at.height > pos.height
  return true
}

const highWater = (l: Limits): number => Math.min(64 * 1024, l.maxBufferBytes / 4)
