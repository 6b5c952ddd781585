import { SteleError } from '../../core/errors.ts'
import type { StampedRecord } from '../../core/record.ts'
import type { Db, PutSink } from '../db/db.ts'
import { K } from '../db/keys.ts'

/**
 * Rollups: per device+sensor, one bucket per minute, hour and day holding count, min, max, sum and the first and
 * last reading with their times. They are folded at ingest into the same atomic write as the batch, so an aggregate
 * over 30 days reads 720 hourly buckets instead of 2.6M readings.
 */

export interface Resolution {
  /** Name used in keys and responses: `m`, `h`, `d`. */
  name: 'm' | 'h' | 'd'
  ms: number
}

/** Finest first. Each divides the next, so a coarser bucket is exactly a union of finer ones. */
export const RESOLUTIONS: readonly Resolution[] = [
  { name: 'm', ms: 60_000 },
  { name: 'h', ms: 3_600_000 },
  { name: 'd', ms: 86_400_000 },
]

export interface BucketStats {
  count: number
  min: number
  max: number
  sum: number
  first: number
  firstTime: number
  last: number
  lastTime: number
}

export interface Bucket extends BucketStats {
  start: number
  key: string
  /** Fold generation that last touched this bucket (saves a Set per batch). */
  mark: number
}

export const BUCKET_BYTES = 64

export function emptyStats(): BucketStats {
  return {
    count: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    sum: 0,
    first: 0,
    firstTime: Number.POSITIVE_INFINITY,
    last: 0,
    lastTime: Number.NEGATIVE_INFINITY,
  }
}

/**
 * Folds one reading. First is the earliest time (ties: the one folded first), last the latest (ties: the one folded
 * last), so folding in acceptance order gives the same answer as a sort by time that keeps acceptance order.
 */
export function foldReading(b: BucketStats, value: number, time: number): void {
  b.count++
  if (value < b.min) b.min = value
  if (value > b.max) b.max = value
  b.sum += value
  if (time < b.firstTime) {
    b.first = value
    b.firstTime = time
  }
  if (time >= b.lastTime) {
    b.last = value
    b.lastTime = time
  }
}

/** Merges `b` into `a`; `b` covers times after or disjoint from `a`'s, or was folded after it. */
export function mergeStats(a: BucketStats, b: BucketStats): void {
  if (b.count === 0) return
  a.count += b.count
  if (b.min < a.min) a.min = b.min
  if (b.max > a.max) a.max = b.max
  a.sum += b.sum
  if (b.firstTime < a.firstTime) {
    a.first = b.first
    a.firstTime = b.firstTime
  }
  if (b.lastTime >= a.lastTime) {
    a.last = b.last
    a.lastTime = b.lastTime
  }
}

/** 8 big-endian float64: count, min, max, sum, first, firstTime, last, lastTime. */
export function encodeBucket(b: BucketStats): Uint8Array {
  const out = Buffer.allocUnsafe(BUCKET_BYTES)
  out.writeDoubleBE(b.count, 0)
  out.writeDoubleBE(b.min, 8)
  out.writeDoubleBE(b.max, 16)
  out.writeDoubleBE(b.sum, 24)
  out.writeDoubleBE(b.first, 32)
  out.writeDoubleBE(b.firstTime, 40)
  out.writeDoubleBE(b.last, 48)
  out.writeDoubleBE(b.lastTime, 56)
  return out
}

export function decodeBucket(v: Uint8Array): BucketStats {
  if (v.length !== BUCKET_BYTES) throw new RangeError(`rollup bucket: expected 64 bytes, got ${v.length}`)
  const d = new DataView(v.buffer, v.byteOffset, BUCKET_BYTES)
  return {
    count: d.getFloat64(0),
    min: d.getFloat64(8),
    max: d.getFloat64(16),
    sum: d.getFloat64(24),
    first: d.getFloat64(32),
    firstTime: d.getFloat64(40),
    last: d.getFloat64(48),
    lastTime: d.getFloat64(56),
  }
}

