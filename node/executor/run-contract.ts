import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { SteleError } from '../../core/errors.ts'
import { canonicalJson, type Json } from './canonical-json.ts'
import { discardEngine, type Engine, heapBytes, sharedEngine } from './engine.ts'
import { counterOffset, type TickCounter, tickCounter } from './gas-counter.ts'
import {
  type ContractEvent,
  type ContractState,
  EVENTS_TAG,
  eventsHash,
  STATE_TAG,
  taggedJsonHash,
  taggedTextHash,
} from './hashes.ts'
import { newJsonString } from './heap-string.ts'
import { type ContractLimits, DEFAULT_LIMITS, DEFAULT_WALL_CLOCK_MS, TICKS_PER_INTERRUPT } from './limits.ts'
import { PRELUDE } from './prelude.ts'
import {
  type ContractCall,
  callsText,
  checkRequest,
  inputsHash,
  type RunOptions,
  type RunRequest,
  type RunResult,
  type RunStatus,
  resolveLimits,
  stateBytes,
} from './run-request.ts'
import {
  captureModule,
  dropTemplate,
  prepareCapture,
  SANDBOX_INTRINSICS,
  sandboxTemplate,
} from './sandbox-template.ts'

export type { ContractCall, RunOptions, RunRequest, RunResult, RunStatus }
export { inputsHash, resolveLimits, stateBytes }

import { seedWords } from './seed.ts'

export { SANDBOX_INTRINSICS }

/** How far past the memory limit the engine's heap may grow in one run before the guard stops it. */
const HEAP_GROWTH_FACTOR = 4
/**
 * Ticks between polls: below TICKS_PER_INTERRUPT (see the interrupt handler); short enough that the heap guard
 * sees a bomb of large strings after tens of MB rather than hundreds, and shorter still once the heap has grown
 * during the run. Gas does not depend on them: they only decide when the host looks.
 */
const SLICE = 1024
const SLICE_GROWING = 64
const MESSAGE_CHARS = 512
export const CONTRACT_FILE = 'contract.js'

/** Runs a contract on the shared engine (or the one given). See executeContract. */
export async function runContract(req: RunRequest, opts: RunOptions = {}): Promise<RunResult> {
  const engine = opts.engine ?? (await sharedEngine())
  return executeContract(engine, req, opts)
}

/**
 * One run in a fresh sandbox: limits are set before any code runs, the prelude makes it deterministic, the module
 * is evaluated, then the prelude's run function takes the configuration and runs the calls in order. The sandbox
 * is the engine's template or the module's snapshot copied back when the run has their limits (byte for byte the
 * same, with the ticks counted so far), else a QuickJS runtime and context made and disposed for the run. A
 * contract failing is a result (status out-of-gas or error), not an exception; a malformed request throws
 * STELE_BAD_REQUEST.
 */
