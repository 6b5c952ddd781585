import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { type Genesis, genesisToJson } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { inclusionPath, leafHash } from '../../core/merkle.ts'
import { type ProofBundle, toProofBundle } from '../../core/proof.ts'
import { decodeRecord, decodeRecordList } from '../../core/record.ts'
import { decodeTx } from '../../core/transaction.ts'
import {
  decodeLocated,
  decodeStoredBlock,
  decodeStoredTx,
  type StoredBlock,
  type StoredTx,
} from '../storage/codec.ts'
import type { Db } from '../storage/db.ts'
import { K } from '../storage/keys.ts'
import type { Mempool } from './mempool.ts'
import { type ReadingView, readingView } from './reading-view.ts'

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

const CURSOR_PREFIX = 'r1.'

/** Read side of the ledger: indexes to views, and proofs built from stored blocks, transactions and record objects. */
export class ChainQuery {
  // Heights of recently seen transactions: a page of readings usually shares a handful of batches.
  private readonly heights = new Map<string, number>()

  constructor(
    private readonly db: Db,
    private readonly genesis: Genesis,
    private readonly mempool: Mempool,
  ) {}

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

  private async view(id: string, value: Uint8Array): Promise<ReadingView> {
    const loc = decodeLocated(value)
    const txHash = toHex(loc.txHash)
    return readingView(id, decodeRecord(loc.record), txHash, await this.txHeight(txHash))
  }

  async readings(q: ReadingQuery): Promise<Page<ReadingView>> {
    const prefix = q.sensor === undefined ? K.byDevice(q.device) : K.bySensor(q.device, q.sensor)
    const lo = prefix + (q.from === undefined ? '' : K.timeBound(q.from))
    // `to` is inclusive to the millisecond: everything before the next millisecond.
    const hi = prefix + (q.to === undefined ? '\uffff' : K.timeBound(q.to + 1))
    const range: { gte?: string; gt?: string; lt?: string; lte?: string } = { gte: lo, lt: hi }
    if (q.cursor !== undefined) {
      const after = decodeCursor(q.cursor, prefix)
      // Keys are strings: compare lexicographically, never numerically.
      if (q.order === 'asc') {
        if (after >= lo) {
          delete range.gte
          range.gt = after
        }
      } else if (after <= hi) range.lt = after
    }
    const items: ReadingView[] = []
    let lastKey: string | undefined
    for await (const [key, value] of this.db.iterator({
      ...range,
      reverse: q.order === 'desc',
      limit: q.limit + 1,
    })) {
      if (items.length === q.limit) {
        return { items, nextCursor: encodeCursor(lastKey!) }
      }
      items.push(await this.view(toHex(leafHash(decodeLocated(value).record)), value))
      lastKey = key
    }
    return { items, nextCursor: null }
  }

  async reading(id: string): Promise<ReadingView> {
    const v = await this.db.get(K.reading(id))
    if (!v) throw new SteleError('STELE_NOT_FOUND', `no reading with id ${id}`)
    return this.view(id, v)
  }

  async storedTx(hash: string): Promise<StoredTx | undefined> {
    const v = await this.db.get(K.tx(hash))
    return v ? decodeStoredTx(v) : undefined
  }

  async storedBlock(height: number): Promise<StoredBlock | undefined> {
    const v = await this.db.get(K.block(height))
    return v ? decodeStoredBlock(v) : undefined
  }

  async proof(id: string): Promise<ProofBundle> {
    const v = await this.db.get(K.reading(id))
    if (!v) throw new SteleError('STELE_NOT_FOUND', `no reading with id ${id}`)
    const loc = decodeLocated(v)
    const txHash = toHex(loc.txHash)
    const stored = await this.storedTx(txHash)
    if (!stored)
      throw new SteleError(
        'STELE_READING_PENDING',
        `reading ${id} is not sealed in a block yet; ask again after the next block`,
      )
    const block = await this.storedBlock(stored.height)
    if (!block)
      throw new SteleError('STELE_STORAGE', `block ${stored.height} is missing for transaction ${txHash}`)
    const header = decodeBatchHeader(decodeTx(stored.tx).payload)
    const object = await this.db.get(K.object(toHex(header.recordsRoot)))
    if (!object) throw new SteleError('STELE_STORAGE', `records object of transaction ${txHash} is missing`)
    const leaves = decodeRecordList(object).map(leafHash)
    const view = await this.view(id, v)
    return toProofBundle(
      {
        record: loc.record,
        recordIndex: loc.leafIndex,
        recordPath: inclusionPath(leaves, loc.leafIndex),
        batchTx: stored.tx,
        txIndex: stored.index,
        txPath: inclusionPath(block.txHashes.map(leafHash), stored.index),
        blockHeader: block.header,
        blockSignature: block.signature,
        genesis: genesisToJson(this.genesis),
      },
      view,
    )
  }

  async blockView(height: number): Promise<BlockView> {
    const b = await this.storedBlock(height)
    if (!b) throw new SteleError('STELE_NOT_FOUND', `no block at height ${height}`)
    return blockView(b)
  }
}

export interface BlockView {
  height: number
  hash: string
  prevHash: string
  time: number
  timeIso: string
  txRoot: string
  txCount: number
  producer: string
  signature: string
  transactions: string[]
}

export function blockView(b: StoredBlock): BlockView {
  const h = decodeBlockHeader(b.header)
  return {
    height: h.height,
    hash: toHex(sha256(b.header)),
    prevHash: toHex(h.prevHash),
    time: h.time,
    timeIso: new Date(h.time).toISOString(),
    txRoot: toHex(h.txRoot),
    txCount: h.txCount,
    producer: toHex(h.producer),
    signature: toHex(b.signature),
    transactions: b.txHashes.map(toHex),
  }
}

function encodeCursor(key: string): string {
  return CURSOR_PREFIX + Buffer.from(key, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string, prefix: string): string {
  if (!cursor.startsWith(CURSOR_PREFIX))
    throw new SteleError('STELE_BAD_CURSOR', 'cursor was not issued by this node')
  const key = Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')
  if (!key.startsWith(prefix))
    throw new SteleError('STELE_BAD_CURSOR', 'cursor belongs to another device, sensor or query')
  return key
}
