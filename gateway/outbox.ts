/**
 * The durable outbox: sealed batches on LevelDB, keyed by batch sequence, until the node accepts them.
 *
 * A batch and the gateway's sequence state (record seq, batch seq, previous header hash, clock high-water)
 * go to disk in ONE LevelDB write, and only after that write does anyone acknowledge the readings' sources.
 * So after kill -9 the outbox, the sequence numbers and the clock all agree with what was acknowledged.
 *
 * Policy when full (maxBytes or maxBatches reached): refuse new input and apply backpressure. Nothing is
 * dropped; the batcher waits in `waitForRoom()`, its bounded buffer fills, `ReadingSink.push()` stops
 * resolving, connectors stop acknowledging, and sources slow down (an MQTT broker keeps the messages for our
 * persistent session, a board keeps resending). Dropping the oldest would silently lose acknowledged readings.
 *
 * Writes are fsync'ed by default (`sync: true`), so what was acknowledged also survives power loss. The cost is
 * one fsync per write, not per batch: the batcher seals every batch that is ready while the previous write is on
 * its way to the disk and hands them to `appendMany` as one write (group commit; docs/performance.md gives the
 * measured cost). `sync: false` survives kill -9 only (the data is in the OS's page cache). Removals are never
 * fsync'ed on their own (see `removeNow`).
 *
 * The batches written by this process are also kept in memory (up to `memoryBytes`) for `peek`, so the submitter
 * does not read back what it was just handed: the disk stays the durable copy, and after a restart, or once the
 * memory bound cut the queue, `peek` reads LevelDB as before.
 */
import { EventEmitter, once } from 'node:events'
import type { ClassicLevel } from 'classic-level'
import { SteleError } from '../core/errors.ts'
import { openLevel } from '../core/level.ts'
import type { DeliveryMark } from './connectors/connector.ts'
import type { HlcTimestamp } from './hlc.ts'

export interface OutboxEntry {
  seq: number
  /** Signed record-batch transaction bytes. */
  tx: Uint8Array
  /** Encoded record list. */
  records: Uint8Array
}

/** Everything a restarted gateway needs to continue its chain exactly where the disk says it stopped. */
export interface SequenceState {
  chainId: string
  /** Last sealed batch sequence (0 before the first). */
  batchSeq: number
  /** Last record sequence sealed into a batch (0 before the first). */
  recordSeq: number
  /** Hex hash of the last sealed batch header (64 zeros before the first). */
  prevHash: string
  /** Highest clock timestamp sealed so far. */
  hlc: HlcTimestamp
}

export interface OutboxInit {
  /** Folder of the LevelDB (created if missing). */
  path: string
  /** Bound on stored batch bytes; default 256 MiB. */
  maxBytes?: number
  /** Bound on stored batches; default 100,000. */
  maxBatches?: number
  /** How many batches' duplicate-detection memory to keep on disk (see `append`); default 16. */
  keepRecent?: number
  /** fsync each write; default true (see the file comment). */
  sync?: boolean
  /** Bound on the batches kept in memory for `peek` (see the file comment); default 32 MiB, 0 turns it off. */
  memoryBytes?: number
}

export interface OutboxDepth {
  batches: number
  bytes: number
  firstSeq: number | null
  lastSeq: number | null
  maxBatches: number
  maxBytes: number
}

type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }

type Events = { append: [number]; remove: [number] }

const STATE_KEY = 's'
const pad = (n: number) => n.toString().padStart(16, '0')
const batchKey = (seq: number) => `b:${pad(seq)}`
const recentKey = (seq: number) => `r:${pad(seq)}`
const markKey = (source: string) => `m:${source}`

