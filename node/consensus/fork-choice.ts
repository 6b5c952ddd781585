/**
 * Which of several valid chain tips a node follows: the heaviest (sum of block weights, in-turn 2, out-of-turn 1,
 * Clique's total difficulty), then, between equal weights, the lowest block hash, so every node breaks the tie the
 * same way without waiting.
 */
export interface ForkTip {
  totalWeight: number
  hash: Uint8Array
}

/** Negative when `a` is preferred, positive when `b` is, 0 only for the same hash. */
export function compareTips(a: ForkTip, b: ForkTip): number {
  if (a.totalWeight !== b.totalWeight) return b.totalWeight - a.totalWeight
  const n = Math.min(a.hash.length, b.hash.length)
  for (let i = 0; i < n; i++)
    if (a.hash[i] !== b.hash[i]) return (a.hash[i] as number) - (b.hash[i] as number)
  return a.hash.length - b.hash.length
}

export function chooseTip<T extends ForkTip>(tips: readonly T[]): T | undefined {
  let best: T | undefined
  for (const t of tips) if (!best || compareTips(t, best) < 0) best = t
  return best
}
