import { createHash } from 'node:crypto'

/**
 * A straightforward recursive RFC 6962 §2.1 Merkle tree, written from the RFC and sharing nothing with core/
 * (its own SHA-256 through createHash), to check core/merkle.ts and the published vectors against.
 */

export const H = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}
const ZERO = Uint8Array.of(0)
const ONE = Uint8Array.of(1)

/** Largest power of two strictly below n (n > 1). */
export function split(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

export function refMth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return H()
  if (d.length === 1) return H(ZERO, d[0]!)
  const k = split(d.length)
  return H(ONE, refMth(d.slice(0, k)), refMth(d.slice(k)))
}

export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return []
  const k = split(d.length)
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))]
}

/** Every leaf's path at once, by the same definition: the left half's paths gain the right subtree's hash, and vice versa. */
export function refAllPaths(d: readonly Uint8Array[]): Uint8Array[][] {
  if (d.length <= 1) return d.map(() => [])
  const k = split(d.length)
  const [l, r] = [d.slice(0, k), d.slice(k)]
  const [lRoot, rRoot] = [refMth(l), refMth(r)]
  return [...refAllPaths(l).map((p) => [...p, rRoot]), ...refAllPaths(r).map((p) => [...p, lRoot])]
}

/** Recomputes the root from a path by following the RFC's recursive structure for (m, n); null when the path does not fit. */
export function refRoot(
  leaf: Uint8Array,
  m: number,
  n: number,
  path: readonly Uint8Array[],
): Uint8Array | null {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || m >= n) return null
  if (n === 1) return path.length === 0 ? leaf : null
  if (path.length === 0) return null
  const k = split(n)
  const last = path[path.length - 1]!
  const rest = path.slice(0, -1)
  if (m < k) {
    const left = refRoot(leaf, m, k, rest)
    return left && H(ONE, left, last)
  }
  const right = refRoot(leaf, m - k, n - k, rest)
  return right && H(ONE, last, right)
}

export const refLeafHash = (data: Uint8Array): Uint8Array => H(ZERO, data)