export class Outbox extends EventEmitter<Events> {
  readonly maxBytes: number
  readonly maxBatches: number
  private readonly keepRecent: number
  private readonly sync: boolean
  /** Size of every stored batch, in sequence order: the counters without reading the disk. */
  private readonly sizes = new Map<number, number>()
  private bytes = 0
  /** Lowest stored batch seq (meaningful while sizes is not empty). */
  private first: number | null = null
  private readonly memoryBytes: number
  /** Stored batches held in memory: every stored batch with seq >= `memoryFrom` is here. */
  private readonly memory = new Map<number, OutboxEntry>()
  private memoryFrom = 0
  private memoryUsed = 0
  private closed = false
  /** The remove in progress (removes are serialised; see `remove`). */
  private removing: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly db: ClassicLevel<string, Uint8Array>,
    init: OutboxInit,
  ) {
    super()
    this.maxBytes = init.maxBytes ?? 256 * 1024 * 1024
    this.maxBatches = init.maxBatches ?? 100_000
    this.keepRecent = init.keepRecent ?? 16
    this.sync = init.sync ?? true
    this.memoryBytes = init.memoryBytes ?? 32 * 1024 * 1024
  }

  static async open(init: OutboxInit): Promise<Outbox> {
    const db = await openLevel<string, Uint8Array>(init.path, {
      what: 'gateway outbox',
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    })
    const outbox = new Outbox(db, init)
    for await (const [key, value] of db.iterator({ gte: 'b:', lt: 'b;' })) {
      const seq = Number(key.slice(2))
      if (outbox.first === null) outbox.first = seq
      outbox.sizes.set(seq, value.length)
      outbox.bytes += value.length
    }
    // What is on disk already is read from there: memory holds only what this process writes.
    outbox.memoryFrom = (outbox.depth().lastSeq ?? 0) + 1
    return outbox
  }

  /** The state written with the last batch, or undefined for a fresh outbox. */
  async readState(): Promise<SequenceState | undefined> {
    const raw = await this.db.get(STATE_KEY)
    if (raw === undefined) return undefined
    try {
      return JSON.parse(Buffer.from(raw).toString('utf8')) as SequenceState
    } catch (cause) {
      throw new SteleError('STELE_STORAGE', 'gateway outbox state is not readable JSON', { cause })
    }
  }

  /**
   * Writes the batch, the state that follows from it and (optionally) `recent`, an opaque blob of the
   * batch's duplicate-detection keys, in one atomic LevelDB write. Only the last `keepRecent` blobs are kept:
   * enough to recognise a source resending what was written just before a crash cut off its acknowledgement.
   * `marks` (one per source, replacing the last) say which source frames this batch completes: a board that
   * resends any frame its ring still holds after a restart is recognised by them, however old the frame.
   */
  async append(
    entry: OutboxEntry,
    state: SequenceState,
    recent?: Uint8Array,
    marks: readonly DeliveryMark[] = [],
  ): Promise<void> {
    await this.appendMany([{ entry, ...(recent ? { recent } : {}) }], state, marks)
  }

  /** Several consecutive batches, the state after the last and the sources' marks, in ONE write (one fsync). */
  async appendMany(
    items: readonly { entry: OutboxEntry; recent?: Uint8Array }[],
    state: SequenceState,
    marks: readonly DeliveryMark[] = [],
  ): Promise<void> {
    this.assertOpen()
    if (items.length === 0) return
    const values = items.map((i) => encodeEntry(i.entry))
    const ops: BatchOp[] = [{ type: 'put', key: STATE_KEY, value: Buffer.from(JSON.stringify(state)) }]
    items.forEach(({ entry, recent }, k) => {
      ops.push({ type: 'put', key: batchKey(entry.seq), value: values[k]! })
      if (recent) ops.push({ type: 'put', key: recentKey(entry.seq), value: recent })
      if (entry.seq > this.keepRecent) ops.push({ type: 'del', key: recentKey(entry.seq - this.keepRecent) })
    })
    for (const m of marks)
      ops.push({ type: 'put', key: markKey(m.source), value: Buffer.from(JSON.stringify(m)) })
    try {
      await this.db.batch(ops, { sync: this.sync })
    } catch (cause) {
      const seqs = items.map((i) => i.entry.seq)
      throw new SteleError(
        'STELE_STORAGE',
        `cannot write batches ${seqs[0]}-${seqs.at(-1)} to the gateway outbox`,
        {
          cause,
        },
      )
    }
    items.forEach(({ entry }, k) => {
      if (this.sizes.size === 0) this.first = entry.seq
      this.sizes.set(entry.seq, values[k]!.length)
      this.bytes += values[k]!.length
      this.keep(entry, values[k]!.length)
    })
    for (const { entry } of items) this.emit('append', entry.seq)
  }

  /** Writes only the state (used when reconciling with the node moves the chain forward). */
  async writeState(state: SequenceState): Promise<void> {
    this.assertOpen()
    await this.db.put(STATE_KEY, Buffer.from(JSON.stringify(state)), { sync: this.sync })
  }

  /** The duplicate-detection blobs kept by `append`, oldest first. */
  async recent(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for await (const value of this.db.values({ gte: 'r:', lt: 'r;' })) out.push(value)
    return out
  }

  /** Every source's mark written by `append` (unreadable ones skipped: the source then starts fresh). */
  async marks(): Promise<DeliveryMark[]> {
    const out: DeliveryMark[] = []
    for await (const value of this.db.values({ gte: 'm:', lt: 'm;' })) {
      try {
        const m = JSON.parse(Buffer.from(value).toString('utf8')) as DeliveryMark
        if (typeof m.source === 'string' && Number.isInteger(m.boot) && Number.isInteger(m.seq)) out.push(m)
      } catch {}
    }
    return out
  }

  /** Up to `n` stored batches in sequence order, stopping early once `maxBytes` would be exceeded. */
  async peek(n: number, maxBytes = Number.POSITIVE_INFINITY): Promise<OutboxEntry[]> {
    this.assertOpen()
    const held =
      this.first !== null && this.first >= this.memoryFrom ? this.peekMemory(n, maxBytes) : undefined
    if (held) return held
    const out: OutboxEntry[] = []
    let bytes = 0
    for await (const [key, value] of this.db.iterator({ gte: 'b:', lt: 'b;', limit: n })) {
      if (out.length > 0 && bytes + value.length > maxBytes) break
      bytes += value.length
      out.push(decodeEntry(Number(key.slice(2)), value))
    }
    return out
  }

  /** Deletes every batch with seq <= uptoSeq; returns how many went. */
  remove(uptoSeq: number): Promise<number> {
    // One at a time: two overlapping removes would both count the same batches out (bytes NaN, `hasRoom` false
    // for good, the batcher held back forever).
    const next = this.removing.then(() => this.removeNow(uptoSeq))
    this.removing = next.catch(() => undefined)
    return next
  }

  private async removeNow(uptoSeq: number): Promise<number> {
    this.assertOpen()
    const gone: number[] = []
    const { firstSeq, lastSeq } = this.depth()
    if (firstSeq !== null && lastSeq !== null)
      for (let seq = firstSeq; seq <= Math.min(uptoSeq, lastSeq); seq++) gone.push(seq)
    if (gone.length === 0) return 0
    // Not fsync'ed: a removal lost to power loss only brings back batches the node holds, which the submitter's
    // reconcile drops on start; and the next append's fsync covers it anyway. An fsync here would queue in LevelDB
    // ahead of the appends that PUBACKs wait for.
    await this.db.batch(
      gone.map((seq) => ({ type: 'del' as const, key: batchKey(seq) })),
      { sync: false },
    )
    for (const seq of gone) {
      this.bytes -= this.sizes.get(seq)!
      this.sizes.delete(seq)
      this.forget(seq)
    }
    this.first = this.sizes.size === 0 ? null : gone[gone.length - 1]! + 1
    this.emit('remove', uptoSeq)
    return gone.length
  }

  hasRoom(): boolean {
    return this.sizes.size < this.maxBatches && this.bytes < this.maxBytes
  }

  /** Resolves once there is room for another batch (the backpressure point; see the file comment). */
  async waitForRoom(signal?: AbortSignal): Promise<void> {
    while (!this.hasRoom()) {
      this.assertOpen()
      await once(this, 'remove', signal ? { signal } : {})
    }
  }

  /** Resolves once at least one batch is stored. */
  async waitForEntries(signal?: AbortSignal): Promise<void> {
    while (this.sizes.size === 0) await once(this, 'append', signal ? { signal } : {})
  }

  depth(): OutboxDepth {
    // Batches are appended in sequence and removed as a prefix, so the stored ones are first..first+size-1.
    const firstSeq = this.sizes.size === 0 ? null : this.first
    const lastSeq = firstSeq === null ? null : firstSeq + this.sizes.size - 1
    return {
      batches: this.sizes.size,
      bytes: this.bytes,
      firstSeq,
      lastSeq,
      maxBatches: this.maxBatches,
      maxBytes: this.maxBytes,
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Wake anyone waiting for room so they see the outbox is closed instead of hanging.
    this.emit('remove', 0)
    await this.db.close()
  }

  /** Holds a just-written batch for `peek`; past the bound, memory is cut and the batches before it come from disk. */
  private keep(entry: OutboxEntry, size: number): void {
    if (entry.seq < this.memoryFrom) return
    if (this.memoryUsed + size > this.memoryBytes) {
      this.memory.clear()
      this.memoryUsed = 0
      this.memoryFrom = entry.seq + 1
      return
    }
    this.memory.set(entry.seq, entry)
    this.memoryUsed += size
  }

  private forget(seq: number): void {
    const e = this.memory.get(seq)
    if (!e) return
    this.memory.delete(seq)
    this.memoryUsed -= 4 + e.tx.length + e.records.length
  }

  /** `peek` from memory: the same batches and the same byte bound as from disk (undefined if one is missing). */
  private peekMemory(n: number, maxBytes: number): OutboxEntry[] | undefined {
    const out: OutboxEntry[] = []
    let bytes = 0
    const last = this.depth().lastSeq!
    for (let seq = this.first!; seq <= last && out.length < n; seq++) {
      const size = this.sizes.get(seq)!
      if (out.length > 0 && bytes + size > maxBytes) break
      bytes += size
      const e = this.memory.get(seq)
      if (!e) return undefined
      out.push(e)
    }
    return out
  }

  private assertOpen(): void {
    if (this.closed) throw new SteleError('STELE_UNAVAILABLE', 'the gateway outbox is closed')
  }
}

function encodeEntry(e: OutboxEntry): Uint8Array {
  const out = Buffer.allocUnsafe(4 + e.tx.length + e.records.length)
  out.writeUInt32BE(e.tx.length, 0)
  out.set(e.tx, 4)
  out.set(e.records, 4 + e.tx.length)
  return out
}

function decodeEntry(seq: number, value: Uint8Array): OutboxEntry {
  // Plain Uint8Array views (LevelDB hands out Buffers), without copying.
  const view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  const txLen = new DataView(view.buffer, view.byteOffset, view.byteLength).getUint32(0)
  return { seq, tx: view.subarray(4, 4 + txLen), records: view.subarray(4 + txLen) }
}
