import type { Engine } from './engine.ts'

/** A page of WebAssembly memory. */
export const PAGE = 64 * 1024

/** The engine's memory as bytes (a protected field of the pinned quickjs-emscripten build). */
export function engineMemory(engine: Engine): Uint8Array {
  return (engine as unknown as { module: { HEAPU8: Uint8Array } }).module.HEAPU8
}

/** Parts of the engine's memory, copied once and written back on demand. */
export interface MemoryImage {
  /** [from, to) byte ranges, in order. */
  readonly ranges: readonly (readonly [number, number])[]
  /** Bytes held. */
  readonly bytes: number
  /** Writes the copy back. */
  restore(): void
}

/** Copies `ranges` of the engine's memory now. */
export function captureImage(engine: Engine, ranges: readonly (readonly [number, number])[]): MemoryImage {
  const heap = engineMemory(engine)
  const saved = ranges.map(([from, to]) => heap.slice(from, to))
  return {
    ranges,
    bytes: saved.reduce((n, b) => n + b.length, 0),
    restore: () => {
      const now = engineMemory(engine)
      for (let i = 0; i < ranges.length; i++)
        now.set(saved[i] as Uint8Array, (ranges[i] as [number, number])[0])
    },
  }
}

/**
 * The end of the last page at or above `from` holding a non-zero byte (`from` when there is none): where the
 * allocator's used heap ends, provided the memory above `from` was zeroed before it was used.
 */
export function usedEnd(engine: Engine, from: number): number {
  const heap = engineMemory(engine)
  const words = new Int32Array(heap.buffer, 0, heap.length >> 2)
  const first = Math.ceil(from / PAGE)
  for (let p = Math.floor(heap.length / PAGE) - 1; p >= first; p--) {
    const end = ((p + 1) * PAGE) >> 2
    for (let i = (p * PAGE) >> 2; i < end; i++) if (words[i] !== 0) return (p + 1) * PAGE
  }
  return from
}

/** Zeroes the engine's memory above `from` (free to the allocator): see usedEnd. */
export function clearAbove(engine: Engine, from: number): void {
  engineMemory(engine).fill(0, from)
}
