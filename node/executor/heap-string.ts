import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core'
import { SteleError } from '../../core/errors.ts'

/** The parts of quickjs-emscripten's QuickJSContext this uses (protected fields of the pinned 0.32 build). */
interface ContextInternals {
  module: { _malloc(bytes: number): number; _free(ptr: number): void; HEAPU8: Uint8Array }
  ffi: { QTS_NewString(ctx: number, ptr: number): number }
  ctx: { value: number }
  memory: { heapValueHandle(ptr: number): QuickJSHandle }
}

const encoder = new TextEncoder()

/**
 * vm.newString for a JSON text (well-formed: JSON.stringify escapes lone surrogates), encoded natively into the
 * engine's memory. The library's own copy measures and encodes in JavaScript loops: 70 µs for the 12 kB of a
 * block's inputs, against a few here.
 */
export function newJsonString(vm: QuickJSContext, text: string): QuickJSHandle {
  const { module, ffi, ctx, memory } = vm as unknown as ContextInternals
  const max = text.length * 3 + 1
  const ptr = module._malloc(max)
  if (ptr === 0) throw new SteleError('STELE_INTERNAL', 'the engine could not allocate the run configuration')
  try {
    const { written } = encoder.encodeInto(text, module.HEAPU8.subarray(ptr, ptr + max - 1))
    module.HEAPU8[ptr + written] = 0
    return memory.heapValueHandle(ffi.QTS_NewString(ctx.value, ptr))
  } finally {
    module._free(ptr)
  }
}
