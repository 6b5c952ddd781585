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

/** The engine's memory as 32-bit words: a page is scanned a word at a time. */
function words(engine: Engine): Int32Array {
  const heap = engineMemory(engine)
  return new Int32Array(heap.buffer, heap.byteOffset, heap.length >> 2)
}

function pageUsed(w: Int32Array, page: number): boolean {
  const end = Math.min(((page + 1) * PAGE) >> 2, w.length)
  for (let i = (page * PAGE) >> 2; i < end; i++) if (w[i] !== 0) return true
  return false
}

/** The interpreter's shadow stack: a gap of zero pages between data and heap, dead between calls. */
const MIN_STACK_PAGES = 16

/**
 * The parts of the memory in use: static data, then (past the shadow stack, the longest run of zero pages) the
 * heap up to its last non-zero page. What lies above is free to the allocator, whose state is in the heap.
 * Undefined when the memory is not laid out so.
 */
export function liveRanges(engine: Engine): [number, number][] | undefined {
  const w = words(engine)
  const pages = Math.ceil((w.length * 4) / PAGE)
  const used: boolean[] = []
  for (let p = 0; p < pages; p++) used.push(pageUsed(w, p))
  const top = used.lastIndexOf(true) + 1
  let gap: [number, number] = [0, 0]
  let start = -1
  for (let p = 0; p <= top; p++) {
    if (p < top && !used[p]) {
      if (start < 0) start = p
    } else if (start >= 0) {
      if (p - start > gap[1] - gap[0]) gap = [start, p]
      start = -1
    }
  }
  if (gap[1] - gap[0] < MIN_STACK_PAGES || gap[0] === 0) return undefined
  return [
    [0, gap[0] * PAGE],
    [gap[1] * PAGE, Math.min(top * PAGE, w.length * 4)],
  ]
}

/**
 * The end of the last page at or above `from` holding a non-zero byte (`from` when there is none): where the
 * allocator's used heap ends, provided the memory above `from` was zeroed before it was used.
 */
export function usedEnd(engine: Engine, from: number): number {
  const w = words(engine)
  const first = Math.ceil(from / PAGE)
  for (let p = Math.ceil((w.length * 4) / PAGE) - 1; p >= first; p--)
    if (pageUsed(w, p)) return (p + 1) * PAGE
  return from
}

/** Zeroes the engine's memory above `from` (free to the allocator): see usedEnd. */
export function clearAbove(engine: Engine, from: number): void {
  engineMemory(engine).fill(0, from)
}
