import { decode as decodePb } from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'
import { type BackoffOptions, backoffDelay } from '../../core/backoff.ts'
import { SteleError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { DAG_PB } from '../../core/storage-proof.ts'
import { sleep, type Timers } from '../../core/timers.ts'
import { MAX_DEPTH, type Storage } from './storage.ts'

export interface ReplicaFetcherInit {
  /** Files fetched at once (default 2): a replicator assigned many drives does not flood its peers. */
  concurrency?: number
  /** Attempts per file before leaving it to the challenge-time fetch (default 8). */
  attempts?: number
  /** Bound on one attempt, ms (default 120 s). */
  timeoutMs?: number
  /** Wait between attempts (core/backoff.ts; default 1 s doubling to 60 s, half jitter). */
  backoff?: Partial<BackoffOptions>
}

export interface ReplicaFetcherComponents {
  storage: Storage
  /** Fetches from peers every block of the DAG under `root` that the store lacks; resolves with the count. */
  fetchDag: (root: CID, opts: { signal: AbortSignal }) => Promise<number>
  timers: Timers
  random: () => number
  logger: Logger
}

/** What this node holds of one drive it is assigned (GET /v1/drives/:id `replica`). */
export interface ReplicaState {
  held: boolean
  /** Blocks known missing: a missing interior node counts once, its children are not known yet. */
  missingBlocks: number
  fetching: boolean
  lastFetchError?: string
}

const BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.5 }

/** Blocks of the DAG under `root` this store lacks, reading only interior nodes (leaves are checked by key). */
export async function missingBlocks(storage: Storage, root: CID): Promise<number> {
  const stack: { cid: CID; depth: number }[] = [{ cid: root, depth: 0 }]
  let missing = 0
  while (stack.length > 0) {
    const { cid, depth } = stack.pop()!
    if (!(await storage.blocks.has(cid))) {
      missing++
      continue
    }
    if (cid.code !== DAG_PB || depth >= MAX_DEPTH) continue
    for (const l of decodePb(await storage.blocks.getBytes(cid)).Links)
      stack.push({ cid: l.Hash.toV1(), depth: depth + 1 })
  }
  return missing
}

interface Job {
  cid: CID
  drives: Set<string>
}

/**
 * Fetches a replicator's files as soon as the chain assigns them (docs/network.md §Storage across nodes): one job
 * per file, at most `concurrency` at once, each retried on the one backoff until it is held or `attempts` run out,
 * then pinned. stop() aborts what runs. The challenge-time fetch in DriveService.answer stays the fallback.
 */
export class ReplicaFetcher {
  /** Blocks fetched, and attempts that failed, since start (/metrics). */
  readonly counters = { fetchedBlocks: 0, failures: 0 }
  private readonly jobs = new Map<string, Job>()
  private readonly queue: Job[] = []
  private readonly running = new Set<Promise<void>>()
  private readonly errors = new Map<string, string>()
  private readonly stopping = new AbortController()
  private readonly concurrency: number
  private readonly attempts: number
  private readonly timeoutMs: number
  private readonly backoff: Partial<BackoffOptions>

  constructor(
    init: ReplicaFetcherInit,
    private readonly c: ReplicaFetcherComponents,
  ) {
    this.concurrency = Math.max(1, init.concurrency ?? 2)
    this.attempts = Math.max(1, init.attempts ?? 8)
    this.timeoutMs = init.timeoutMs ?? 120_000
    this.backoff = { ...BACKOFF, ...init.backoff }
  }

  /** Files waiting or being fetched. */
  get pending(): number {
    return this.jobs.size
  }

  /** Queues the files of `drive` (hex id) not already queued; a file held whole is only pinned. */
  want(drive: string, cids: readonly CID[]): void {
    if (this.stopping.signal.aborted) return
    for (const cid of cids) {
      const key = cid.toString()
      const job = this.jobs.get(key)
      if (job) {
        job.drives.add(drive)
        continue
      }
      const next = { cid, drives: new Set([drive]) }
      this.jobs.set(key, next)
      this.queue.push(next)
    }
    this.pump()
  }

  /** This node's replica of a drive's files, as GET /v1/drives/:id reports it. */
  async state(drive: string, cids: readonly CID[]): Promise<ReplicaState> {
    let missing = 0
    for (const cid of cids) missing += await missingBlocks(this.c.storage, cid)
    const out: ReplicaState = {
      held: missing === 0,
      missingBlocks: missing,
      fetching: cids.some((cid) => this.jobs.has(cid.toString())),
    }
    const err = this.errors.get(drive)
    if (err !== undefined && missing > 0) out.lastFetchError = err
    return out
  }

  /** Resolves once nothing is queued or running (tests wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  /** Aborts the fetches under way and waits for them. */
  async stop(): Promise<void> {
    this.stopping.abort(new SteleError('STELE_UNAVAILABLE', 'the node is stopping'))
    this.queue.length = 0
    await this.idle()
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!
      const run: Promise<void> = this.run(job).finally(() => {
        this.jobs.delete(job.cid.toString())
        this.running.delete(run)
        this.pump()
      })
      this.running.add(run)
    }
  }

  private async run(job: Job): Promise<void> {
    const { storage, logger } = this.c
    const stop = this.stopping.signal
    const log = { cid: job.cid.toString(), drives: [...job.drives] }
    for (let attempt = 0; attempt < this.attempts && !stop.aborted; attempt++) {
      try {
        const fetched = (await missingBlocks(storage, job.cid)) === 0 ? 0 : await this.fetchOnce(job.cid)
        await storage.pin(job.cid)
        for (const d of job.drives) this.errors.delete(d)
        if (fetched > 0) logger.info({ ...log, fetched }, 'replica fetched on assignment')
        return
      } catch (err) {
        if (stop.aborted) return
        this.counters.failures++
        for (const d of job.drives) this.errors.set(d, (err as Error).message)
        logger.warn({ ...log, err, attempt }, 'replica fetch failed; retrying')
        await sleep(backoffDelay(attempt, this.backoff, this.c.random), this.c.timers, stop).catch(() => {})
      }
    }
    if (!stop.aborted) logger.warn(log, 'replica fetch gave up; the challenge will fetch again')
  }

  /** One fetch now (the challenge-time fallback too), bounded by `timeoutMs` on the injected timers, aborted by stop(). */
  async fetchOnce(cid: CID): Promise<number> {
    this.stopping.signal.throwIfAborted()
    const bound = new AbortController()
    const handle = this.c.timers.set(
      () =>
        bound.abort(new SteleError('STELE_UNAVAILABLE', `fetching ${cid} took over ${this.timeoutMs} ms`)),
      this.timeoutMs,
    )
    try {
      const n = await this.c.fetchDag(cid, { signal: AbortSignal.any([this.stopping.signal, bound.signal]) })
      this.counters.fetchedBlocks += n
      return n
    } finally {
      this.c.timers.clear(handle)
    }
  }
}
