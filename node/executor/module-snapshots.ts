import type { QuickJSHandle } from 'quickjs-emscripten-core'
import type { MemoryImage } from './memory-image.ts'

/**
 * A contract's module loaded on the sandbox template: the engine's memory right after the module's evaluation
 * (the prelude evaluated, then the module, nothing of a run yet), its namespace, and the ticks counted so far.
 * A run restoring it has done exactly what a run that loads the module does up to there, without compiling it
 * (a fifth of a block of 100 threshold calls), and goes on with the same count.
 */
export interface ModuleSnapshot {
  image: MemoryImage
  /** The module's namespace: a handle in the memory the image holds. */
  ns: QuickJSHandle
  /** Gas counted when the module had loaded: the prelude's and the module's ticks. */
  ticks: number
}

/** Snapshots kept per template, and the bytes they may hold together (each is the template's ~320 KB and more). */
const MAX_SNAPSHOTS = 32
const MAX_BYTES = 32 * 1024 * 1024
/** Codes seen once, remembered so that the second run of a code captures its module. */
const MAX_SEEN = 32

/**
 * The template's module snapshots by code, least recently used first out. A module is captured on its code's
 * second run, so a code run once (a deploy check) costs no capture.
 */
export class ModuleSnapshots {
  private readonly snapshots = new Map<string, ModuleSnapshot>()
  private readonly seen = new Set<string>()
  private bytes = 0

  get(code: string): ModuleSnapshot | undefined {
    const s = this.snapshots.get(code)
    if (s !== undefined) {
      this.snapshots.delete(code)
      this.snapshots.set(code, s)
    }
    return s
  }

  /** True when `code` has run before (and has no snapshot): this run should capture its module. */
  wanted(code: string): boolean {
    if (this.seen.delete(code)) return true
    this.seen.add(code)
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value as string)
    return false
  }

  add(code: string, snapshot: ModuleSnapshot): void {
    this.snapshots.set(code, snapshot)
    this.bytes += snapshot.image.bytes
    while (this.snapshots.size > MAX_SNAPSHOTS || this.bytes > MAX_BYTES) {
      const [oldest, s] = this.snapshots.entries().next().value as [string, ModuleSnapshot]
      this.snapshots.delete(oldest)
      this.bytes -= s.image.bytes
    }
  }
}
