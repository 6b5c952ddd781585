import { createHash } from 'node:crypto'
import type { Timers } from '../../../core/timers.ts'
import { type Db, openDb } from '../../../node/db/db.ts'
import { Storage, type StorageInit } from '../../../node/storage/storage.ts'
import { tempDir } from '../../helpers/tmp.ts'

/** A clock the test moves by hand (gc expiry); timers never fire on their own. */
export function handClock(start = 1_700_000_000_000): Timers & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    set: () => undefined,
    clear: () => undefined,
    advance: (ms) => {
      now += ms
    },
  }
}

/** A Storage on a real LevelDB in a temp folder. */
export async function storageFixture(init: StorageInit = {}) {
  const dir = await tempDir('stele-storage-')
  const clock = handClock()
  let db: Db = await openDb(dir.path)
  let storage = new Storage(init, { db, timers: clock })
  await storage.load()
  return {
    get storage() {
      return storage
    },
    get db() {
      return db
    },
    clock,
    async reopen() {
      await db.close()
      db = await openDb(dir.path)
      storage = new Storage(init, { db, timers: clock })
      await storage.load()
      return storage
    },
    async close() {
      await db.close()
      await dir.cleanup()
    },
  }
}

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/** SHA-256 and length of a byte stream, so large files are compared without holding them. */
export async function digestOf(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
  const h = createHash('sha256')
  let size = 0
  for await (const b of source) {
    h.update(b)
    size += b.length
  }
  return { sha256: h.digest('hex'), size }
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return Buffer.concat(parts)
}

/** Deterministic bytes (no randomness in tests), each 256 KiB chunk different: a linear congruential sequence. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}
