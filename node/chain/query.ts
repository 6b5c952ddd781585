import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { type Genesis, genesisToJson } from '../../core/genesis.ts'
import { inclusionPath, leafHash } from '../../core/merkle.ts'
import type { RegistrationStep } from '../../core/producer-proof.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { decodeRecord, type StampedRecord } from '../../core/record.ts'
import { decodeStoredBlock, decodeStoredTx, type StoredBlock, type StoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { type BlockView, blockView } from './block-view.ts'
import { ChunkCache, chunkSource, type DecodedChunk, type KeyRange } from './chunk-sources.ts'
import type { Mempool } from './mempool.ts'
import { decodeCursor, encodeCursor } from './reading-cursor.ts'
import { type Located, locateReading } from './reading-locate.ts'
import { type ReadingView, readingView } from './reading-view.ts'
import { registrationPath } from './registration-path.ts'
import type { ChainState } from './state.ts'

export { type BlockView, blockView }

export interface ReadingQuery {
  device: string
  sensor?: string | undefined
  from?: number | undefined
  to?: number | undefined
  limit: number
  cursor?: string | undefined
  order: 'asc' | 'desc'
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface ChainQueryInit {
  /** Bytes of series chunks kept decoded (records and ids roughly double it); default 4 MiB. */
  chunkCacheBytes?: number
}

/** What the read side reads; the node hands it these at construction. */
export interface ChainQueryComponents {
  db: Db
  genesis: Genesis
  mempool: Mempool
  state: ChainState
  /** The highest final block; -1 while the chain has one producer (no reading is `final`). */
  finalHeight?: () => number
}

/** Every query that can take long (a scan, several storage trips) stops with the signal's reason when it aborts. */
export interface QueryOptions {
  signal?: AbortSignal | undefined
}

/** Read side of the ledger: series chunks to reading views, and proofs built from blocks, transactions and objects. */
export class ChainQuery {
  // Heights of recently seen transactions: a page of readings usually shares a handful of batches.
  private readonly heights = new Map<string, number>()
  private readonly chunks: ChunkCache
  private readonly db: Db
  private readonly mempool: Mempool

  constructor(
    init: ChainQueryInit,
    private readonly c: ChainQueryComponents,
  ) {
    this.chunks = new ChunkCache(init.chunkCacheBytes ?? 4 * 1024 * 1024)
    this.db = c.db
    this.mempool = c.mempool
  }

  private final(): number {
    return this.c.finalHeight?.() ?? -1
  }

  /** After a rollback: cached heights and confirmed readings may name blocks that are gone. */
  forgetConfirmed(): void {
    this.heights.clear()
    this.chunks.clear()
  }

  /** The block height holding a transaction, or null while it is pending. */
  async txHeight(txHash: string): Promise<number | null> {
    if (this.mempool.has(txHash)) return null
    const cached = this.heights.get(txHash)
    if (cached !== undefined) return cached
    const v = await this.db.get(K.tx(txHash))
    if (!v) return null
    const { height } = decodeStoredTx(v)
    if (this.heights.size > 50_000) this.heights.clear()
    this.heights.set(txHash, height)
    return height
  }

  /**
   * Readings of a device (or one of its sensors) in time order, from the device's series chunks; a sensor's readings
   * are those chunks filtered (a device has a few sensors, and one copy of each record is cheaper to write than two).
   * A chunk starting before `from` can still hold later records, so the scan starts the longest chunk span earlier
   * and filters by time.
   */
  async readings(q: ReadingQuery, opts: QueryOptions = {}): Promise<Page<ReadingView>> {
    const items: ReadingView[] = []
    const nextCursor = await this.scan(q, opts, (chunk, i, id, r, height) => {
      items.push(readingView(id, r, chunk.txHash, height, chunk.leafIndexes[i]!, this.final()))
    })
    return { items, nextCursor }
  }

  /**
   * The same page as `readings`, as the JSON text of `{ items, nextCursor }` (the route's response schema, in its
   * property order). Each reading's JSON is built once and kept with its decoded chunk for the status it was built
   * with (pending, confirmed or final at a height), so a page of cached chunks is a join of strings rather than 100
   * objects serialised again, and a reading whose status changed is built again.
   */
  async readingsJson(q: ReadingQuery, opts: QueryOptions = {}): Promise<string> {
    const parts: string[] = []
    const final = this.final()
    let last: DecodedChunk | undefined
    let kept: (string | undefined)[] = []
    const nextCursor = await this.scan(q, opts, (chunk, i, id, r, height) => {
      if (chunk !== last) {
        last = chunk
        kept = this.chunks.jsonFor(chunk, height === null ? 'p' : `${height <= final ? 'f' : 'c'}${height}`)
      }
      let json = kept[i]
      if (json === undefined) {
        json = JSON.stringify(readingView(id, r, chunk.txHash, height, chunk.leafIndexes[i]!, final))
        this.chunks.keepJson(chunk, i, json)
      }
      parts.push(json)
    })
    return `{"items":[${parts.join(',')}],"nextCursor":${nextCursor === null ? 'null' : JSON.stringify(nextCursor)}}`
  }

  /** Walks the page's readings in order, calling `emit` for each; returns the next page's cursor, if any. */
  private async scan(
    q: ReadingQuery,
    opts: QueryOptions,
    emit: (chunk: DecodedChunk, i: number, id: string, r: StampedRecord, height: number | null) => void,
  ): Promise<string | null> {
    const { signal } = opts
    signal?.throwIfAborted()
    const prefix = K.byDevice(q.device)
    const lo = q.from === undefined ? prefix : prefix + K.timeBound(q.from - this.c.state.maxChunkSpan)
    const hi = q.to === undefined ? `${prefix}\uffff` : prefix + K.timeBound(q.to + 1)
    const asc = q.order === 'asc'
    let start: { key: string; index: number } | undefined
    const range: KeyRange = { gte: lo, lt: hi }
    if (q.cursor !== undefined) {
      start = decodeCursor(q.cursor, prefix, q)
      // Keys are strings compared by code unit: Math.max/min would turn them into NaN.
      // biome-ignore lint/complexity/useMathMinMax: string comparison
      if (asc) range.gte = start.key > lo ? start.key : lo
      else {
        delete range.lt
        // biome-ignore lint/complexity/useMathMinMax: string comparison
        range.lte = start.key < hi ? start.key : hi
      }
    }
    let emitted = 0
    const source = await chunkSource(
      this.db,
      this.chunks,
      this.c.state.recentChunks,
      q.device,
      prefix,
      range,
      asc,
      signal,
    )
    let chunks = 0
    try {
      // A page spans a few chunks: ask for several per trip, sized by how many readings of this query the chunks read
      // so far held (reading chunks the page does not need costs more than another trip).
      for (let want = 2 + Math.ceil(q.limit / 50); ; ) {
        const entries = await source.next(want)
        // Between storage trips: a page filtered down to few readings can scan many chunks.
        signal?.throwIfAborted()
        if (entries.length === 0) break
        chunks += entries.length
        for (const chunk of entries) {
          const key = chunk.key
          const height = await this.txHeight(chunk.txHash)
          const n = chunk.bytes.length
          for (let j = 0; j < n; j++) {
            const i = asc ? j : n - 1 - j
            if (start && key === start.key && (asc ? i < start.index : i > start.index)) continue
            let r = chunk.records[i]
            if (r === undefined) {
              r = decodeRecord(chunk.bytes[i]!)
              chunk.records[i] = r
            }
            if ((q.from !== undefined && r.time < q.from) || (q.to !== undefined && r.time > q.to)) continue
            if (q.sensor !== undefined && r.sensor !== q.sensor) continue
            if (emitted === q.limit) return encodeCursor(key, i, q)
            let id = chunk.ids[i]
            if (id === undefined) {
              id = toHex(leafHash(chunk.bytes[i]!))
              chunk.ids[i] = id
            }
            emit(chunk, i, id, r, height)
            emitted++
          }
        }
        const perChunk = Math.max(1, emitted / chunks)
        want = Math.min(64, 1 + Math.ceil((q.limit + 1 - emitted) / perChunk))
      }
    } finally {
      source.close()
    }
    return null
  }

  private locate(id: string, signal: AbortSignal | undefined): Promise<Located> {
    return locateReading({ db: this.db, mempool: this.mempool, ids: this.c.state.readingIds }, id, signal)
  }

  async reading(id: string, opts: QueryOptions = {}): Promise<ReadingView> {
    const l = await this.locate(id, opts.signal)
    const bytes = l.records[l.leafIndex]!
    return readingView(id, decodeRecord(bytes), l.txHash, l.stored?.height ?? null, l.leafIndex, this.final())
  }

  async storedTx(hash: string): Promise<StoredTx | undefined> {
    const v = await this.db.get(K.tx(hash))
    return v ? decodeStoredTx(v) : undefined
  }

  async storedBlock(height: number): Promise<StoredBlock | undefined> {
    const v = await this.db.get(K.block(height))
    return v ? decodeStoredBlock(v) : undefined
  }

  async proof(id: string, opts: QueryOptions = {}): Promise<ProofBundle> {
    const l = await this.locate(id, opts.signal)
    if (!l.stored)
      throw new SteleError(
        'STELE_READING_PENDING',
        `reading ${id} is not sealed in a block yet; ask again after the next block`,
      )
    const block = await this.storedBlock(l.stored.height)
    opts.signal?.throwIfAborted()
    if (!block)
      throw new SteleError('STELE_STORAGE', `block ${l.stored.height} is missing for transaction ${l.txHash}`)
    const records = l.records
    const record = records[l.leafIndex]!
    return toProofBundle(
      {
        record,
        recordIndex: l.leafIndex,
        recordPath: inclusionPath(records.map(leafHash), l.leafIndex),
        batchTx: l.txBytes,
        txIndex: l.stored.index,
        txPath: inclusionPath(block.txHashes.map(leafHash), l.stored.index),
        blockHeader: block.header,
        blockSignature: block.signature,
        genesis: genesisToJson(this.c.genesis),
      },
      readingView(id, decodeRecord(record), l.txHash, l.stored.height, l.leafIndex, this.final()),
      await this.registrations(block.header),
    )
  }

  /** The registration path of a block's producer, when it is not a genesis producer (docs/protocol.md §6.4). */
  async registrations(header: Uint8Array): Promise<RegistrationStep[] | undefined> {
    const h = decodeBlockHeader(header)
    return this.registrationsOf(h.producer, h.height)
  }

  /** The same, for block `height` sealed by `producer`. */
  registrationsOf(producer: Uint8Array, height: number): Promise<RegistrationStep[] | undefined> {
    return registrationPath(this.db, this.c.genesis, producer, height)
  }

  async blockView(height: number): Promise<BlockView> {
    const b = await this.storedBlock(height)
    if (!b) throw new SteleError('STELE_NOT_FOUND', `no block at height ${height}`)
    return blockView(b)
  }
}