interface Series {
  /** Key prefix per resolution (`r:device\0sensor\0m`...). */
  prefixes: string[]
  /** Latest bucket per resolution; null: none exists. */
  latest: (Bucket | null)[]
}

/** Series by device, then sensor: two lookups of interned strings instead of building a key per record. */
class SeriesMap {
  private readonly byDevice = new Map<string, Map<string, Series>>()
  size = 0

  get(device: string, sensor: string): Series | undefined {
    return this.byDevice.get(device)?.get(sensor)
  }

  set(device: string, sensor: string, s: Series): void {
    let m = this.byDevice.get(device)
    if (!m) {
      m = new Map()
      this.byDevice.set(device, m)
    }
    if (!m.has(sensor)) this.size++
    m.set(sensor, s)
  }

  clear(): void {
    this.byDevice.clear()
    this.size = 0
  }
}
const MAX_SERIES = 50_000
const MAX_OLDER = 10_000

/**
 * The ingest side: an in-memory cache of each series' open (latest) bucket per resolution, so folding a batch is
 * read-modify-write without reads. A series seen for the first time since start loads its latest buckets from
 * LevelDB; a reading older than its open bucket (another gateway's late data) reads that bucket. Both reads first
 * wait for in-flight writes (`drain`), so the cache may be dropped at any time and reloads what is on disk.
 */
export class Rollups {
  private readonly series = new SeriesMap()
  /** Buckets before a series' latest one that were touched or loaded recently. */
  private readonly older = new Map<string, Bucket>()
  /** Buckets folded since the last flush, each once (its `mark` is the current generation). */
  private touched: Bucket[] = []
  private gen = 1

  /**
   * @param stored whether a series may have buckets on disk (its sensor is in the device summaries, which are
   *   written in the same write as the rollups); a series that cannot is started empty without a read.
   */
  constructor(
    private readonly db: Db,
    private readonly stored: (device: string, sensor: string) => boolean = () => true,
  ) {}

  /** Forgets every cached bucket (after a failed write: the cache may hold what never reached the disk). */
  reset(): void {
    this.series.clear()
    this.older.clear()
    this.touched = []
    this.gen++
  }

  /**
   * Bounds the cache. Only between write groups: a bucket folded into a group whose write has not been issued must
   * stay, since a reload would not see it yet.
   */
  trim(): void {
    if (this.series.size > MAX_SERIES) this.series.clear()
    if (this.older.size > MAX_OLDER) this.older.clear()
  }

  /**
   * Makes sure every bucket `records` fold into is in memory. Returns undefined when it already is (the common case,
   * no await), or a promise that loads the rest after in-flight writes land.
   */
  prepare(records: readonly StampedRecord[], drain: () => Promise<void>): Promise<void> | undefined {
    let dev: string | undefined
    let sen: string | undefined
    let s: Series | undefined
    for (const r of records) {
      if (r.device !== dev || r.sensor !== sen) {
        dev = r.device
        sen = r.sensor
        s = this.series.get(dev, sen)
        if (!s) {
          if (this.stored(dev, sen)) return this.load(records, drain)
          s = this.fresh(dev, sen)
          this.series.set(dev, sen, s)
        }
      }
      for (let k = 0; k < RESOLUTIONS.length; k++) {
        const b = s!.latest[k]!
        if (b === null) continue
        const start = r.time - (r.time % RESOLUTIONS[k]!.ms)
        if (start < b.start && !this.older.has(s!.prefixes[k]! + K.timeBound(start)))
          return this.load(records, drain)
      }
    }
    return undefined
  }