export function executeContract(engine: Engine, req: RunRequest, opts: RunOptions = {}): RunResult {
  const limits = resolveLimits(req)
  checkRequest(req, limits)
  // The state and the calls are encoded once: the state's canonical text gives its copy and root, the calls' the
  // inputs hash and what the sandbox parses (so a handler sees an input's keys in canonical order, as the hash
  // commits to them).
  const [before, rootBefore] = canonicalState(req.state)
  const calls = callsText(req.calls)
  const hashIn = opts.inputsHash ?? inputsHash(req, limits, rootBefore, calls)
  const base = {
    gasLimit: limits.gasLimit,
    inputsHash: hashIn,
    stateRootBefore: rootBefore,
  }
  const failed = (status: RunStatus, message: string, gasUsed: number, deterministic = true): RunResult => ({
    ...base,
    status,
    message: message.slice(0, MESSAGE_CHARS),
    outputs: [],
    output: null,
    exports: [],
    events: [],
    stateAfter: before,
    gasUsed,
    stateRootAfter: rootBefore,
    eventsHash: taggedJsonHash(EVENTS_TAG, []),
    deterministic,
  })
  const config =
    `{"seed":${JSON.stringify(seedWords(req.seed))},"blockTime":${req.blockTime},` +
    `"contractId":${JSON.stringify(req.contractId)},"calls":${calls},"state":${stateTexts(before)},"limits":${JSON.stringify(limits)}}`

  // Found once per engine (before the wall clock starts); a build where the countdown cannot be found throws
  // here, before any run.
  counterOffset(engine)
  const now = opts.now ?? (() => performance.now())
  const deadline = now() + (opts.wallClockMs ?? DEFAULT_WALL_CLOCK_MS)
  let stop: 'gas' | 'wall' | 'abort' | 'memory' | undefined
  // The memory guard: the engine's heap may not grow by more than this during the run (see heapBytes).
  const heapCeiling = heapBytes(engine) + HEAP_GROWTH_FACTOR * limits.memoryBytes
  // Gas is ticks (see gas-counter.ts): `ticks` counts those of the slices already polled, `slice` is the
  // countdown written at the last poll, so ticks + slice - countdown is the exact count at any moment. A
  // regexp polls the handler by its own step count without touching the countdown: each such call is
  // TICKS_PER_INTERRUPT gas. Slices stay below TICKS_PER_INTERRUPT, so a countdown equal to it in the handler
  // means a tick poll (the interpreter has just reset it) and anything else a regexp's.
  let counter: TickCounter | undefined
  let ticks = 0
  let slice = 0
  let regexpGas = 0
  const counted = (): number =>
    ticks + (counter === undefined || slice === 0 ? 0 : slice - counter.read()) + regexpGas
  const gasUsed = (): number => Math.min(counted(), limits.gasLimit)
  const heapStart = heapBytes(engine)
  const nextSlice = (): number =>
    Math.min(heapBytes(engine) > heapStart ? SLICE_GROWING : SLICE, limits.gasLimit + 1 - ticks - regexpGas)

  let rt: QuickJSRuntime | undefined
  let vm: QuickJSContext | undefined
  const handles: QuickJSHandle[] = []
  const keep = (h: QuickJSHandle): QuickJSHandle => {
    handles.push(h)
    return h
  }
  const onInterrupt = (): boolean => {
    const c = counter as TickCounter
    const left = c.read()
    // A regexp's call: the ticks so far are counted, and a new slice is written for the budget that is left.
    if (left !== TICKS_PER_INTERRUPT) regexpGas += TICKS_PER_INTERRUPT
    ticks += left === TICKS_PER_INTERRUPT ? slice : slice - left
    slice = 0
    if (ticks + regexpGas > limits.gasLimit) stop = 'gas'
    else if (opts.signal?.aborted) stop = 'abort'
    else if (now() > deadline) stop = 'wall'
    else if (heapBytes(engine) > heapCeiling) stop = 'memory'
    if (stop === undefined) {
      slice = nextSlice()
      c.write(slice)
    }
    return stop !== undefined
  }
  // The template is the fresh sandbox with the prelude evaluated, and a module snapshot that sandbox with the
  // module loaded: usable when the run has the template's limits and the ticks they stand for are within its
  // gas (so the count goes on exactly where a fresh run's would be, and stops where it would).
  const template =
    limits.memoryBytes === DEFAULT_LIMITS.memoryBytes && limits.stackBytes === DEFAULT_LIMITS.stackBytes
      ? sandboxTemplate(engine)
      : undefined
  const fromTemplate = template !== undefined && template.preludeTicks <= limits.gasLimit
  try {
    let runFn: QuickJSHandle
    let ns: QuickJSHandle
    const outcome = (err: QuickJSHandle, where: string): RunResult => {
      if (stop === 'gas') return failed('out-of-gas', `gas limit ${limits.gasLimit} reached`, limits.gasLimit)
      if (stop === 'wall') return failed('error', 'wall-clock limit', gasUsed(), false)
      if (stop === 'abort') return failed('error', 'aborted', gasUsed(), false)
      if (stop === 'memory') {
        discardEngine(engine)
        dropTemplate(engine)
        return failed('error', 'memory limit: the sandbox heap grew past its bound', gasUsed(), false)
      }
      const gas = gasUsed()
      return failed('error', `${where}: ${describeError(vm as QuickJSContext, err)}`, gas)
    }
    const startCount = (from: number): void => {
      ticks = from
      slice = nextSlice()
      ;(counter as TickCounter).write(slice)
    }
    if (fromTemplate) {
      // What a run leaves (handles, the module, changed globals) is overwritten by the next run's copy.
      template.onInterrupt = onInterrupt
      vm = template.vm
      counter = template.counter
      runFn = template.run
      const snapshot = template.modules.get(req.code)
      if (snapshot !== undefined && snapshot.ticks <= limits.gasLimit) {
        snapshot.image.restore()
        startCount(snapshot.ticks)
        ns = snapshot.ns
      } else {
        template.image.restore()
        const capture = snapshot === undefined && template.modules.wanted(req.code)
        if (capture) prepareCapture(engine, template)
        startCount(template.preludeTicks)
        const mod = vm.evalCode(req.code, CONTRACT_FILE, { type: 'module' })
        if (mod.error) return outcome(keep(mod.error), 'load')
        // Not kept: the next restore frees it, and a snapshot holds it.
        ns = mod.value
        if (capture && stop === undefined)
          template.modules.add(req.code, captureModule(engine, template, ns, counted()))
      }
    } else {
      rt = engine.newRuntime()
      rt.setMemoryLimit(limits.memoryBytes)
      rt.setMaxStackSize(limits.stackBytes)
      rt.setInterruptHandler(onInterrupt)
      vm = rt.newContext({ intrinsics: SANDBOX_INTRINSICS })
      counter = tickCounter(engine, vm)
      startCount(0)
      const prelude = vm.evalCode(PRELUDE, 'stele-prelude.js', { type: 'global', strict: true })
      if (prelude.error) return outcome(keep(prelude.error), 'prelude')
      runFn = keep(prelude.value)
      const mod = vm.evalCode(req.code, CONTRACT_FILE, { type: 'module' })
      if (mod.error) return outcome(keep(mod.error), 'load')
      ns = keep(mod.value)
    }
    const ran = vm.callFunction(runFn, vm.undefined, keep(newJsonString(vm, config)), ns)
    if (ran.error) return outcome(keep(ran.error), 'run')
    const text = vm.getString(keep(ran.value))
    return finish(text, limits, base, gasUsed(), failed)
  } catch (e) {
    // A host-side failure (e.g. the engine refused to allocate): not a property of the inputs.
    if (fromTemplate) dropTemplate(engine)
    return failed('error', `sandbox failure: ${(e as Error).message}`, gasUsed(), false)
  } finally {
    if (fromTemplate) {
      template.onInterrupt = undefined
      handles.length = 0
      vm = undefined
    }
    for (const h of handles.reverse()) if (h.alive) h.dispose()
    try {
      vm?.dispose()
      rt?.dispose()
    } catch {
      // A runtime that cannot free itself is not reused: the engine goes with it.
      discardEngine(engine)
    }
  }
}

