import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import {
  bitAt,
  computeStateRoot,
  EMPTY_HASH,
  leafHash,
  nodeHash,
  type StateLeaf,
  type StateProof,
} from '../../core/state-map.ts'
import type { Db, DbOp } from '../db/db.ts'

/**
 * The node's copy of the state map (core/state-map.ts), kept in LevelDB so that updating k keys costs O(k log n)
 * reads and hashes. Keys, under their own prefix (kept here rather than in node/db/keys.ts):
 *   sm:n:<path>   the node at a path, path = the bits from the root as '0'/'1' characters ('' is the root);
 *                 a leaf is 0x00 ‖ key ‖ H(value), an interior node 0x01 ‖ leftHash ‖ rightHash
 *   sm:v:<key>    the value of a key (hex), for reads and proofs
 *   sm:root       the root hash
 * A subtree with one leaf is stored as that leaf at the subtree's path, and nothing is stored below a leaf.
 */
export const SM = {
  node: (path: string): string => `sm:n:${path}`,
  value: (keyHex: string): string => `sm:v:${keyHex}`,
  valuePrefix: 'sm:v:',
  root: 'sm:root',
} as const

export type StateDb = Pick<Db, 'get' | 'batch' | 'iterator'>

export interface StateChange {
  key: Uint8Array
  /** null deletes the key. */
  value: Uint8Array | null
}

type TreeNode =
  | { leaf: true; key: Uint8Array; valueHash: Uint8Array }
  | { leaf: false; left: Uint8Array; right: Uint8Array }

/** A computed update: the new root and the writes that make it so, to go in the caller's atomic batch. */
export interface StagedUpdate {
  readonly base: Uint8Array
  readonly root: Uint8Array
  readonly ops: DbOp[]
  /** Hashes computed (for the bench's cost per block). */
  readonly hashes: number
}

function encodeNode(n: TreeNode): Uint8Array {
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
  return b
}

function decodeNode(b: Uint8Array): TreeNode {
  if (b.length !== 65 || (b[0] !== 0 && b[0] !== 1))
    throw new SteleError('STELE_STORAGE', 'state map: a stored node is corrupt')
  const x = new Uint8Array(b.subarray(1, 33))
  const y = new Uint8Array(b.subarray(33, 65))
  return b[0] === 0 ? { leaf: true, key: x, valueHash: y } : { leaf: false, left: x, right: y }
}

/** Reads through the writes of the update being computed. */
class Overlay {
  readonly nodes = new Map<string, TreeNode | null>()
  hashes = 0
  constructor(private readonly db: StateDb) {}

  async read(path: string): Promise<TreeNode | null> {
    const o = this.nodes.get(path)
    if (o !== undefined) return o
    const b = await this.db.get(SM.node(path))
    return b === undefined ? null : decodeNode(b)
  }

  put(path: string, n: TreeNode | null): void {
    this.nodes.set(path, n)
  }

  hash(n: TreeNode | null): Uint8Array {
    if (n === null) return EMPTY_HASH
    this.hashes++
    return n.leaf ? leafHash(n.key, n.valueHash) : nodeHash(n.left, n.right)
  }
}

type Change = { key: Uint8Array; valueHash: Uint8Array | null }

export class StateMap {
  private current: Uint8Array = EMPTY_HASH

  constructor(private readonly db: StateDb) {}

  /** Reads the committed root; call once before use. */
  async open(): Promise<this> {
    const r = await this.db.get(SM.root)
    this.current = r === undefined ? EMPTY_HASH : new Uint8Array(r)
    return this
  }

  get root(): Uint8Array {
    return this.current
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const v = await this.db.get(SM.value(toHex(key)))
    return v === undefined ? undefined : new Uint8Array(v)
  }