  private async load(records: readonly StampedRecord[], drain: () => Promise<void>): Promise<void> {
    await drain()
    const fresh = new Map<string, { device: string; sensor: string; s: Series }>()
    for (const r of records) {
      const id = `${r.device}\u0000${r.sensor}`
      if (!this.series.get(r.device, r.sensor) && !fresh.has(id))
        fresh.set(id, { device: r.device, sensor: r.sensor, s: this.fresh(r.device, r.sensor) })
    }
    for (const { s } of fresh.values()) {
      for (let k = 0; k < RESOLUTIONS.length; k++) {
        const prefix = s.prefixes[k]!
        const last = await this.db
          .iterator({ gte: prefix, lt: `${prefix}\uffff`, reverse: true, limit: 1 })
          .all()
        const e = last[0]
        if (e)
          s.latest[k] = toBucket(e[0], Number.parseInt(e[0].slice(prefix.length), 16), decodeBucket(e[1]))
      }
    }
    for (const { device, sensor, s } of fresh.values()) this.series.set(device, sensor, s)
    const wanted = new Map<string, number>()
    for (const r of records) {
      const s = this.series.get(r.device, r.sensor)!
      for (let k = 0; k < RESOLUTIONS.length; k++) {
        const b = s.latest[k]!
        const start = r.time - (r.time % RESOLUTIONS[k]!.ms)
        if (b === null || start >= b.start) continue
        const key = s.prefixes[k]! + K.timeBound(start)
        if (!this.older.has(key)) wanted.set(key, start)
      }
    }
    if (wanted.size === 0) return
    const keys = [...wanted.keys()]
    const values = await this.db.getMany(keys)
    keys.forEach((key, i) => {
      const v = values[i]
      this.older.set(key, toBucket(key, wanted.get(key)!, v ? decodeBucket(v) : emptyStats()))
    })
  }

  private fresh(device: string, sensor: string): Series {
    const prefixes = RESOLUTIONS.map((res) => K.rollup(device, sensor, res.name))
    return { prefixes, latest: prefixes.map(() => null) }
  }

  /** Folds records (after prepare) into their buckets; `flush` writes every bucket they touched. */
  fold(records: readonly StampedRecord[]): void {
    const gen = this.gen
    const touched = this.touched
    let dev: string | undefined
    let sen: string | undefined
    let s: Series | undefined
    for (const r of records) {
      if (r.device !== dev || r.sensor !== sen) {
        dev = r.device
        sen = r.sensor
        s = this.series.get(dev, sen)
        if (!s) throw new SteleError('STELE_INTERNAL', `rollups: series ${dev}/${sen} folded before prepare`)
      }
      const { time, value } = r
      for (let k = 0; k < RESOLUTIONS.length; k++) {
        const start = time - (time % RESOLUTIONS[k]!.ms)
        let b = s!.latest[k]!
        if (b === null || b.start !== start) {
          if (b === null || start > b.start) {
            if (b !== null) this.older.set(b.key, b)
            const key = s!.prefixes[k]! + K.timeBound(start)
            b = this.older.get(key) ?? toBucket(key, start, emptyStats())
            s!.latest[k] = b
          } else {
            const key = s!.prefixes[k]! + K.timeBound(start)
            const old = this.older.get(key)
            if (!old) throw new SteleError('STELE_INTERNAL', `rollups: bucket ${key} folded before prepare`)
            b = old
          }
        }
        foldReading(b, value, time)
        if (b.mark !== gen) {
          b.mark = gen
          touched.push(b)
        }
      }
    }
  }

  /**
   * One put per bucket folded since the last flush, with its value now: once per write rather than once per batch
   * (at 1 reading a message a call's few batches touch mostly the same series' buckets, three per series).
   */
  flush(sink: PutSink): void {
    for (const b of this.touched) sink.put(b.key, encodeBucket(b))
    this.touched = []
    this.gen++
  }
}

/** One class for every cached bucket, so the fold sees one object shape. */
class OpenBucket implements Bucket {
  count: number
  min: number
  max: number
  sum: number
  first: number
  firstTime: number
  last: number
  lastTime: number
  mark = 0

  constructor(
    readonly key: string,
    readonly start: number,
    s: BucketStats,
  ) {
    this.count = s.count
    this.min = s.min
    this.max = s.max
    this.sum = s.sum
    this.first = s.first
    this.firstTime = s.firstTime
    this.last = s.last
    this.lastTime = s.lastTime
  }
}

function toBucket(key: string, start: number, stats: BucketStats): Bucket {
  return new OpenBucket(key, start, stats)
}
