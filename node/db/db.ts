import type { ClassicLevel } from 'classic-level'
import { openLevel } from '../../core/level.ts'

/** String keys (readable, ordered), byte values. One LevelDB per node data folder. */
export type Db = ClassicLevel<string, Uint8Array>
export type DbOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }
/**
 * Where a write path puts its keys: a LevelDB chained batch (copies key and value at once, so a value may be a view
 * of a buffer reused later) or an array adapter. Chained puts cost about half of an array batch's per-op conversion.
 */
export interface PutSink {
  put(key: string, value: Uint8Array): unknown
}

/**
 * LevelDB reads an open table file through mmap, so every page of it read once stays in RSS (as clean file pages)
 * until the table leaves the table cache: at the default 1000 open files a 1 GiB download kept ~950 MB of tables
 * mapped. 100 keeps the ~90 most recently used tables (2 MB each once compacted, up to the 16 MB memtable size at
 * level 0), whatever the data's size; readings queries on 10M readings (274 tables) spent the same CPU per request.
 */
const MAX_OPEN_FILES = 100

export async function openDb(location: string): Promise<Db> {
  // A 16 MB memtable (LevelDB's default is 4 MB) makes a quarter of the level-0 files, so compaction merges less:
  // CPU of the LevelDB threads per accepted record 7.4 -> 5.9 us, for at most 24 MB more memory.
  return openLevel<string, Uint8Array>(location, {
    what: 'node database',
    keyEncoding: 'utf8',
    valueEncoding: 'view',
    writeBufferSize: 16 * 1024 * 1024,
    maxOpenFiles: MAX_OPEN_FILES,
  })
}

/** Gets many keys at once; undefined where absent. */
export async function getMany(db: Db, keys: string[]): Promise<(Uint8Array | undefined)[]> {
  return keys.length === 0 ? [] : db.getMany(keys)
}
