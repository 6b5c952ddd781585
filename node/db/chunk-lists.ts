import { toHex } from '../../core/bytes.ts'
import { chunkRecordsRoot } from './codec.ts'
import { type Db, getMany } from './db.ts'
import { K } from './keys.ts'

/**
 * The record lists of the chunks that name their batch's list instead of holding its records (chunkRecordsRoot), in
 * one getMany; undefined for the others.
 */
export async function chunkLists(db: Db, values: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
  const out: (Uint8Array | undefined)[] = new Array(values.length)
  const keys: string[] = []
  const at: number[] = []
  for (let i = 0; i < values.length; i++) {
    const root = chunkRecordsRoot(values[i]!)
    if (root === undefined) continue
    keys.push(K.object(toHex(root)))
    at.push(i)
  }
  const lists = await getMany(db, keys)
  for (let j = 0; j < at.length; j++) out[at[j]!] = lists[j]
  return out
}
