import type { Db } from './db.ts'
import { K, prefixEnd } from './keys.ts'

/** The acceptance number of the last accepted batch on disk (the `a:` index), 0 when there is none. */
export async function lastAcceptSeq(db: Db): Promise<number> {
  const last = await db
    .keys({ gt: K.acceptedPrefix, lt: prefixEnd(K.acceptedPrefix), reverse: true, limit: 1 })
    .all()
  return last[0] ? Number.parseInt(last[0].slice(K.acceptedPrefix.length), 16) : 0
}
