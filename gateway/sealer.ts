/**
 * Sealing a group of batches (leaf hashes, Merkle root, header, Ed25519 signature), either on the calling thread
 * or in a worker thread (gateway/seal-worker.ts) so that, under load, the gateway's thread is free for MQTT and
 * stamping while the second core hashes. The batcher decides what goes in each batch and keeps the chain state;
 * a sealer only turns record lists into signed transactions, in order, each linked to the previous header.
 */
import type { Worker } from 'node:worker_threads'
import { batchHeaderHash } from '../core/batch.ts'
import type { KeyPair } from '../core/ed25519.ts'
import { SteleError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { decodeRecordList } from '../core/record.ts'
import { sealBatch } from '../core/seal.ts'
import { tsWorker } from '../core/ts-worker.ts'

export interface SealJob {
  seq: number
  firstRecordSeq: number
  minTime: number
  maxTime: number
  /** The encoded record list (encodeRecordList), as the outbox stores it. */
  list: Uint8Array
}

export interface Sealed {
  /** Signed record-batch transaction bytes. */
  tx: Uint8Array
  /** Hash of the batch header: the next batch's prevHash. */
  headerHash: Uint8Array
}

export interface Sealer {
  /** Seals `jobs` in order, the first linked to `prevHash`, each next to the one before. */
  seal(chainId: string, prevHash: Uint8Array, jobs: readonly SealJob[]): Promise<Sealed[]>
  close(): Promise<void>
}

/** The work itself; the worker runs this same function. */
export function sealJobs(
  key: { publicKey: Uint8Array; secretKey: Uint8Array },
  chainId: string,
  prevHash: Uint8Array,
  jobs: readonly SealJob[],
): Sealed[] {
  const out: Sealed[] = []
  let prev = prevHash
  for (const j of jobs) {
    const sealed = sealBatch({
      chainId,
      gateway: key,
      seq: j.seq,
      prevHash: prev,
      records: decodeRecordList(j.list),
      firstRecordSeq: j.firstRecordSeq,
      minTime: j.minTime,
      maxTime: j.maxTime,
    })
    prev = batchHeaderHash(sealed.headerBytes)
    out.push({ tx: sealed.tx.bytes, headerHash: prev })
  }
  return out
}

export function inlineSealer(key: KeyPair): Sealer {
  return {
    seal: (chainId, prevHash, jobs) => Promise.resolve(sealJobs(key, chainId, prevHash, jobs)),
    close: () => Promise.resolve(),
  }
}

interface Job {
  resolve: (r: Sealed[]) => void
  reject: (e: unknown) => void
}

/**
 * Seals in a worker thread; if the worker cannot start or dies, logs it once and seals on this thread from then
 * on (a failed seal would hold every reading unacknowledged). Until the thread has loaded its modules (a second or
 * more on a busy machine) groups are sealed on this thread too: the first readings after a start do not wait for it.
 */
export function workerSealer(
  key: KeyPair,
  logger: Logger,
  /** The thread's module; tests point it elsewhere to see the fallback. */
  entry: URL = new URL('./seal-worker.ts', import.meta.url),
): Sealer & { ready(): Promise<void> } {
  const inline = inlineSealer(key)
  let worker: Worker | null = null
  let failed = false
  let loaded = false
  let markLoaded: () => void = () => {}
  const whenLoaded = new Promise<void>((resolve) => {
    markLoaded = resolve
  })
  let nextId = 0
  const jobs = new Map<number, Job>()

  const fail = (err: unknown): void => {
    if (failed) return
    failed = true
    logger.error({ err }, 'seal worker failed; sealing on the main thread from now on')
    const w = worker
    worker = null
    void w?.terminate()
    const e = new SteleError('STELE_UNAVAILABLE', 'the seal worker stopped', { cause: err })
    for (const j of jobs.values()) j.reject(e)
    jobs.clear()
  }

  const start = (): Worker => {
    const w = tsWorker(entry, { workerData: { publicKey: key.publicKey, secretKey: key.secretKey } })
    w.on('message', (m: { id: number; sealed?: Sealed[]; error?: string; ready?: boolean }) => {
      if (m.ready) {
        loaded = true
        markLoaded()
        return
      }
      const job = jobs.get(m.id)
      jobs.delete(m.id)
      if (jobs.size === 0) w.unref() // idle: never what keeps the process alive
      if (!job) return
      if (m.sealed) job.resolve(m.sealed)
      else job.reject(new SteleError('STELE_INTERNAL', `seal worker: ${m.error}`))
    })
    w.on('error', fail)
    w.on('exit', (code) => {
      if (worker === w) fail(new SteleError('STELE_INTERNAL', `seal worker exited with code ${code}`))
    })
    w.unref()
    return w
  }

  // Started now, not at the first seal: loading the thread's modules takes a while, longer on a busy machine.
  try {
    worker = start()
  } catch (err) {
    fail(err)
  }

  return {
    /** Resolves once the thread seals (tests; sealing never waits for it). */
    ready: () => whenLoaded,
    async seal(chainId, prevHash, list) {
      if (failed || !loaded) return inline.seal(chainId, prevHash, list)
      try {
        const w = worker ?? start()
        worker = w
        const id = nextId++
        const done = new Promise<Sealed[]>((resolve, reject) => jobs.set(id, { resolve, reject }))
        w.ref()
        w.postMessage({ id, chainId, prevHash, jobs: list })
        return await done
      } catch (err) {
        fail(err)
        return inline.seal(chainId, prevHash, list)
      }
    },
    async close() {
      const w = worker
      worker = null
      if (w) await w.terminate()
    },
  }
}
