import type { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import type { Db } from '../db/db.ts'
import { SK } from './keys.ts'

type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

async function toBytes(input: BlockInput): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input
  const parts: Uint8Array[] = []
  for await (const p of input) parts.push(p)
  return Buffer.concat(parts)
}

/** What the blockstore holds; kept in memory, persisted by the storage service after each write and by gc. */
export interface BlockStats {
  blocks: number
  bytes: number
}

/**
 * Blocks on the node's LevelDB under `c:b:<CIDv1>`, with the `put`/`get` shape ipfs-unixfs-importer and -exporter
 * take (interface-blockstore: get yields the block's bytes). A block is written once: a put of a block already
 * held is a no-op, so the counters count distinct blocks.
 */
export class LevelBlockstore {
  readonly stats: BlockStats = { blocks: 0, bytes: 0 }

  constructor(private readonly db: Db) {}

  static key(cid: CID): string {
    return SK.block(cid.toV1().toString())
  }

  async put(cid: CID, input: BlockInput): Promise<CID> {
    const bytes = await toBytes(input)
    const key = LevelBlockstore.key(cid)
    if ((await this.db.get(key)) !== undefined) return cid
    await this.db.put(key, bytes)
    this.stats.blocks++
    this.stats.bytes += bytes.length
    return cid
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.getBytes(cid)
  }

  /** The block's bytes; STELE_NOT_FOUND when this node does not hold it. */
  async getBytes(cid: CID): Promise<Uint8Array> {
    const bytes = await this.db.get(LevelBlockstore.key(cid))
    if (bytes === undefined)
      throw new SteleError('STELE_NOT_FOUND', `block ${cid.toV1()} is not stored on this node`, {
        details: { cid: cid.toV1().toString() },
      })
    return bytes
  }

  async has(cid: CID): Promise<boolean> {
    return (await this.db.get(LevelBlockstore.key(cid))) !== undefined
  }

  async delete(cid: CID): Promise<void> {
    const key = LevelBlockstore.key(cid)
    const bytes = await this.db.get(key)
    if (bytes === undefined) return
    await this.db.del(key)
    this.stats.blocks--
    this.stats.bytes -= bytes.length
  }
}
