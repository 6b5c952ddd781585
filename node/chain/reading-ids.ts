import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { leafHash } from '../../core/merkle.ts'
import { decodeRecordList } from '../../core/record.ts'
import { lastAcceptSeq } from '../db/accepted.ts'
import type { Db, PutSink } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'

/** A run entry: the id's first 8 bytes, the batch's acceptance number (6 bytes), the leaf index (2). */
const ENTRY = 16
/** Runs are split by the id's first 3 hex digits, so a lookup reads one key (about 16 entries) per run. */
const BUCKETS = 4096
const BUCKET_HEX = Array.from({ length: BUCKETS }, (_, b) => b.toString(16).padStart(3, '0'))

/** Where an id may be: a batch by acceptance number and a leaf of it (checked against the full id by the caller). */
export interface IdCandidate {
  acceptSeq: number
  leafIndex: number
}

/** The id's first 8 bytes, or undefined when the id is not 64 hex digits (no reading has it). */
export function idNeedle(id: string): Buffer | undefined {
  return /^[0-9a-f]{64}$/.test(id) ? Buffer.from(id.slice(0, 16), 'hex') : undefined
}

/**
 * Appends the entries of `entries` (16 bytes each) whose id starts with `needle`. Compared as two 32-bit words an
 * entry: `Buffer.indexOf` over the 1 MB held in memory took 1.4 ms (false starts on random bytes), this about 0.1.
 */
export function matchEntries(entries: Uint8Array, needle: Buffer, out: IdCandidate[]): void {
  const aligned = entries.byteOffset % 4 === 0 ? entries : new Uint8Array(entries)
  const words = new Uint32Array(
    aligned.buffer,
    aligned.byteOffset,
    Math.floor(aligned.byteLength / ENTRY) * 4,
  )
  const want = new Uint32Array(new Uint8Array(needle).buffer, 0, 2)
  const w0 = want[0]!
  const w1 = want[1]!
  const view = Buffer.from(aligned.buffer, aligned.byteOffset, aligned.byteLength)
  for (let w = 0; w < words.length; w += 4) {
    if (words[w] !== w0 || words[w + 1] !== w1) continue
    const at = w * 4
    out.push({ acceptSeq: view.readUIntBE(at + 8, 6), leafIndex: view.readUInt16BE(at + 14) })
  }
}

/**
 * The reading-id index, written a run at a time instead of one key per reading: accepted batches' ids are held in
 * memory (16 bytes an id) and, every `runRecords` readings, written as one run of about 4,096 keys in an ingest write,
 * with the acceptance number the runs cover through (`K.readingRunsThrough`). Nothing is lost on a crash: the ids of
 * batches after that number are rebuilt on first use after open from their `a:` entries and record lists, which
 * each batch's own write holds. A lookup reads the memory, the bucket's runs and the `i:` keys of older folders.
 */
export class ReadingIds {
  /** Readings held in memory before their ids are written as a run. */
  runRecords = 65_536
  private buf = Buffer.allocUnsafe(ENTRY * 1024)
  private entries = 0
  /** The run being written: its entries leave memory once its write landed. */
  private writing: { entries: number; through: number } | undefined
  /** Acceptance number of the last batch added. */
  private last = 0
  /** Acceptance number through which ids are on disk (runs, or `i:` keys of an older folder), as loaded. */
  private cover = 0
  /** Whether `K.readingRunsThrough` is on disk or in a write issued: older folders lack it until their first write. */
  private marked = false
  private loading: Promise<void> | undefined

  /** Reads the runs' cover from disk and rebuilds the ids of later batches; once, until `reset`. */
  load(db: Db): Promise<void> {
    this.loading ??= this.rebuild(db).catch((cause: unknown) => {
      this.loading = undefined
      throw new SteleError('STELE_STORAGE', `the node could not read its reading ids: ${String(cause)}`, {
        cause,
      })
    })
    return this.loading
  }

  /** After a failed write: what is on disk is read again at the next `load`. */
  reset(): void {
    this.entries = 0
    this.writing = undefined
    this.marked = false
    this.loading = undefined
  }

