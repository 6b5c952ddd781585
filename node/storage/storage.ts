import { decode as decodePb } from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import {
  DAG_PB,
  decodeFileNode,
  RAW,
  type StorageProofBundle,
  selectChild,
} from '../../core/storage-proof.ts'
import type { Timers } from '../../core/timers.ts'
import type { Db } from '../db/db.ts'
import { prefixEnd } from '../db/keys.ts'
import { type BlockStats, LevelBlockstore } from './blockstore.ts'
import { fileRoot, MAX_DEPTH, readFile } from './file-read.ts'
import { collectGarbage } from './gc.ts'
import { json, SK, unjson } from './keys.ts'
import { RwLock } from './rw-lock.ts'

export interface StorageInit {
  /** An upload that is not pinned (or, from phase 2, referenced by a drive) is removed by gc after this, ms. Default 24 h. */
  expireAfterMs?: number
  /** Largest file one upload may send, bytes. Default 16 GiB. */
  maxUploadBytes?: number
}

export interface StorageComponents {
  db: Db
  timers: Timers
}

export interface AddResult {
  cid: string
  size: number
  blocks: number
}

export interface UploadInfo {
  cid: string
  size: number
  blocks: number
  at: number
}

export interface FileStat {
  cid: string
  size: number
  type: 'raw' | 'file'
  pinned: boolean
  uploadedAt?: number
  expiresAt?: number
}

export interface GcResult {
  expiredUploads: number
  deletedBlocks: number
  deletedBytes: number
  keptBlocks: number
}

export const DEFAULT_EXPIRE_AFTER_MS = 24 * 3600_000
export const DEFAULT_MAX_UPLOAD_BYTES = 16 * 2 ** 30
export { MAX_DEPTH } from './file-read.ts'

/** A CID from a request: CIDv0 or v1 text; STELE_BAD_REQUEST otherwise. */
export function cidParam(text: string): CID {
  try {
    return CID.parse(text).toV1()
  } catch {
    throw new SteleError('STELE_BAD_REQUEST', `${JSON.stringify(text.slice(0, 100))} is not a CID`)
  }
}

/** Counts bytes through an upload and stops it past the limit. */
async function* counted(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  seen: { bytes: number },
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    signal?.throwIfAborted()
    seen.bytes += chunk.length
    if (seen.bytes > limit)
      throw new SteleError(
        'STELE_PAYLOAD_TOO_LARGE',
        `the file is larger than the node accepts (${limit} bytes)`,
        {
          details: { limit },
        },
      )
    yield chunk
  }
}

/**
 * The node's content-addressed store (the importer and the CAR codec are loaded on first use: a node that never
 * adds or moves a file does not hold them): files as UnixFS DAGs with kubo's CIDs, CAR import and export, byte-offset
 * proofs, uploads with their time, pins and gc. Blocks are written under a shared lock, gc takes it alone.
 */
export class Storage {
  readonly blocks: LevelBlockstore
  readonly expireAfterMs: number
  readonly maxUploadBytes: number
  /** The node's LevelDB: the CAR import and gc (car-import.ts, gc.ts) work on it beside the blockstore. */
  readonly db: Db
  private readonly timers: Timers
  private readonly lock = new RwLock()
  private readonly pinned = new Set<string>()
  private imports = 0

  constructor(init: StorageInit, { db, timers }: StorageComponents) {
    this.db = db
    this.timers = timers
    this.blocks = new LevelBlockstore(db)
    this.expireAfterMs = init.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS
    this.maxUploadBytes = init.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES
  }

  /** The storage's clock, epoch ms. */
  now(): number {
    return this.timers.now()
  }

  get stats(): Readonly<BlockStats> & { pins: number } {
    return { ...this.blocks.stats, pins: this.pinned.size }
  }

  /** Reads the counters and pins; counts the blocks once when the counters were never written. */
  async load(): Promise<void> {
    for await (const key of this.db.keys({ gte: SK.pinPrefix, lt: prefixEnd(SK.pinPrefix) }))
      this.pinned.add(key.slice(SK.pinPrefix.length))
    const saved = await this.db.get(SK.stats)
    if (saved) Object.assign(this.blocks.stats, unjson<BlockStats>(saved))
    else Object.assign(this.blocks.stats, await this.countBlocks())
  }

