/**
 * Seeded pseudo-random numbers for the simulator and for tests.
 *
 * mulberry32: 32 bits of state, fast, good enough statistical quality for sensor noise and
 * jitter, and — the point — the same seed always gives the same sequence, so a simulated
 * fleet and every test built on it are reproducible. Not for anything secret.
 */

/** A source of numbers in [0, 1), like `Math.random`. */
export type Random = () => number

/** Returns a generator seeded with `seed` (any number; only its low 32 bits are used). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Derives an independent seed for a child generator (one per device, say) from a parent seed. */
export function deriveSeed(seed: number, index: number): number {
  // Mix with a golden-ratio step and one mulberry round so neighbouring indexes are uncorrelated.
  return createRandom((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0)() * 4294967296
}
