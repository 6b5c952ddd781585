import releaseSync from '@jitl/quickjs-wasmfile-release-sync'
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'

// The package is CommonJS typed; at run time the default import is the variant (or a namespace holding it as
// `default`, which newQuickJSWASMModuleFromVariant also takes).
const RELEASE_SYNC = releaseSync as unknown as QuickJSSyncVariant

/** A loaded QuickJS WebAssembly module: each run makes its own runtime and context in it. */
export type Engine = QuickJSWASMModule

let shared: Promise<Engine> | undefined

/** The process's engine, loaded once (the .wasm is compiled on first use). */
export function sharedEngine(): Promise<Engine> {
  shared ??= newQuickJSWASMModuleFromVariant(RELEASE_SYNC)
  return shared
}

/** A new engine with its own WebAssembly memory, apart from every other: for tests comparing two sandboxes. */
export function newEngine(): Promise<Engine> {
  return newQuickJSWASMModuleFromVariant(RELEASE_SYNC)
}

/** Drops an engine whose runtime could not be freed, so the next run loads a clean one. */
export function discardEngine(engine: Engine): void {
  void shared?.then((e) => {
    if (e === engine) shared = undefined
  })
}

/**
 * Bytes of the engine's WebAssembly memory (it only grows). The QuickJS build counts allocations, not their
 * sizes, against the runtime's memory limit (malloc_usable_size is unavailable under Emscripten), so the run
 * also watches this: see the memory guard in run-contract.ts and docs/contracts.md §5.
 */
export function heapBytes(engine: Engine): number {
  const mod = (engine as unknown as { module?: { HEAPU8?: Uint8Array } }).module
  return mod?.HEAPU8?.length ?? 0
}