  /** Counts the stored blocks and bytes by reading them all. */
  async countBlocks(): Promise<BlockStats> {
    const s = { blocks: 0, bytes: 0 }
    for await (const value of this.db.values({
      gte: SK.blockPrefix,
      lt: prefixEnd(SK.blockPrefix),
    })) {
      s.blocks++
      s.bytes += value.length
    }
    return s
  }

  saveStats(): Promise<void> {
    return this.db.put(SK.stats, json(this.blocks.stats))
  }

  async recordUpload(u: UploadInfo): Promise<void> {
    await this.db.put(SK.upload(u.cid), json(u))
  }

  /** Chunks a byte stream into a UnixFS DAG (kubo's CID), stores its blocks and records the upload. */
  async add(source: AsyncIterable<Uint8Array>, opts: { signal?: AbortSignal } = {}): Promise<AddResult> {
    const [{ importFile }, { kuboV1Options }] = await Promise.all([
      import('ipfs-unixfs-importer'),
      import('./unixfs-options.ts'),
    ])
    return this.lock.read(async () => {
      const seen = { bytes: 0 }
      let blocks = 0
      const store = {
        put: (cid: CID, bytes: Uint8Array) => {
          blocks++
          return this.blocks.put(cid, bytes)
        },
      }
      const entry = await importFile(
        { content: counted(source, this.maxUploadBytes, seen, opts.signal) },
        store,
        kuboV1Options(),
      )
      const result = { cid: entry.cid.toV1().toString(), size: seen.bytes, blocks }
      await this.recordUpload({ ...result, at: this.timers.now() })
      await this.saveStats()
      return result
    })
  }

  /** The root's kind and file size; STELE_NOT_FOUND when absent, STELE_BAD_REQUEST when not a UnixFS file. */
  async stat(cid: CID): Promise<FileStat> {
    const { size } = fileRoot(cid, await this.blocks.getBytes(cid))
    const text = cid.toString()
    const type: FileStat['type'] = cid.code === RAW ? 'raw' : 'file'
    const out: FileStat = { cid: text, size, type, pinned: this.pinned.has(text) }
    const up = await this.db.get(SK.upload(text))
    if (up) {
      out.uploadedAt = unjson<UploadInfo>(up).at
      out.expiresAt = out.uploadedAt + this.expireAfterMs
    }
    return out
  }

  /**
   * The file's bytes from `offset`, `length` of them (to the end when absent), pulled block by block with a bounded
   * read-ahead (file-read.ts). STELE_NOT_FOUND before any byte when the root is absent.
   */
  async cat(cid: CID, range: { offset?: number; length?: number } = {}): Promise<AsyncIterable<Uint8Array>> {
    return readFile((c) => this.blocks.getBytes(c), fileRoot(cid, await this.blocks.getBytes(cid)), range)
  }

  /** Every block of the DAG, depth first from the root (kubo's `dag export` order); a missing block throws. */
  async *walk(root: CID, get: (cid: CID) => Promise<Uint8Array> = (c) => this.blocks.getBytes(c)) {
    const stack: { cid: CID; depth: number }[] = [{ cid: root, depth: 0 }]
    const seen = new Set<string>()
    while (stack.length > 0) {
      const { cid, depth } = stack.pop()!
      const key = cid.toString()
      if (seen.has(key)) continue
      seen.add(key)
      const bytes = await get(cid)
      yield { cid, bytes }
      if (cid.code !== DAG_PB) continue
      if (depth >= MAX_DEPTH) throw new SteleError('STELE_BAD_REQUEST', `${root} is deeper than ${MAX_DEPTH}`)
      const links = decodePb(bytes).Links
      for (let i = links.length - 1; i >= 0; i--) stack.push({ cid: links[i]!.Hash.toV1(), depth: depth + 1 })
    }
  }

