/**
 * Finality: a block is final once blocks signed by more than half the producers are built on it. With the recents
 * rule no minority can build a longer chain past that point, so no fork choice can leave it.
 */
import { toHex } from '../../core/bytes.ts'

/**
 * The height of the highest final block of a chain whose blocks `firstHeight`, `firstHeight+1`, ... were signed by
 * `producers` (keys as bytes or hex), for a producer set of `n`. Returns firstHeight-1 when no block of the span is
 * final yet: what came before the span is taken as final by the caller (genesis is).
 */
export function finalHeight(
  firstHeight: number,
  producers: readonly (Uint8Array | string)[],
  n: number,
): number {
  const signers = new Set<string>()
  // Walk back from the tip: once the blocks from i+1 on have a majority of signers, block i is final.
  for (let i = producers.length - 1; i >= 0; i--) {
    if (signers.size * 2 > n) return firstHeight + i
    const p = producers[i] as Uint8Array | string
    signers.add(typeof p === 'string' ? p : toHex(p))
  }
  return firstHeight - 1
}
