import { CarBlockIterator } from '@ipld/car'
import type { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import { blockMatches, DAG_PB, RAW } from '../../core/storage-proof.ts'
import type { DbOp } from '../db/db.ts'
import { prefixEnd } from '../db/keys.ts'
import { SK } from './keys.ts'
import type { Storage } from './storage.ts'

/** Bytes of blocks per LevelDB batch when a CAR import moves its staged blocks. */
const BATCH_BYTES = 8 * 2 ** 20

/**
 * A CAR v1 import (Storage.importCar holds the lock and clears the staging): every block's hash checked against its
 * CID and staged under `c:s:<id>:` as the stream is read, every root's DAG walked whole over the staged and held
 * blocks, then the staged blocks moved to `c:b:` in batches and each root recorded as an upload. Any failure is
 * STELE_CAR_INVALID and nothing is moved.
 */
export async function importStaged(s: Storage, source: AsyncIterable<Uint8Array>, id: string) {
  const invalid = (message: string, cause?: unknown) =>
    new SteleError('STELE_CAR_INVALID', `CAR refused, nothing stored: ${message}`, cause ? { cause } : {})
  let reader: CarBlockIterator
  try {
    reader = await CarBlockIterator.fromIterable(source)
  } catch (e) {
    throw invalid(`the header does not decode (${(e as Error).message})`, e)
  }
  const roots = (await reader.getRoots()).map((r) => r.toV1())
  if (roots.length === 0) throw invalid('the header names no root')
  let blocks = 0
  let bytes = 0
  const iter = reader[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<{ cid: CID; bytes: Uint8Array }>
    try {
      next = await iter.next()
    } catch (e) {
      if (e instanceof SteleError) throw e
      throw invalid(`block ${blocks + 1} does not decode (${(e as Error).message})`, e)
    }
    if (next.done) break
    const { cid, bytes: data } = next.value
    if (!blockMatches(cid, data))
      throw invalid(`block ${blocks + 1} does not hash to its CID ${cid.toV1()} (SHA-256 only)`)
    if (cid.code !== DAG_PB && cid.code !== RAW)
      throw invalid(`block ${cid.toV1()} is neither dag-pb nor raw`)
    await s.db.put(SK.staged(id, cid.toV1().toString()), data)
    blocks++
    bytes += data.length
  }
  const staged = async (cid: CID): Promise<Uint8Array> => {
    const b = await s.db.get(SK.staged(id, cid.toString()))
    if (b) return b
    if (await s.blocks.has(cid)) return s.blocks.getBytes(cid)
    throw invalid(`block ${cid} of the DAG is missing`)
  }
  for (const root of roots)
    try {
      for await (const _ of s.walk(root, staged));
    } catch (e) {
      if (e instanceof SteleError && e.code === 'STELE_CAR_INVALID') throw e
      throw invalid(`the DAG of ${root} does not decode (${(e as Error).message})`, e)
    }
  await commitStaged(s, id)
  const at = s.now()
  for (const root of roots) {
    const size = await s.stat(root).then(
      (st) => st.size,
      () => 0,
    )
    await s.recordUpload({ cid: root.toString(), size, blocks, at })
  }
  await s.saveStats()
  return { roots: roots.map(String), blocks, bytes }
}

async function commitStaged(s: Storage, id: string): Promise<void> {
  const prefix = SK.stagedPrefix(id)
  let ops: DbOp[] = []
  let size = 0
  const flush = async () => {
    if (ops.length > 0) await s.db.batch(ops)
    ops = []
    size = 0
  }
  for await (const [key, value] of s.db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
    const blockKey = SK.block(key.slice(prefix.length))
    if ((await s.db.get(blockKey)) === undefined) {
      ops.push({ type: 'put', key: blockKey, value })
      s.blocks.stats.blocks++
      s.blocks.stats.bytes += value.length
      size += value.length
    }
    ops.push({ type: 'del', key })
    if (size >= BATCH_BYTES) await flush()
  }
  await flush()
}