  /** The DAG as a CAR v1 stream with the root as its one root. STELE_NOT_FOUND before any byte when absent. */
  async exportCar(root: CID): Promise<AsyncIterable<Uint8Array>> {
    await this.blocks.getBytes(root)
    const { CarWriter } = await import('@ipld/car')
    const { writer, out } = CarWriter.create([root])
    const feed = async () => {
      try {
        for await (const block of this.walk(root)) await writer.put(block)
      } finally {
        await writer.close()
      }
    }
    // The writer's put waits for the reader, so the export holds one block at a time.
    const done = feed()
    return (async function* () {
      yield* out
      await done
    })()
  }

  /**
   * Imports a CAR v1: every block's hash is checked against its CID and every root's DAG must be complete, or the
   * import is refused whole (STELE_CAR_INVALID) and nothing is stored. Blocks are staged under their own prefix
   * while the stream is read (constant memory), then moved; each root is recorded as an upload.
   */
  async importCar(
    source: AsyncIterable<Uint8Array>,
  ): Promise<{ roots: string[]; blocks: number; bytes: number }> {
    const { importStaged } = await import('./car-import.ts')
    return this.lock.read(async () => {
      const id = `${this.timers.now().toString(36)}-${(this.imports++).toString(36)}`
      const prefix = SK.stagedPrefix(id)
      try {
        return await importStaged(this, source, id)
      } finally {
        await this.db.clear({ gte: prefix, lt: prefixEnd(prefix) })
      }
    })
  }

  /** The byte-offset proof of `offset` in the file `root` (verifyStorageProof in core checks it). */
  async proof(root: CID, offset: number): Promise<StorageProofBundle & { fileSize: number }> {
    const { size } = await this.stat(root)
    if (offset >= size)
      throw new SteleError(
        'STELE_RANGE_NOT_SATISFIABLE',
        `offset ${offset} is past the file's ${size} bytes`,
        {
          details: { size },
        },
      )
    const nodes: Uint8Array[] = []
    let cur = root
    let rel = offset
    for (;;) {
      const bytes = await this.blocks.getBytes(cur)
      if (cur.code === RAW) return { offset, nodes, leaf: bytes, fileSize: size }
      const child = nodes.length < MAX_DEPTH ? selectChild(decodeFileNode(bytes), rel) : undefined
      if (!child?.cid)
        throw new SteleError('STELE_BAD_REQUEST', `${root} does not keep byte ${offset} in a raw leaf`)
      nodes.push(bytes)
      cur = child.cid.toV1()
      rel = child.offset
    }
  }

  /** Pins a stored root: gc keeps it and its DAG until unpinned. */
  async pin(cid: CID): Promise<void> {
    await this.blocks.getBytes(cid)
    await this.db.put(SK.pin(cid.toString()), json({ at: this.timers.now() }))
    this.pinned.add(cid.toString())
  }

  /** Unpins; false when it was not pinned. */
  async unpin(cid: CID): Promise<boolean> {
    const text = cid.toString()
    if (!this.pinned.has(text)) return false
    await this.db.del(SK.pin(text))
    this.pinned.delete(text)
    return true
  }

  async pins(): Promise<{ cid: string; at: number }[]> {
    const out: { cid: string; at: number }[] = []
    for await (const [key, value] of this.db.iterator({ gte: SK.pinPrefix, lt: prefixEnd(SK.pinPrefix) }))
      out.push({ cid: key.slice(SK.pinPrefix.length), at: unjson<{ at: number }>(value).at })
    return out
  }

  /** Uploads in CID order, from after `cursor`, at most `limit`. */
  async uploads(limit: number, after?: string): Promise<UploadInfo[]> {
    const out: UploadInfo[] = []
    const range = after
      ? { gt: SK.upload(after), lt: prefixEnd(SK.uploadPrefix) }
      : { gte: SK.uploadPrefix, lt: prefixEnd(SK.uploadPrefix) }
    for await (const value of this.db.values({ ...range, limit })) out.push(unjson<UploadInfo>(value))
    return out
  }

  /**
   * Removes expired unpinned uploads, then every block no kept root reaches (mark and sweep), and staging left by
   * an interrupted import; rewrites the counters exactly. Uploads and imports wait while it runs.
   */
  async gc(): Promise<GcResult> {
    return this.lock.write(() =>
      collectGarbage(this, {
        pinned: this.pinned,
        now: this.timers.now(),
        expireAfterMs: this.expireAfterMs,
      }),
    )
  }
}
