import { toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'
import { chunkLists } from '../db/chunk-lists.ts'
import { decodeChunk } from '../db/codec.ts'
import { type Db, getMany } from '../db/db.ts'
import { lowerBound, upperBound } from './reading-cursor.ts'
import { coveredAbove, type RecentChunkKeys } from './recent-chunks.ts'

export interface DecodedChunk {
  key: string
  txHash: string
  leafIndexes: number[]
  bytes: Uint8Array[]
  records: (StampedRecord | undefined)[]
  ids: (string | undefined)[]
  /** Each reading's JSON, once a page served it, as of `jsonStatus`. */
  json: (string | undefined)[]
  /**
   * The status and block height every reading's JSON in `json` was built with (a chunk is one transaction's: its
   * readings share them); a page seeing another drops them all.
   */
  jsonStatus: string
  /** Bytes of the stored chunk. */
  stored: number
  /** Bytes counted against the cache: the stored chunk and the JSON kept. */
  size: number
}

export type KeyRange = { gte: string; lt?: string; lte?: string }

/** A device's chunks in page order, a few per call (empty when there are no more). */
export interface ChunkSource {
  next(want: number): Promise<DecodedChunk[]>
  close(): void
}

/**
 * Series chunks with their records decoded and ids hashed as pages need them. Chunks never change once written
 * (one key per batch and device), so recent ones are kept, oldest dropped first past `maxBytes`: dashboards page
 * through the same recent readings, and decoding and hashing them is most of a page's cost.
 */
export class ChunkCache {
  private readonly chunks = new Map<string, DecodedChunk>()
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  get(key: string): DecodedChunk | undefined {
    return this.chunks.get(key)
  }

  clear(): void {
    this.chunks.clear()
    this.bytes = 0
  }

  /**
   * The chunk's kept JSON, valid for readings of `status` (pending, or confirmed or final at a height): kept JSON built
   * for another status is dropped first.
   */
  jsonFor(chunk: DecodedChunk, status: string): (string | undefined)[] {
    if (chunk.jsonStatus !== status) {
      const kept = chunk.size - chunk.stored
      chunk.size = chunk.stored
      if (this.chunks.get(chunk.key) === chunk) this.bytes -= kept
      chunk.json = new Array(chunk.bytes.length)
      chunk.jsonStatus = status
    }
    return chunk.json
  }

  /** Keeps a reading's JSON (built for the chunk's `jsonStatus`) with its chunk, if the chunk is still cached. */
  keepJson(chunk: DecodedChunk, i: number, json: string): void {
    if (this.chunks.get(chunk.key) !== chunk) return
    chunk.json[i] = json
    chunk.size += json.length
    this.bytes += json.length
  }

  /** The chunk stored under `key`; `list` is its batch's record list when the chunk names it (chunkLists). */
  decoded(key: string, value: Uint8Array, list?: Uint8Array): DecodedChunk {
    const hit = this.chunks.get(key)
    if (hit) return hit
    const c = decodeChunk(value, list)
    const n = c.records.length
    const stored = value.length + (list?.length ?? 0)
    const d: DecodedChunk = {
      key,
      txHash: toHex(c.txHash),
      leafIndexes: c.leafIndexes,
      bytes: c.records,
      records: new Array(n),
      ids: new Array(n),
      json: new Array(n),
      jsonStatus: '',
      stored,
      size: stored,
    }
    this.chunks.set(key, d)
    this.bytes += stored
    for (const [k, old] of this.chunks) {
      if (this.bytes <= this.maxBytes) break
      this.chunks.delete(k)
      this.bytes -= old.size
    }
    return d
  }
}

/**
 * The device's chunks in `range`, in order: from the recent keys held in memory where they cover the range (cached
 * chunks then need no storage trip at all, others one `getMany`), and from a LevelDB iterator for the rest.
 */
export async function chunkSource(
  db: Db,
  cache: ChunkCache,
  recent: RecentChunkKeys,
  device: string,
  prefix: string,
  range: KeyRange,
  asc: boolean,
  signal: AbortSignal | undefined,
): Promise<ChunkSource> {
  const d = recent.get(device)
  if (d && d.floor === undefined) recent.setFloor(device, d, await findFloor(db, prefix, d.keys, signal))
  const covered = d && coveredAbove(d)
  if (!d || covered === undefined) return iteratorSource(db, cache, range, !asc)
  const keys = d.keys
  // Indexes of the listed keys inside the range: [from, to).
  const from = Math.max(lowerBound(keys, range.gte), upperBound(keys, covered))
  const to =
    range.lte !== undefined ? upperBound(keys, range.lte) : lowerBound(keys, range.lt ?? `${prefix}\uffff`)
  if (asc) {
    if (range.gte <= covered) return iteratorSource(db, cache, range, false)
    return listSource(db, cache, keys.slice(from, to), undefined)
  }
  // Descending: the listed keys from the top, then the iterator below the covered floor if the page needs more.
  const rest: KeyRange = { gte: range.gte, lte: covered }
  if (range.lte !== undefined && range.lte < covered) rest.lte = range.lte
  else if (range.lt !== undefined && range.lt <= covered) {
    delete rest.lte
    rest.lt = range.lt
  }
  const below = covered >= range.gte ? () => iteratorSource(db, cache, rest, true) : undefined
  return listSource(db, cache, keys.slice(from, Math.max(from, to)).reverse(), below)
}

/** The highest chunk key of the device on disk that the recent list lacks ('' when none): where its cover ends. */
async function findFloor(
  db: Db,
  prefix: string,
  keys: readonly string[],
  signal: AbortSignal | undefined,
): Promise<string> {
  const it = db.keys({ gte: prefix, lt: `${prefix}\uffff`, reverse: true })
  try {
    for (;;) {
      const batch = await it.nextv(256)
      signal?.throwIfAborted()
      if (batch.length === 0) return ''
      for (const k of batch) {
        const at = lowerBound(keys, k)
        if (keys[at] !== k) return k
      }
    }
  } finally {
    void it.close()
  }
}

/** Stored chunks decoded through the cache; the record lists of those not cached that need one are read first. */
async function decodeAll(
  db: Db,
  cache: ChunkCache,
  entries: [string, Uint8Array][],
): Promise<DecodedChunk[]> {
  const fresh = entries.filter(([key]) => cache.get(key) === undefined)
  const lists = await chunkLists(
    db,
    fresh.map(([, value]) => value),
  )
  const listOf = new Map<string, Uint8Array | undefined>()
  for (let i = 0; i < fresh.length; i++) listOf.set(fresh[i]![0], lists[i])
  return entries.map(([key, value]) => cache.decoded(key, value, listOf.get(key)))
}

function iteratorSource(db: Db, cache: ChunkCache, range: KeyRange, reverse: boolean): ChunkSource {
  const it = db.iterator({ ...range, reverse, highWaterMarkBytes: 1024 * 1024 })
  return {
    next: async (want) => decodeAll(db, cache, await it.nextv(want)),
    // Not awaited: the page does not wait for the LevelDB thread to release the iterator (db.close() does).
    close: () => void it.close(),
  }
}

function listSource(
  db: Db,
  cache: ChunkCache,
  keys: string[],
  then: (() => ChunkSource) | undefined,
): ChunkSource {
  let at = 0
  let rest: ChunkSource | undefined
  return {
    next: async (want) => {
      if (at >= keys.length) {
        if (!then) return []
        rest ??= then()
        return rest.next(want)
      }
      const take = keys.slice(at, at + want)
      at += take.length
      const out: (DecodedChunk | undefined)[] = take.map((k) => cache.get(k))
      const missing: number[] = []
      for (let i = 0; i < take.length; i++) if (out[i] === undefined) missing.push(i)
      if (missing.length > 0) {
        const values = await getMany(
          db,
          missing.map((i) => take[i]!),
        )
        const found: [string, Uint8Array][] = []
        const slots: number[] = []
        for (let m = 0; m < missing.length; m++) {
          const v = values[m]
          if (!v) continue
          found.push([take[missing[m]!]!, v])
          slots.push(missing[m]!)
        }
        const decoded = await decodeAll(db, cache, found)
        for (let j = 0; j < slots.length; j++) out[slots[j]!] = decoded[j]
      }
      return out.filter((c) => c !== undefined)
    },
    close: () => rest?.close(),
  }
}
