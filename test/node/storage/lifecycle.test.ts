import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { CHUNK_SIZE } from '../../../node/storage/unixfs-options.ts'
import { kuboRandom } from '../../helpers/kubo-random.ts'
import { collect, storageFixture } from './fixture.ts'

const HOUR = 3600_000
let fx: Awaited<ReturnType<typeof storageFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const source = (size: number, seed: string) =>
  (async function* () {
    yield* kuboRandom(size, seed, 65_536)
  })()

describe('uploads, expiry, pins and gc', () => {
  it('keeps an upload until it expires, a pinned one after, and frees every block of the expired one', async () => {
    fx = await storageFixture({ expireAfterMs: HOUR })
    const a = await fx.storage.add(source(2 * CHUNK_SIZE + 1, 'a'))
    const b = await fx.storage.add(source(3 * CHUNK_SIZE, 'b'))
    await fx.storage.pin(CID.parse(b.cid))
    expect(fx.storage.stats).toMatchObject({ blocks: 4 + 4, pins: 1 })

    fx.clock.advance(HOUR - 1)
    expect(await fx.storage.gc()).toMatchObject({ expiredUploads: 0, deletedBlocks: 0 })

    fx.clock.advance(1)
    const r = await fx.storage.gc()
    expect(r).toMatchObject({ expiredUploads: 1, deletedBlocks: 4, keptBlocks: 4 })
    expect(r.deletedBytes).toBeGreaterThan(2 * CHUNK_SIZE)
    await expect(fx.storage.stat(CID.parse(a.cid))).rejects.toMatchObject({ code: 'STELE_NOT_FOUND' })
    const kept = await collect(await fx.storage.cat(CID.parse(b.cid)))
    expect(Buffer.compare(kept, Buffer.concat([...kuboRandom(3 * CHUNK_SIZE, 'b')]))).toBe(0)

    // Counters and pins survive a restart; unpinned, the file goes at the next gc.
    const s = await fx.reopen()
    expect(s.stats).toMatchObject({ blocks: 4, pins: 1 })
    await s.unpin(CID.parse(b.cid))
    expect(await s.gc()).toMatchObject({ expiredUploads: 1, deletedBlocks: 4, keptBlocks: 0 })
    expect(s.stats).toEqual({ blocks: 0, bytes: 0, pins: 0 })
  })

  it('a block shared by a kept and an expired file stays', async () => {
    fx = await storageFixture({ expireAfterMs: HOUR })
    // Same first chunk: the two DAGs share a leaf.
    const first = [...kuboRandom(CHUNK_SIZE, 'shared')][0]!
    const one = await fx.storage.add(
      (async function* () {
        yield first
        yield new Uint8Array(10).fill(1)
      })(),
    )
    fx.clock.advance(HOUR)
    const two = await fx.storage.add(
      (async function* () {
        yield first
        yield new Uint8Array(10).fill(2)
      })(),
    )
    expect(await fx.storage.gc()).toMatchObject({ expiredUploads: 1, deletedBlocks: 2 })
    expect((await collect(await fx.storage.cat(CID.parse(two.cid)))).length).toBe(CHUNK_SIZE + 10)
    expect(one.cid).not.toBe(two.cid)
  })

  it('gc waits for an upload under way instead of sweeping its blocks', async () => {
    fx = await storageFixture({ expireAfterMs: 0 })
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let waiting!: () => void
    const reading = new Promise<void>((r) => {
      waiting = r
    })
    const adding = fx.storage.add(
      (async function* () {
        yield* kuboRandom(2 * CHUNK_SIZE, 'slow', CHUNK_SIZE)
        waiting()
        await gate
        yield new Uint8Array(5)
      })(),
    )
    // The upload has read its first chunks and waits for more; gc starts now.
    await reading
    let gcDone = false
    const gc = fx.storage.gc().then((r) => {
      gcDone = true
      return r
    })
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
    expect(gcDone).toBe(false)
    release()
    const added = await adding
    await gc
    // Expiry 0: the upload is swept by this gc, which ran after it, whole (no block of it left behind).
    expect(fx.storage.stats.blocks).toBe(0)
    expect(added.blocks).toBe(4)
  })
})
