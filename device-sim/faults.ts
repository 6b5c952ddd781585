import type { Timers } from '../core/timers.ts'
import { sleep } from '../core/timers.ts'
import { cobsDecodeInto } from '../firmware-bridge/cobs.ts'
import { frameFromPacket } from '../firmware-bridge/frame-codec.ts'
import { MAX_PACKET } from '../firmware-bridge/frame-types.ts'
import type { Random } from './random.ts'

/**
 * Fault injection for simulated serial boards. Line faults damage the bytes of single frames the way a noisy
 * cable or a crashing board does; each has a probability per frame, drawn from an injected seeded random so a
 * failing run can be replayed. Board faults (reset, clock drift, bursts) are methods on the board; unplug and
 * replug live on the plug (see board-plug.ts) and are driven by `unplugFor`.
 */
export interface LineFaultConfig {
  /** 1..16 random bytes before the frame's sync byte. */
  noise?: number
  /** 300..600 random non-zero bytes: longer than any frame, so the gateway counts an oversize run. */
  noiseBurst?: number
  /** The CRC of the frame is wrong (everything else intact). */
  corruptCrc?: number
  /** One bit of the frame is flipped, as line noise does. */
  bitFlip?: number
  /** The frame is cut short; the next frame's sync byte ends it. */
  truncate?: number
  /** The frame is sent twice: the gateway must deliver it once. */
  duplicate?: number
}

export interface LineFaultCounts {
  frames: number
  noise: number
  noiseBursts: number
  corruptCrc: number
  bitFlip: number
  truncate: number
  duplicate: number
}

export interface LineFaults {
  /**
   * The bytes to send for one frame (COBS frame with its delimiter), starting with the sync byte, and whether the
   * frame itself went out intact. Damage is only ever applied to this frame, never to its neighbours.
   */
  apply(frame: Uint8Array): { bytes: Uint8Array[]; intact: boolean }
  readonly counts: LineFaultCounts
}

const SYNC = new Uint8Array([0])

export function createLineFaults(config: LineFaultConfig, random: Random): LineFaults {
  const counts: LineFaultCounts = {
    frames: 0,
    noise: 0,
    noiseBursts: 0,
    corruptCrc: 0,
    bitFlip: 0,
    truncate: 0,
    duplicate: 0,
  }
  const hit = (p: number | undefined): boolean => p !== undefined && p > 0 && random() < p
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1))
  const garbage = (n: number, nonZero: boolean): Uint8Array => {
    const g = new Uint8Array(n)
    for (let i = 0; i < n; i++) g[i] = nonZero ? int(1, 255) : int(0, 255)
    return g
  }

  const apply = (frame: Uint8Array): { bytes: Uint8Array[]; intact: boolean } => {
    counts.frames++
    const out: Uint8Array[] = []
    if (hit(config.noiseBurst)) {
      counts.noiseBursts++
      out.push(garbage(int(300, 600), true))
    }
    if (hit(config.noise)) {
      counts.noise++
      out.push(garbage(int(1, 16), false))
    }
    out.push(SYNC)
    if (hit(config.corruptCrc)) {
      counts.corruptCrc++
      const packet = new Uint8Array(MAX_PACKET + 1)
      const n = cobsDecodeInto(frame, 0, frame.length - 1, packet)
      packet[n - 1]! ^= 1 << int(0, 7)
      out.push(frameFromPacket(packet.subarray(0, n)))
      return { bytes: out, intact: false }
    }
    if (hit(config.bitFlip)) {
      counts.bitFlip++
      const copy = frame.slice()
      const at = int(0, copy.length - 2)
      let flipped = copy[at]! ^ (1 << int(0, 7))
      // A zero would split the frame in two: flip another bit instead, still a single damaged frame.
      if (flipped === 0) flipped = copy[at]! ^ 0x80 || 0x01
      copy[at] = flipped
      out.push(copy)
      return { bytes: out, intact: false }
    }
    if (hit(config.truncate)) {
      counts.truncate++
      out.push(frame.subarray(0, int(1, frame.length - 2)))
      return { bytes: out, intact: false }
    }
    out.push(frame)
    if (hit(config.duplicate)) {
      counts.duplicate++
      out.push(SYNC, frame)
    }
    return { bytes: out, intact: true }
  }
  return { apply, counts }
}

