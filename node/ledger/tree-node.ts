import { SteleError } from '../../core/errors.ts'

// The state map's stored tree nodes (node/ledger/state-map.ts): their encoding and the bounded cache of committed ones.

/**
 * `bytes` is the node's stored form, kept once made: it is also exactly the preimage of its hash (core's leafHash is
 * H(0x00 ‖ key ‖ valueHash), nodeHash H(0x01 ‖ left ‖ right)), so a node is encoded once for both. Nodes are never
 * changed after they are made.
 */
export type TreeNode = (
  | { leaf: true; key: Uint8Array; valueHash: Uint8Array }
  | { leaf: false; left: Uint8Array; right: Uint8Array }
) & { bytes?: Uint8Array }

export function encodeNode(n: TreeNode): Uint8Array {
  if (n.bytes) return n.bytes
  const b = new Uint8Array(65)
  if (n.leaf) {
    b[0] = 0
    b.set(n.key, 1)
    b.set(n.valueHash, 33)
  } else {
    b[0] = 1
    b.set(n.left, 1)
    b.set(n.right, 33)
  }
  n.bytes = b
  return b
}

export function decodeNode(b: Uint8Array): TreeNode {
  if (b.length !== 65 || (b[0] !== 0 && b[0] !== 1))
    throw new SteleError('STELE_STORAGE', 'state map: a stored node is corrupt')
  // One copy; both halves are views of it (the stored bytes may be a view of a buffer LevelDB reuses).
  const c = new Uint8Array(b)
  const x = c.subarray(1, 33)
  const y = c.subarray(33, 65)
  return c[0] === 0
    ? { leaf: true, key: x, valueHash: y, bytes: c }
    : { leaf: false, left: x, right: y, bytes: c }
}

/**
 * Committed nodes by path, oldest write first; `null` caches a known absence. Every node an update reads is on a
 * changed path, so its commit writes it again and moves it to the end: the upper levels, on every path, never
 * leave, and a bound keeps a large map's memory flat. (A read does not reorder: a Map delete and set per read
 * cost more than the eviction order gains.)
 */
export class NodeCache {
  private readonly m = new Map<string, TreeNode | null>()
  constructor(private readonly max: number) {}

  get(path: string): TreeNode | null | undefined {
    return this.m.get(path)
  }

  set(path: string, n: TreeNode | null): void {
    this.m.delete(path)
    this.m.set(path, n)
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as string)
  }

  clear(): void {
    this.m.clear()
  }

  get size(): number {
    return this.m.size
  }
}
