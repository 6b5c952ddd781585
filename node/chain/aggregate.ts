import { SteleError } from '../../core/errors.ts'
import { decodeRecord } from '../../core/record.ts'
import { chunkLists } from '../db/chunk-lists.ts'
import { decodeChunk } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import {
  type BucketStats,
  decodeBucket,
  emptyStats,
  foldReading,
  mergeStats,
  RESOLUTIONS,
} from './rollups.ts'

export const AGGREGATE_FNS = ['count', 'min', 'max', 'mean', 'first', 'last'] as const
export type AggregateFn = (typeof AGGREGATE_FNS)[number]

/** Latest time a query may name (the widest fixed-width time in keys). */
export const MAX_TIME = 0xffff_ffff_ffff
/** Output buckets one query may span; beyond it the caller widens `every` or narrows from/to. */
export const MAX_BUCKETS = 100_000

const UNIT_MS: { [unit: string]: number } = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** `15m`, `1h`, `2d`...: a whole number of minutes, so a rollup resolution divides it. */
export function parseEvery(every: string): number {
  const m = /^([1-9]\d{0,6})([smhdw])$/.exec(every)
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN
  if (!(ms % 60_000 === 0))
    throw new SteleError(
      'STELE_BAD_REQUEST',
      `every: ${JSON.stringify(every)} is not a whole number of minutes (use e.g. 1m, 15m, 1h, 6h, 1d)`,
    )
  return ms
}

export function parseFns(fn: string | undefined): AggregateFn[] {
  if (fn === undefined || fn === '') return [...AGGREGATE_FNS]
  const out: AggregateFn[] = []
  for (const f of fn.split(',')) {
    const name = f.trim() as AggregateFn
    if (!AGGREGATE_FNS.includes(name))
      throw new SteleError(
        'STELE_BAD_REQUEST',
        `fn: unknown function ${JSON.stringify(f)}; use a comma list of ${AGGREGATE_FNS.join(', ')}`,
      )
    if (!out.includes(name)) out.push(name)
  }
  return out
}

export interface AggregateQuery {
  device: string
  sensor: string
  /** Inclusive epoch ms; absent: from the first reading. */
  from?: number | undefined
  /** Inclusive epoch ms; absent: to the last reading. */
  to?: number | undefined
  everyMs: number
  /** The sensor's latest reading time, when known: the answer then ends with the rollup bucket holding it. */
  lastTime?: number | undefined
}

export interface AggregateResult {
  /** The coarsest rollup that divides `every`: what most of the answer was read from. */
  resolution: 'm' | 'h' | 'd'
  buckets: (BucketStats & { start: number })[]
}

/** A stretch of time answered at one level: a rollup resolution index, or -1 for raw readings. */
interface Piece {
  level: number
  from: number
  /** Exclusive. */
  to: number
}

/**
 * Covers [lo, hi) with the coarsest rollups that fit whole inside it, finer ones at the ragged edges and raw readings
 * only for the part of an edge shorter than a minute. Pieces come out in time order.
 */
export function planPieces(lo: number, hi: number, top: number): Piece[] {
  const out: Piece[] = []
  const go = (a: number, b: number, level: number): void => {
    if (a >= b) return
    if (level < 0) {
      out.push({ level: -1, from: a, to: b })
      return
    }
    const ms = RESOLUTIONS[level]!.ms
    const ma = Math.ceil(a / ms) * ms
    const mb = Math.floor(b / ms) * ms
    if (ma >= mb) {
      go(a, b, level - 1)
      return
    }
    go(a, ma, level - 1)
    out.push({ level, from: ma, to: mb })
    go(mb, b, level - 1)
  }
  go(lo, hi, top)
  return out
}

/**
 * Time buckets of `every` (aligned to the epoch, as InfluxDB's GROUP BY time) over one sensor of a device. Whole
 * rollup buckets inside [from, to] are read as they are; only the sub-minute edges read readings. Empty buckets are
 * left out.
 */
export async function aggregate(db: Db, maxChunkSpan: number, q: AggregateQuery): Promise<AggregateResult> {
  const lo = Math.max(0, q.from ?? 0)
  let hi = Math.min(MAX_TIME, q.to ?? MAX_TIME) + 1
  if (q.from !== undefined && q.to !== undefined && (hi - lo) / q.everyMs > MAX_BUCKETS)
    throw new SteleError(
      'STELE_BAD_REQUEST',
      `from..to spans more than ${MAX_BUCKETS} buckets of ${q.everyMs} ms; widen every or narrow the range`,
    )
  let top = 0
  for (let k = RESOLUTIONS.length - 1; k >= 0; k--)
    if (q.everyMs % RESOLUTIONS[k]!.ms === 0) {
      top = k
      break
    }
  // Nothing is stored after the sensor's latest reading: ending at the end of its bucket spares reading the empty
  // finer rollups and chunks at the ragged end of the range.
  if (q.lastTime !== undefined) {
    const ms = RESOLUTIONS[top]!.ms
    hi = Math.min(hi, (Math.floor(q.lastTime / ms) + 1) * ms)
  }
  const out = new Map<number, BucketStats & { start: number }>()
  const target = (t: number): BucketStats => {
    const start = t - (t % q.everyMs)
    let b = out.get(start)
    if (!b) {
      b = { ...emptyStats(), start }
      out.set(start, b)
      if (out.size > MAX_BUCKETS)
        throw new SteleError(
          'STELE_BAD_REQUEST',
          `the answer has more than ${MAX_BUCKETS} buckets; widen every or narrow from/to`,
        )
    }
    return b
  }
  for (const p of planPieces(lo, hi, top)) {
    if (p.level >= 0) {
      const prefix = K.rollup(q.device, q.sensor, RESOLUTIONS[p.level]!.name)
      const rows = await db
        .iterator({ gte: prefix + K.timeBound(p.from), lt: prefix + K.timeBound(p.to) })
        .all()
      for (const [key, value] of rows) {
        const start = Number.parseInt(key.slice(prefix.length), 16)
        mergeStats(target(start), decodeBucket(value))
      }
    } else {
      const prefix = K.byDevice(q.device)
      const it = db.iterator({
        gte: prefix + K.timeBound(p.from - maxChunkSpan),
        lt: prefix + K.timeBound(p.to),
      })
      try {
        // Chunks in runs, so the record lists they name come in one read per run, not one per chunk.
        for (let rows = await it.nextv(64); rows.length > 0; rows = await it.nextv(64)) {
          const lists = await chunkLists(
            db,
            rows.map(([, value]) => value),
          )
          for (let i = 0; i < rows.length; i++)
            for (const bytes of decodeChunk(rows[i]![1], lists[i]).records) {
              const r = decodeRecord(bytes)
              if (r.time >= p.from && r.time < p.to && r.sensor === q.sensor)
                foldReading(target(r.time), r.value, r.time)
            }
        }
      } finally {
        await it.close()
      }
    }
  }
  return {
    resolution: RESOLUTIONS[top]!.name,
    buckets: [...out.values()].filter((b) => b.count > 0).sort((a, b) => a.start - b.start),
  }
}