  /**
   * Computes the update for `changes` (later changes of a key win) without writing. The caller writes `ops` in the
   * same batch as its block, then calls `committed(update)`. One update at a time: a second stage before the first
   * is committed reads the old tree.
   */
  async stage(changes: StateChange[]): Promise<StagedUpdate> {
    const byKey = new Map<string, Change>()
    const ops: DbOp[] = []
    for (const c of changes) {
      if (c.key.length !== 32) throw new SteleError('STELE_INTERNAL', 'state map: keys are 32 bytes')
      const hex = toHex(c.key)
      byKey.set(hex, { key: c.key, valueHash: c.value === null ? null : sha256(c.value) })
    }
    // Values: the last change of each key.
    const last = new Map<string, Uint8Array | null>()
    for (const c of changes) last.set(toHex(c.key), c.value)
    for (const [hex, v] of last)
      ops.push(
        v === null ? { type: 'del', key: SM.value(hex) } : { type: 'put', key: SM.value(hex), value: v },
      )

    const o = new Overlay(this.db)
    const sorted = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key))
    const rootNode = sorted.length === 0 ? await o.read('') : await this.update(o, '', 0, sorted)
    const root = new Uint8Array(o.hash(rootNode))
    for (const [path, n] of o.nodes)
      ops.push(
        n === null
          ? { type: 'del', key: SM.node(path) }
          : { type: 'put', key: SM.node(path), value: encodeNode(n) },
      )
    ops.push({ type: 'put', key: SM.root, value: root })
    return { base: this.current, root, ops, hashes: o.hashes }
  }

  /** Records that the caller wrote `u.ops`. */
  committed(u: StagedUpdate): void {
    if (!equalBytes(u.base, this.current))
      throw new SteleError('STELE_INTERNAL', 'state map: an update was staged against another root')
    this.current = u.root
  }

  /** Stages and writes `changes` (with `extra` ops in the same atomic batch). */
  async apply(changes: StateChange[], extra: DbOp[] = []): Promise<StagedUpdate> {
    const u = await this.stage(changes)
    await this.db.batch([...u.ops, ...extra])
    this.committed(u)
    return u
  }

  /** The new node at `path` after applying `changes` (sorted, distinct, all under `path`). */
  private async update(o: Overlay, path: string, depth: number, changes: Change[]): Promise<TreeNode | null> {
    const cur = await o.read(path)
    if (cur === null || cur.leaf) {
      // At most one leaf lives here and nothing below: rebuild this subtree from its leaves.
      const leaves = new Map<string, StateLeaf>()
      if (cur) leaves.set(toHex(cur.key), { key: cur.key, valueHash: cur.valueHash })
      for (const c of changes) {
        const hex = toHex(c.key)
        if (c.valueHash === null) leaves.delete(hex)
        else leaves.set(hex, { key: c.key, valueHash: c.valueHash })
      }
      const sorted = [...leaves.values()].sort((a, b) => Buffer.compare(a.key, b.key))
      const n = this.build(o, path, depth, sorted)
      if (n === null && cur !== null) o.put(path, null)
      return n
    }
    let mid = 0
    while (mid < changes.length && bitAt(changes[mid]!.key, depth) === 0) mid++
    const left = mid > 0 ? await this.update(o, `${path}0`, depth + 1, changes.slice(0, mid)) : undefined
    const right =
      mid < changes.length ? await this.update(o, `${path}1`, depth + 1, changes.slice(mid)) : undefined
    const lh = left === undefined ? cur.left : o.hash(left)
    const rh = right === undefined ? cur.right : o.hash(right)
    const lEmpty = equalBytes(lh, EMPTY_HASH)
    const rEmpty = equalBytes(rh, EMPTY_HASH)
    if (lEmpty && rEmpty) {
      o.put(path, null)
      return null
    }
    if (lEmpty || rEmpty) {
      // One side left: if it is a single leaf, the leaf moves up to this path (the compact form).
      const side = lEmpty ? '1' : '0'
      const other = (lEmpty ? right : left) ?? (await o.read(`${path}${side}`))
      if (other?.leaf) {
        o.put(`${path}${side}`, null)
        o.put(path, other)
        return other
      }
    }
    const n: TreeNode = { leaf: false, left: lh, right: rh }
    o.put(path, n)
    return n
  }

  /** Writes the subtree of `leaves` (sorted) at `path`, where nothing was stored below. */
  private build(o: Overlay, path: string, depth: number, leaves: StateLeaf[]): TreeNode | null {
    if (leaves.length === 0) return null
    if (leaves.length === 1) {
      const n: TreeNode = { leaf: true, key: leaves[0]!.key, valueHash: leaves[0]!.valueHash }
      o.put(path, n)
      return n
    }
    let mid = 0
    while (mid < leaves.length && bitAt(leaves[mid]!.key, depth) === 0) mid++
    const l = this.build(o, `${path}0`, depth + 1, leaves.slice(0, mid))
    const r = this.build(o, `${path}1`, depth + 1, leaves.slice(mid))
    const n: TreeNode = { leaf: false, left: o.hash(l), right: o.hash(r) }
    o.put(path, n)
    return n
  }

  /** The value of `key` (null when absent) and its proof against the committed root. */
  async prove(key: Uint8Array): Promise<{ value: Uint8Array | null; proof: StateProof }> {
    const o = new Overlay(this.db)
    const down: Uint8Array[] = []
    let path = ''
    let n = await o.read(path)
    while (n !== null && !n.leaf) {
      const bit = bitAt(key, down.length)
      down.push(bit === 0 ? n.right : n.left)
      path += bit
      n = await o.read(path)
    }
    const siblings = down.reverse()
    if (n === null) return { value: null, proof: { siblings } }
    const leaf = { key: n.key, valueHash: n.valueHash }
    const value = equalBytes(n.key, key) ? ((await this.get(key)) ?? null) : null
    if (equalBytes(n.key, key) && value === null)
      throw new SteleError('STELE_STORAGE', 'state map: a leaf has no stored value')
    return { value, proof: { leaf, siblings } }
  }

  /** The root recomputed from every stored value, by the definition: equals `root` unless the store is damaged. */
  async rebuildRoot(): Promise<Uint8Array> {
    const leaves: StateLeaf[] = []
    for await (const [k, v] of this.db.iterator({ gt: SM.valuePrefix, lt: `${SM.valuePrefix}\uffff` }))
      leaves.push({ key: Buffer.from(k.slice(SM.valuePrefix.length), 'hex'), valueHash: sha256(v) })
    return computeStateRoot(leaves)
  }
}
