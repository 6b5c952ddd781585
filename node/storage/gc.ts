import { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import type { DbOp } from '../db/db.ts'
import { prefixEnd } from '../db/keys.ts'
import { LevelBlockstore } from './blockstore.ts'
import { SK, unjson } from './keys.ts'
import type { GcResult, Storage, UploadInfo } from './storage.ts'

/**
 * Mark and sweep (Storage.gc holds the write lock): removes expired unpinned upload records, marks every block a
 * pin or a live upload reaches, deletes the rest and any staging an interrupted import left, and rewrites the
 * counters exactly.
 */
export async function collectGarbage(
  s: Storage,
  { pinned, now, expireAfterMs }: { pinned: ReadonlySet<string>; now: number; expireAfterMs: number },
): Promise<GcResult> {
  const roots = new Set(pinned)
  let expiredUploads = 0
  for await (const [key, value] of s.db.iterator({
    gte: SK.uploadPrefix,
    lt: prefixEnd(SK.uploadPrefix),
  })) {
    const u = unjson<UploadInfo>(value)
    if (pinned.has(u.cid) || u.at + expireAfterMs > now) roots.add(u.cid)
    else {
      await s.db.del(key)
      expiredUploads++
    }
  }
  const keep = new Set<string>()
  for (const root of roots) {
    const get = async (cid: CID) => {
      const b = await s.db.get(LevelBlockstore.key(cid))
      if (b === undefined) throw new SteleError('STELE_NOT_FOUND', `block ${cid} missing`)
      return b
    }
    try {
      for await (const { cid } of s.walk(CID.parse(root), get)) keep.add(LevelBlockstore.key(cid))
    } catch (e) {
      // A root whose DAG is incomplete keeps what it reaches; the rest is swept like any other garbage.
      if (!(e instanceof SteleError)) throw e
    }
  }
  let deletedBlocks = 0
  let deletedBytes = 0
  let ops: DbOp[] = []
  for await (const [key, value] of s.db.iterator({
    gte: SK.blockPrefix,
    lt: prefixEnd(SK.blockPrefix),
  })) {
    if (keep.has(key)) continue
    ops.push({ type: 'del', key })
    deletedBlocks++
    deletedBytes += value.length
    if (ops.length >= 256) {
      await s.db.batch(ops)
      ops = []
    }
  }
  if (ops.length > 0) await s.db.batch(ops)
  await s.db.clear({ gte: SK.stagingPrefix, lt: prefixEnd(SK.stagingPrefix) })
  Object.assign(s.blocks.stats, await s.countBlocks())
  await s.saveStats()
  return { expiredUploads, deletedBlocks, deletedBytes, keptBlocks: s.blocks.stats.blocks }
}
