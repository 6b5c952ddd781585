import {
  DefaultIntrinsics,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from 'quickjs-emscripten-core'
import type { Engine } from './engine.ts'
import { type TickCounter, tickCounter } from './gas-counter.ts'
import { DEFAULT_LIMITS } from './limits.ts'
import { captureImage, clearAbove, liveRanges, type MemoryImage, usedEnd } from './memory-image.ts'
import { type ModuleSnapshot, ModuleSnapshots } from './module-snapshots.ts'
import { PRELUDE } from './prelude.ts'

/**
 * No typed arrays: their buffers are allocated outside the runtime's memory limit, so a contract could grow the
 * host's WebAssembly memory without bound. Nothing else in the default set escapes the limit.
 */
export const SANDBOX_INTRINSICS = { ...DefaultIntrinsics, TypedArrays: false } as const

/**
 * A runtime and context with the prelude compiled, and the engine's memory as it was then: each run copies that
 * memory back and starts from exactly the sandbox a fresh runtime, context and prelude would give (the same heap,
 * atoms, globals and allocation counts, so the same memory-limit behaviour), without compiling the prelude again
 * (1.7 ms of a 1.8 ms run of one reading). Nothing a run did survives the copy. Only for runs with the default
 * memory and stack limits (the template's); the engine must be used synchronously (every runtime but this one is
 * disposed before a run returns), which is how run-contract and gas-counter use it. Contracts' modules loaded on
 * it are kept the same way (module-snapshots.ts).
 */
export interface SandboxTemplate {
  rt: QuickJSRuntime
  vm: QuickJSContext
  /** The prelude's run function (see prelude.ts). */
  run: QuickJSHandle
  counter: TickCounter
  /** Ticks the prelude's evaluation counted: a fresh run has counted as many when its module starts loading. */
  preludeTicks: number
  /** The interrupt handler of the run in progress. */
  onInterrupt: (() => boolean) | undefined
  /** Static data, and the heap up to the template's top (the end of its last range). */
  image: MemoryImage
  /** Modules loaded on the template, by code. */
  modules: ModuleSnapshots
}

const BUILD_COUNTDOWN = 1_000_000_000
const templates = new WeakMap<Engine, SandboxTemplate | null>()

/** The engine's template, built on first use; undefined when this engine's memory is not laid out as expected. */
export function sandboxTemplate(engine: Engine): SandboxTemplate | undefined {
  let t = templates.get(engine)
  if (t === undefined) {
    t = build(engine)
    templates.set(engine, t)
  }
  return t ?? undefined
}

/** Forgets an engine's template (after a host failure or a runaway heap): the next run builds a new one. */
export function dropTemplate(engine: Engine): void {
  templates.delete(engine)
}

/** The end of the template's heap: memory above it is free to the allocator. */
export function templateTop(t: SandboxTemplate): number {
  return (t.image.ranges[t.image.ranges.length - 1] as readonly [number, number])[1]
}

function build(engine: Engine): SandboxTemplate | null {
  const rt = engine.newRuntime()
  rt.setMemoryLimit(DEFAULT_LIMITS.memoryBytes)
  rt.setMaxStackSize(DEFAULT_LIMITS.stackBytes)
  const t = {
    rt,
    onInterrupt: undefined as (() => boolean) | undefined,
  }
  rt.setInterruptHandler(() => t.onInterrupt?.() ?? false)
  const vm = rt.newContext({ intrinsics: SANDBOX_INTRINSICS })
  const counter = tickCounter(engine, vm)
  counter.write(BUILD_COUNTDOWN)
  const prelude = vm.evalCode(PRELUDE, 'stele-prelude.js', { type: 'global', strict: true })
  const preludeTicks = BUILD_COUNTDOWN - counter.read()
  const ranges = prelude.error ? undefined : liveRanges(engine)
  if (prelude.error || ranges === undefined) {
    prelude.error?.dispose()
    if (!prelude.error) prelude.value.dispose()
    vm.dispose()
    rt.dispose()
    return null
  }
  return Object.assign(t, {
    vm,
    run: prelude.value,
    counter,
    preludeTicks,
    image: captureImage(engine, ranges),
    modules: new ModuleSnapshots(),
  })
}

/** Before a module loads on the restored template, to be captured: zeroes the free memory (see usedEnd). */
export function prepareCapture(engine: Engine, t: SandboxTemplate): void {
  clearAbove(engine, templateTop(t))
}

/** The template's memory with a module just loaded on it (after prepareCapture): its data, and the heap to its top. */
export function captureModule(
  engine: Engine,
  t: SandboxTemplate,
  ns: QuickJSHandle,
  ticks: number,
): ModuleSnapshot {
  const [data, heap] = t.image.ranges as [readonly [number, number], readonly [number, number]]
  return { image: captureImage(engine, [data, [heap[0], usedEnd(engine, templateTop(t))]]), ns, ticks }
}
