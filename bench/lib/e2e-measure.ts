// Timing one end-to-end phase: the fleet in its own process, a count polled until every reading is in.
import { type FleetReport, startFleetProcess } from './fleet.ts'

/** The run's fixed settings (bench/ingest-e2e.bench.ts). */
export interface E2eConfig {
  devices: number
  seed: number
  /** Unacknowledged messages per device. */
  maxInflight: number
  /** A phase not complete after this long is cut off and marked capped. */
  capMs: number
  /**
   * Messages per device each contestant takes just before its measured load, through the same processes and at
   * the same pace, outside the figures: a deployed gateway, broker or flow runs warm, and a run of a few seconds
   * from cold start otherwise measures the JIT compiler (half the platform threads' CPU in a cold 10/msg run).
   */
  warmUp: number
}

export interface Phase {
  readings: number
  ms: number
  complete: boolean
  /** The fleet's own report (PUBACK latency, messages in flight); absent when the phase was capped. */
  fleet?: FleetReport
  /** CPU µs per reading of this process's main thread and its other threads (all-in-one only). */
  cpu?: { main: number; other: number }
  /** CPU µs per reading of the `stele gateway` and `stele node` processes, all threads (split deployment only). */
  cpuSplit?: { gateway: number; node: number }
  /** The fleet's report of the warm-up load run through the same processes just before (not in this phase's figures). */
  warmUp?: FleetReport
}

export interface Load {
  url: string
  perMessage: number
  messages: number
  /** Messages per second per device; 0: as fast as PUBACKs allow. */
  rateHz?: number
}

/**
 * Polls `count()` (a measurement, not a sync) until it reaches `target` or the cap passes. Timed from the fleet's
 * first publish: its connections are made before, so there is no ramp to leave out (a window opening at some share
 * of the target would flatter a contestant that takes the messages in and counts them in late bursts, such as a node
 * behind a gateway's outbox). Every `everyMs` near the end; far from it at most every quarter second (half the time
 * the rate so far says is left): a count read from a node is a request it serves, work the raw contestants' in-process
 * counters never cost their brokers (at 20 ms, about as many requests as the gateway's own submissions).
 */
async function waitCount(
  count: () => number | Promise<number>,
  target: number,
  t0: number,
  everyMs: number,
  capMs: number,
): Promise<Phase> {
  for (;;) {
    const n = await count()
    const now = performance.now()
    if (n >= target || now - t0 > capMs) return { readings: n, ms: now - t0, complete: n >= target }
    const left = n > 0 ? ((target - n) * (now - t0)) / n : Number.POSITIVE_INFINITY
    await new Promise((r) => setTimeout(r, Math.max(everyMs, Math.min(left / 2, 250))))
  }
}

/** What a phase reads and does beside the fleet (see `measure`). */
export interface Measured {
  /** Readings the contestant has taken in so far (polled). */
  count: () => number | Promise<number>
  /** Runs inside the timing once `count` reaches every reading (Stele's last block). */
  settle?: () => Promise<void>
  everyMs?: number
  /** Called just before and just after the measured load (not the warm-up), e.g. for CPU counters. */
  onStart?: () => void
  onEnd?: (phase: Phase) => void
}

/**
 * Runs `cfg.warmUp` messages per device through the contestant (same pace, not measured), then connects the fleet
 * again (in its own process, each device continuing its sequence numbers) and times from its first publish until
 * `count` reaches every reading of `load`; `settle` then runs inside the timing.
 */
export async function measure(cfg: E2eConfig, load: Load, m: Measured): Promise<Phase> {
  let base = 0
  let warmUp: FleetReport | undefined
  if (cfg.warmUp > 0) {
    const before = await m.count()
    warmUp = (await run(cfg, { ...load, messages: cfg.warmUp }, 0, async () => (await m.count()) - before, m))
      .fleet
    base = await m.count()
  }
  m.onStart?.()
  const phase = await run(cfg, load, cfg.warmUp * load.perMessage, async () => (await m.count()) - base, m)
  m.onEnd?.(phase)
  return warmUp ? { ...phase, warmUp } : phase
}

async function run(
  cfg: E2eConfig,
  load: Load,
  firstSeq: number,
  count: () => number | Promise<number>,
  { settle = async () => {}, everyMs = 5 }: Measured,
): Promise<Phase> {
  const fleet = await startFleetProcess({
    url: load.url,
    devices: cfg.devices,
    perMessage: load.perMessage,
    messages: load.messages,
    seed: cfg.seed,
    firstSeq,
    maxInflight: cfg.maxInflight,
    rateHz: load.rateHz ?? 0,
  })
  try {
    const t0 = performance.now()
    const report = fleet.go()
    // A paced run lasts messages / rate by design: its cap leaves room for that.
    const capMs = Math.max(cfg.capMs, load.rateHz ? (2000 * load.messages) / load.rateHz : 0)
    const phase = await waitCount(count, cfg.devices * load.messages * load.perMessage, t0, everyMs, capMs)
    const t1 = performance.now()
    await settle()
    phase.ms += performance.now() - t1
    const fleetReport = phase.complete
      ? await report
      : await Promise.race([report, new Promise<undefined>((r) => setTimeout(r, 0))])
    return fleetReport ? { ...phase, fleet: fleetReport } : phase
  } finally {
    await fleet.stop()
  }
}
