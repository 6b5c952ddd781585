import type { Worker } from 'node:worker_threads'
import { toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import { tsWorker } from '../../core/ts-worker.ts'
import type { SteleNode } from '../../node/node.ts'
import type { FillSealed } from './fill-gateway.ts'
import { type FillGroup, type FillSetup, SLOT_BYTES_PER_READING, slotColumns } from './fill-slots.ts'

export interface Series {
  readings: number
  device: (i: number) => string
  sensor: (i: number) => string
  time: (i: number) => number
  value: (i: number) => number
}

/**
 * Stores readings in the node as `stele start` runs with the node in its own thread: a gateway thread
 * (bench/lib/fill-gateway.ts) stamps each reading with the gateway's encoder and seals `perBatch` at a time (leaf
 * hashes, Merkle root, one Ed25519 signature a batch), while the node verifies and stores them on this thread, so
 * both cores work, as InfluxDB's client and server do. This thread only computes the series (as InfluxDB's client
 * formats its lines) and hands it over as columns in memory shared with the gateway thread. A group of `perCall`
 * batches is sealed at a time and submitted in one call (the gateway's submitter sends up to 64 a call); up to
 * `window` groups are sealing or being accepted.
 * Returns the milliseconds from the first reading computed (the gateway thread loaded) to the last acceptance.
 */
export async function fill(
  node: SteleNode,
  series: Series,
  opts: {
    perBatch?: number
    perCall?: number
    window?: number
    onBatch?: (done: number) => void
    /** After the last acceptance, while the gateway thread still runs (to read its CPU time). */
    atEnd?: () => void
  } = {},
): Promise<number> {
  const perBatch = opts.perBatch ?? 1000
  const perCall = opts.perCall ?? 4
  const window = opts.window ?? 4
  const key = generateKeyPair()
  await node.registerGateway(toHex(key.publicKey), 'bench')
  // One shared slot per group in flight (group g in slot g % window: the gateway thread has sealed group g before
  // this thread sends group g + window), so a group is handed over by a short message, without a new buffer.
  const capacity = perBatch * perCall
  const slots = Array.from({ length: window }, () => new SharedArrayBuffer(capacity * SLOT_BYTES_PER_READING))
  const gateway = tsWorker(new URL('./fill-gateway.ts', import.meta.url), {
    workerData: { publicKey: key.publicKey, secretKey: key.secretKey, slots, capacity } satisfies FillSetup,
  })
  const chainId = node.genesis.chainId
  const nameIds = new Map<string, number>()
  let newNames: string[] = []
  const nameId = (s: string): number => {
    let id = nameIds.get(s)
    if (id === undefined) {
      id = nameIds.size
      nameIds.set(s, id)
      newNames.push(s)
    }
    return id
  }
  let at = 0
  let groups = 0
  /** The next group's readings as columns in its slot, for the gateway thread. */
  const sendGroup = (): boolean => {
    const n = Math.min(series.readings - at, capacity)
    if (n <= 0) return false
    const slot = groups++ % window
    const c = slotColumns(slots[slot]!, capacity)
    for (let i = 0; i < n; i++, at++) {
      c.device[i] = nameId(series.device(at))
      c.sensor[i] = nameId(series.sensor(at))
      c.time[i] = series.time(at)
      c.value[i] = series.value(at)
    }
    gateway.postMessage({ chainId, perBatch, names: newNames, slot, n } satisfies FillGroup)
    newNames = []
    return true
  }

  const inFlight = new Set<Promise<unknown>>()
  let t0 = 0
  try {
    const sealed = sealedGroups(gateway)
    // The clock starts once the gateway thread has loaded its modules (tsx compiles them: 0.3-0.5 s), as InfluxDB's
    // is started before its clock.
    await sealed.next()
    t0 = performance.now()
    let sent = 0
    while (sent < window && sendGroup()) sent++
    let failure: unknown
    let done = 0
    for (; sent > 0; sent--) {
      const group = await sealed.next()
      if (sendGroup()) sent++ // keep the gateway thread busy while this thread accepts
      const p = node.submitBatches(group.batches).catch((e) => {
        failure = e
      })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      if (inFlight.size >= window) await Promise.race(inFlight)
      if (failure) throw failure
      done += group.readings
      opts.onBatch?.(done)
    }
    await Promise.all(inFlight)
    if (failure) throw failure
    opts.atEnd?.()
  } finally {
    await Promise.allSettled(inFlight) // the node is left with no call of ours running, even after a failure
    await gateway.terminate()
  }
  return performance.now() - t0
}

/** The gateway thread's answers in order; a failure or an exit of the thread rejects the next one. */
function sealedGroups(w: Worker): { next(): Promise<FillSealed> } {
  const ready: FillSealed[] = []
  let waiting: { resolve: (g: FillSealed) => void; reject: (e: unknown) => void } | undefined
  let failed: unknown
  const fail = (e: unknown): void => {
    failed ??= e
    waiting?.reject(failed)
    waiting = undefined
  }
  w.on('message', (g: FillSealed) => {
    if (g.error !== undefined) return fail(new SteleError('STELE_INTERNAL', `fill gateway: ${g.error}`))
    if (waiting) {
      waiting.resolve(g)
      waiting = undefined
    } else ready.push(g)
  })
  w.on('error', fail)
  w.on('exit', (code) => fail(new SteleError('STELE_INTERNAL', `fill gateway exited (${code})`)))
  return {
    next: () => {
      const g = ready.shift()
      if (g) return Promise.resolve(g)
      if (failed !== undefined) return Promise.reject(failed)
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject }
      })
    },
  }
}
