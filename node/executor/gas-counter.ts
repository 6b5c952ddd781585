import type { QuickJSContext } from 'quickjs-emscripten-core'
import { DefaultIntrinsics } from 'quickjs-emscripten-core'
import { SteleError } from '../../core/errors.ts'
import type { Engine } from './engine.ts'
import { TICKS_PER_INTERRUPT } from './limits.ts'

/**
 * QuickJS's interrupt countdown, read and written in the engine's memory. The interpreter decrements
 * `JSContext.interrupt_counter` once per tick (backward jump, call) and, when it reaches zero, resets it to
 * JS_INTERRUPT_COUNTER_INIT (10,000) and calls the runtime's interrupt handler. Counting handler calls alone
 * gives gas in steps of 10,000; reading the counter gives every tick, and writing it makes the next poll come
 * exactly where the gas limit is. The field's offset is a property of the build (the packages are pinned);
 * it is found once per engine by `counterOffset` and checked there, so a build where it cannot be found
 * refuses to run rather than metering wrongly.
 */
export interface TickCounter {
  /** Reads the countdown. */
  read(): number
  /** Sets the countdown: the next poll comes after this many ticks. */
  write(ticks: number): void
}

const offsets = new WeakMap<Engine, number>()
const SCAN_BYTES = 512

function heap32(engine: Engine): Int32Array {
  return new Int32Array(engine.getWasmMemory().buffer)
}

/** The JSContext pointer behind a context (a protected field of quickjs-emscripten's QuickJSContext). */
function contextPointer(vm: QuickJSContext): number {
  const ptr = (vm as unknown as { ctx?: { value?: unknown } }).ctx?.value
  if (typeof ptr !== 'number' || ptr <= 0 || ptr % 4 !== 0)
    throw new SteleError(
      'STELE_INTERNAL',
      'QuickJS context pointer not found: the engine build is not the pinned one',
    )
  return ptr
}

/** The countdown of one context of `engine`. */
export function tickCounter(engine: Engine, vm: QuickJSContext): TickCounter {
  const index = (contextPointer(vm) + counterOffset(engine)) >> 2
  return {
    read: () => heap32(engine)[index] as number,
    write: (ticks) => {
      heap32(engine)[index] = ticks
    },
  }
}

/**
 * Runs `source` in a fresh context and returns the polls seen: at each, the int32 offsets in the context that
 * hold JS_INTERRUPT_COUNTER_INIT, and the countdown at the end (read at `offset` when given). When `slice` is
 * given, the handler writes it at `offset` at every poll.
 */
function probe(
  engine: Engine,
  source: string,
  offset?: number,
  slice?: number,
): { polls: number; candidates: number[]; end: number } {
  const rt = engine.newRuntime()
  try {
    const vm = rt.newContext({ intrinsics: DefaultIntrinsics })
    try {
      const base = contextPointer(vm) >> 2
      let candidates: number[] | undefined
      let polls = 0
      rt.setInterruptHandler(() => {
        polls++
        const heap = heap32(engine)
        const found: number[] = []
        for (let i = 0; i < SCAN_BYTES / 4; i++) if (heap[base + i] === TICKS_PER_INTERRUPT) found.push(i * 4)
        candidates = candidates === undefined ? found : candidates.filter((o) => found.includes(o))
        if (offset !== undefined && slice !== undefined) heap[base + offset / 4] = slice
        return false
      })
      if (offset !== undefined && slice !== undefined) heap32(engine)[base + offset / 4] = slice
      const r = vm.evalCode(source)
      if (r.error) {
        r.error.dispose()
        throw new SteleError('STELE_INTERNAL', 'QuickJS gas calibration script failed')
      }
      r.value.dispose()
      const end = offset === undefined ? 0 : (heap32(engine)[base + offset / 4] as number)
      return { polls, candidates: candidates ?? [], end }
    } finally {
      vm.dispose()
    }
  } finally {
    rt.dispose()
  }
}

/**
 * The byte offset of `interrupt_counter` in a JSContext of this engine: the one int32 that holds 10,000 at
 * every poll, checked by running the same loop with the default countdown and with a written one (the tick
 * totals must agree). Found once per engine.
 */
export function counterOffset(engine: Engine): number {
  const known = offsets.get(engine)
  if (known !== undefined) return known
  const LOOP = 'for (let i = 0; i < 50000; i++) {}'
  const first = probe(engine, LOOP)
  if (first.polls < 2 || first.candidates.length !== 1)
    throw new SteleError(
      'STELE_INTERNAL',
      `QuickJS interrupt counter not found (${first.candidates.length} candidates): the engine build is not the pinned one`,
    )
  const offset = first.candidates[0] as number
  // The same loop counted in slices of 10,000 and of 777 ticks (written at the start and at every poll) must
  // come to the same total: that checks both reading and writing the countdown.
  const ticks = (slice: number): number => {
    const p = probe(engine, LOOP, offset, slice)
    return p.polls * slice + (slice - p.end)
  }
  const ticksPlain = ticks(TICKS_PER_INTERRUPT)
  const ticksSliced = ticks(777)
  if (ticksPlain !== ticksSliced || ticksPlain < 50_000)
    throw new SteleError(
      'STELE_INTERNAL',
      `QuickJS interrupt counter check failed (${ticksPlain} vs ${ticksSliced} ticks): the engine build is not the pinned one`,
    )
  offsets.set(engine, offset)
  return offset
}
