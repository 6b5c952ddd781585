/**
 * QuickJS polls for interrupts on a countdown of this many ticks (JS_INTERRUPT_COUNTER_INIT in quickjs.c: one
 * tick per backward jump, call or regexp step). The sandbox counts its interrupt-handler calls, so one handler
 * call is this much gas. It is a constant of the engine build, which is why the QuickJS packages are pinned.
 */
export const TICKS_PER_INTERRUPT = 10_000

/** The limits of one run. Every field is part of the inputs hash: a node re-executing must use the same ones. */
export interface ContractLimits {
  /** Gas (engine ticks) one run may use; a run past it ends `out-of-gas`. */
  gasLimit: number
  /** Bytes the QuickJS runtime may allocate (heap of the run, built-ins included). */
  memoryBytes: number
  /** Bytes of native stack the interpreter may use. */
  stackBytes: number
  /** Bytes of the state map: UTF-8 of every key plus UTF-8 of the JSON of every value. */
  stateBytes: number
  /** Keys in the state map; a key is 1 to `keyBytes` bytes. */
  keyBytes: number
  /** Events one run may emit, and the bytes of each event's JSON ({ name, data }). */
  maxEvents: number
  eventBytes: number
  /** Bytes of each handler's return value as JSON. */
  outputBytes: number
}

export const DEFAULT_LIMITS: ContractLimits = {
  gasLimit: 1_000_000,
  memoryBytes: 8 * 1024 * 1024,
  stackBytes: 256 * 1024,
  stateBytes: 64 * 1024,
  keyBytes: 256,
  maxEvents: 100,
  eventBytes: 4 * 1024,
  outputBytes: 16 * 1024,
}

/** Bounds a caller (a deploy transaction, later) may ask for. */
export const MAX_GAS_LIMIT = 100_000_000
export const MAX_CODE_BYTES = 256 * 1024

/** Last resort against a machine too slow or a bug in the metering: counted as a failure, never as a result. */
export const DEFAULT_WALL_CLOCK_MS = 2_000
