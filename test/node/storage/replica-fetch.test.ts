import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../core/logger.ts'
import type { Timers } from '../../../core/timers.ts'
import { missingBlocks, ReplicaFetcher } from '../../../node/storage/replica-fetcher.ts'
import { until } from '../../helpers/wait.ts'
import { bytes, once, storageFixture } from './fixture.ts'

type Fixture = Awaited<ReturnType<typeof storageFixture>>
const fixtures: Fixture[] = []
const fetchers: ReplicaFetcher[] = []
afterEach(async () => {
  for (const f of fetchers.splice(0)) await f.stop()
  for (const f of fixtures.splice(0)) await f.close()
})

/** Timers that fire only when the test says: the backoff's waits are seen, not slept. */
function heldTimers(): Timers & { waits: number[]; fireAll(): void } {
  const pending = new Map<number, { fn: () => void; ms: number }>()
  let next = 0
  const t = {
    waits: [] as number[],
    now: () => 0,
    set(fn: () => void, ms: number) {
      pending.set(++next, { fn, ms })
      t.waits.push(ms)
      return next
    },
    clear(h: unknown) {
      pending.delete(h as number)
    },
    fireAll() {
      for (const [h, p] of [...pending]) {
        pending.delete(h)
        p.fn()
      }
    },
  }
  return t
}

async function setup(opts: { fail?: number; concurrency?: number } = {}) {
  const origin = await storageFixture()
  const replica = await storageFixture()
  fixtures.push(origin, replica)
  const timers = heldTimers()
  let failures = opts.fail ?? 0
  let running = 0
  let maxRunning = 0
  const gates: (() => void)[] = []
  // The peer: copies the DAG from the origin's real store, every block through the replica's own walk.
  const fetchDag = async (root: CID, { signal }: { signal: AbortSignal }) => {
    running++
    maxRunning = Math.max(maxRunning, running)
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        gates.push(resolve)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
      if (failures-- > 0) throw new Error('peer went away')
      let n = 0
      const get = async (cid: CID) => {
        if (await replica.storage.blocks.has(cid)) return replica.storage.blocks.getBytes(cid)
        const b = await origin.storage.blocks.getBytes(cid)
        await replica.storage.blocks.put(cid, b)
        n++
        return b
      }
      for await (const _ of replica.storage.walk(root, get));
      return n
    } finally {
      running--
    }
  }
  const fetcher = new ReplicaFetcher(
    { concurrency: opts.concurrency ?? 2, attempts: 3 },
    { storage: replica.storage, fetchDag, timers, random: () => 0.5, logger: silentLogger },
  )
  fetchers.push(fetcher)
  const files: CID[] = []
  for (let i = 0; i < 3; i++)
    files.push(CID.parse((await origin.storage.add(once(bytes(600_000, i + 1)))).cid))
  const open = () => {
    for (const g of gates.splice(0)) g()
  }
  return { origin, replica, fetcher, timers, files, open, max: () => maxRunning }
}

describe('the replica fetcher', () => {
  it('fetches assigned files in the background, at most `concurrency` at once, and pins them', async () => {
    const { replica, fetcher, files, open, max } = await setup({ concurrency: 2 })
    expect(await missingBlocks(replica.storage, files[0]!)).toBe(1) // the root: its leaves are not known yet
    fetcher.want('d1', files)
    fetcher.want('d1', files) // queued once
    expect(fetcher.pending).toBe(3)
    expect(await fetcher.state('d1', files)).toMatchObject({ held: false, fetching: true })
    await until(
      async () => {
        open()
        return fetcher.pending === 0
      },
      { what: 'every file fetched', timeoutMs: 10_000, everyMs: 20 },
    )
    expect(max()).toBe(2)
    expect(await fetcher.state('d1', files)).toEqual({ held: true, missingBlocks: 0, fetching: false })
    expect(fetcher.counters.fetchedBlocks).toBe(12)
    expect((await replica.storage.pins()).map((p) => p.cid).sort()).toEqual(files.map(String).sort())
  })

  it('retries a failed fetch on the backoff, reporting the error meanwhile, then holds the file', async () => {
    const { fetcher, timers, files, open } = await setup({ fail: 1 })
    fetcher.want('d2', [files[0]!])
    await until(
      async () => {
        open()
        return fetcher.counters.failures === 1
      },
      { what: 'the first attempt failed', timeoutMs: 10_000, everyMs: 20 },
    )
    // The one backoff, with jitter 0.5 at random() = 0.5: 0.75 × 1 s before the second attempt.
    await until(() => timers.waits.includes(750), { what: 'the backoff wait', timeoutMs: 10_000 })
    expect(timers.waits).toEqual([120_000, 750]) // the attempt's bound, then the wait
    expect(await fetcher.state('d2', [files[0]!])).toMatchObject({
      held: false,
      fetching: true,
      lastFetchError: 'peer went away',
    })
    timers.fireAll()
    await until(
      async () => {
        open()
        return fetcher.pending === 0
      },
      { what: 'the retry fetched the file', timeoutMs: 10_000, everyMs: 20 },
    )
    expect(await fetcher.state('d2', [files[0]!])).toEqual({ held: true, missingBlocks: 0, fetching: false })
  })

  it('stop() aborts a fetch under way and leaves the file missing', async () => {
    const { replica, fetcher, files } = await setup()
    fetcher.want('d3', [files[0]!])
    expect(fetcher.pending).toBe(1)
    await fetcher.stop()
    expect(fetcher.pending).toBe(0)
    expect(fetcher.counters.failures).toBe(0)
    expect(await replica.storage.blocks.has(files[0]!)).toBe(false)
    fetcher.want('d3', [files[0]!]) // a stopped fetcher takes nothing new
    expect(fetcher.pending).toBe(0)
  })
})