  private async rebuild(db: Db): Promise<void> {
    this.entries = 0
    this.writing = undefined
    const v = await db.get(K.readingRunsThrough)
    // A folder without the marker was written with one `i:` key per reading: every batch it holds is indexed.
    this.cover = v ? Buffer.from(v).readUIntBE(0, 6) : await lastAcceptSeq(db)
    this.marked = v !== undefined
    this.last = this.cover
    const later = { gt: K.accepted(this.cover), lt: prefixEnd(K.acceptedPrefix) }
    for await (const [key, value] of db.iterator(later)) {
      const list = await db.get(K.object(toHex(value.subarray(32, 64))))
      if (!list) continue
      this.add(
        Number.parseInt(key.slice(K.acceptedPrefix.length), 16),
        Buffer.concat(decodeRecordList(list).map(leafHash)),
      )
    }
  }

  /** Notes a batch's ids (its leaf hashes back to back, 32 bytes each, in leaf order) under its acceptance number. */
  add(acceptSeq: number, leaves: Uint8Array): void {
    const n = leaves.length >> 5
    const need = (this.entries + n) * ENTRY
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length))
      this.buf.copy(grown, 0, 0, this.entries * ENTRY)
      this.buf = grown
    }
    const b = this.buf
    let o = this.entries * ENTRY
    const hi = Math.floor(acceptSeq / 0x1_0000_0000)
    const lo = acceptSeq >>> 0
    for (let i = 0; i < n; i++, o += ENTRY) {
      for (let j = 0; j < 8; j++) b[o + j] = leaves[i * 32 + j]!
      b.writeUInt16BE(hi, o + 8)
      b.writeUInt32BE(lo, o + 10)
      b.writeUInt16BE(i, o + 14)
    }
    this.entries += n
    this.last = acceptSeq
  }

  /** Candidates for `id` among the ids held in memory. */
  candidates(needle: Buffer, out: IdCandidate[]): void {
    matchEntries(this.buf.subarray(0, this.entries * ENTRY), needle, out)
  }

  /**
   * Puts what the next write must hold: the cover marker of an older folder, and, once `runRecords` ids are held and
   * no run is being written, a run of all of them. Returns whether a run was put (then call `written` once it landed).
   */
  stage(put: PutSink): boolean {
    if (this.writing !== undefined || this.entries < this.runRecords) {
      if (!this.marked) put.put(K.readingRunsThrough, marker(this.cover))
      this.marked = true
      return false
    }
    const n = this.entries
    const b = this.buf
    // Counting sort of the entries by bucket, then one key per bucket.
    const start = new Uint32Array(BUCKETS + 1)
    for (let o = 0; o < n * ENTRY; o += ENTRY) start[((b[o]! << 4) | (b[o + 1]! >> 4)) + 1]!++
    for (let k = 1; k <= BUCKETS; k++) start[k]! += start[k - 1]!
    const at = start.slice(0, BUCKETS)
    const sorted = Buffer.allocUnsafe(n * ENTRY)
    for (let o = 0; o < n * ENTRY; o += ENTRY) {
      const k = (b[o]! << 4) | (b[o + 1]! >> 4)
      // 16 byte copies in JS: a Buffer.copy per entry costs its native call.
      const to = at[k]! * ENTRY
      for (let j = 0; j < ENTRY; j++) sorted[to + j] = b[o + j]!
      at[k]!++
    }
    const through = this.last
    for (let k = 0; k < BUCKETS; k++)
      if (start[k + 1]! > start[k]!)
        put.put(
          K.readingRun(BUCKET_HEX[k]!, through),
          sorted.subarray(start[k]! * ENTRY, start[k + 1]! * ENTRY),
        )
    put.put(K.readingRunsThrough, marker(through))
    this.marked = true
    this.writing = { entries: n, through }
    return true
  }

  /** The run put by `stage` landed: its ids are read from disk from now on. */
  written(): void {
    const w = this.writing
    if (!w) return
    this.buf.copy(this.buf, 0, w.entries * ENTRY, this.entries * ENTRY)
    this.entries -= w.entries
    this.cover = w.through
    this.writing = undefined
  }
}

function marker(through: number): Uint8Array {
  const m = Buffer.alloc(6)
  m.writeUIntBE(through, 0, 6)
  return m
}