/** No damage at all: the default for `stele start`. */
export const noLineFaults: LineFaults = {
  apply: (frame) => ({ bytes: [SYNC, frame], intact: true }),
  counts: { frames: 0, noise: 0, noiseBursts: 0, corruptCrc: 0, bitFlip: 0, truncate: 0, duplicate: 0 },
}

/** What `unplugFor` needs: board-plug.ts's BoardPlug satisfies it. */
export interface Unpluggable {
  unplug(): Promise<void>
  plug(name?: string): Promise<string>
}

/**
 * Unplugs a board for `ms` (its device path disappears), then plugs it back, under `rename` when given, as a
 * USB board re-enumerating as /dev/ttyACM1 does. Resolves with the new gateway path.
 */
export async function unplugFor(
  plug: Unpluggable,
  ms: number,
  timers: Timers,
  opts: { rename?: string; signal?: AbortSignal } = {},
): Promise<string> {
  await plug.unplug()
  await sleep(ms, timers, opts.signal)
  return plug.plug(opts.rename)
}

/** What the scheduler can do to a board: line-board.ts's LineBoard satisfies it. */
export interface FaultableBoard {
  reboot(): void
  burst(n: number): void
  setDrift(ppm: number): void
}

export interface BoardFaultSchedule {
  /** Mean time between resets (ms); each gap is drawn uniformly in [0.5, 1.5] × mean. */
  resetEveryMs?: number
  /** Mean time between bursts of `burstFrames` samples at once. */
  burstEveryMs?: number
  burstFrames?: number
  /** Board clock error, parts per million, set once. */
  driftPpm?: number
  /** Mean time between unplugs, each lasting `forMs`; every other replug comes back under `<name>-<n>`. */
  unplug?: {
    everyMs: number
    forMs: number
    plug: Unpluggable & { readonly path: string | null }
    name: string
  }
}

/**
 * Runs board-level faults on a timer, for `stele sim --faults` and soak tests: resets, bursts, drift and
 * unplug/replug (possibly renamed). Returns a stop function; timing comes from the injected random and timers.
 */
export function scheduleBoardFaults(
  board: FaultableBoard,
  s: BoardFaultSchedule,
  random: Random,
  timers: Timers,
): () => void {
  const handles = new Set<unknown>()
  let stopped = false
  let replugs = 0
  if (s.driftPpm !== undefined) board.setDrift(s.driftPpm)
  const every = (mean: number, fn: () => void | Promise<void>): void => {
    const h = timers.set(
      async () => {
        handles.delete(h)
        if (stopped) return
        try {
          await fn()
        } catch {
          // A failed replug (socat gone) is retried at the next tick rather than ending the schedule.
        }
        if (!stopped) every(mean, fn)
      },
      mean * (0.5 + random()),
    )
    handles.add(h)
  }
  if (s.resetEveryMs) every(s.resetEveryMs, () => board.reboot())
  if (s.burstEveryMs) every(s.burstEveryMs, () => board.burst(s.burstFrames ?? 10))
  const u = s.unplug
  if (u)
    every(u.everyMs, async () => {
      replugs++
      const rename = replugs % 2 === 0 ? `${u.name}-${replugs}` : u.name
      if (u.plug.path === null) await u.plug.plug(u.name)
      else await unplugFor(u.plug, u.forMs, timers, { rename })
    })
  return () => {
    stopped = true
    for (const h of handles) timers.clear(h)
    handles.clear()
  }
}