/** The state as the sandbox takes it: key -> the value's JSON text (kept as text there, see prelude.ts). */
function stateTexts(state: ContractState): string {
  const texts: { [key: string]: string } = Object.create(null)
  for (const k of Object.keys(state)) texts[k] = JSON.stringify(state[k])
  return JSON.stringify(texts)
}

/** "Name: message (contract.js:line:col)" of a thrown value, read without trusting its shape. */
function describeError(vm: QuickJSContext, err: QuickJSHandle): string {
  const str = (name: string): string | undefined => {
    try {
      const h = vm.getProp(err, name)
      try {
        return vm.typeof(h) === 'string' ? vm.getString(h) : undefined
      } finally {
        h.dispose()
      }
    } catch {
      return undefined
    }
  }
  const type = vm.typeof(err)
  if (type !== 'object') {
    const v = type === 'string' ? vm.getString(err) : type === 'number' ? String(vm.getNumber(err)) : type
    return `thrown ${v}`
  }
  const name = str('name') ?? 'Error'
  const message = str('message') ?? ''
  const stack = str('stack') ?? ''
  const at = new RegExp(`(${CONTRACT_FILE.replace('.', '\\.')}:\\d+(?::\\d+)?)`).exec(stack)?.[1]
  const line = at ? ` (${at})` : ''
  return `${name}: ${message}${line}`
}

/** The host's own check of what came out: shape, limits, and the canonical encoding of every value. */
function finish(
  text: string,
  limits: ContractLimits,
  base: { gasLimit: number; inputsHash: string; stateRootBefore: string },
  gas: number,
  failed: (s: RunStatus, m: string, g: number) => RunResult,
): RunResult {
  try {
    const raw = JSON.parse(text) as {
      exports: string[]
      outputs: Json[]
      events: ContractEvent[]
      state: ContractState
    }
    if (raw.events.length > limits.maxEvents) return failed('error', 'event limit exceeded', gas)
    for (const e of raw.events)
      if (Buffer.byteLength(JSON.stringify(e)) > limits.eventBytes)
        return failed('error', 'event limit exceeded', gas)
    canonicalJson(raw.outputs, 'output')
    const [state, rootAfter] = canonicalState(raw.state)
    if (stateBytes(state) > limits.stateBytes)
      return failed('error', `state over ${limits.stateBytes} bytes`, gas)
    for (const k of Object.keys(state))
      if (Buffer.byteLength(k) > limits.keyBytes)
        return failed('error', `state key over ${limits.keyBytes} bytes`, gas)
    const events = raw.events.map((e) => ({ name: e.name, data: e.data }))
    return {
      ...base,
      status: 'ok',
      outputs: raw.outputs,
      output: raw.outputs[raw.outputs.length - 1] ?? null,
      exports: raw.exports,
      events,
      stateAfter: state,
      gasUsed: gas,
      stateRootAfter: rootAfter,
      // Also the check that every event's data is canonical JSON (it throws otherwise: status error).
      eventsHash: eventsHash(events),
      deterministic: true,
    }
  } catch (e) {
    return failed('error', `result: ${(e as Error).message}`, gas)
  }
}

/** A state as a fresh object with sorted keys and its root, every value checked canonical (throws STELE_BAD_ENCODING). */
function canonicalState(state: ContractState): [ContractState, string] {
  if (state === null || typeof state !== 'object' || Array.isArray(state))
    throw new SteleError('STELE_BAD_REQUEST', 'state: expected an object of JSON values')
  const text = canonicalJson(state, 'state')
  return [JSON.parse(text) as ContractState, taggedTextHash(STATE_TAG, text)]
}
