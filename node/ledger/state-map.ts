import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { bitAt, computeStateRoot, EMPTY_HASH, type StateLeaf, type StateProof } from '../../core/state-map.ts'
import type { Db, DbOp } from '../db/db.ts'
import { decodeNode, encodeNode, NodeCache, type TreeNode } from './tree-node.ts'

/**
 * The node's copy of the state map (core/state-map.ts), kept in LevelDB so that updating k keys costs O(k log n)
 * reads and hashes. The reads of an update are one `getMany` per tree level, and committed nodes stay in a bounded
 * in-memory cache (the upper levels, touched by every update, never leave it), so a block's update mostly hashes.
 * Keys, under their own prefix (kept here rather than in node/db/keys.ts):
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

export type StateDb = Pick<Db, 'get' | 'getMany' | 'batch' | 'iterator'>

export interface StateMapOptions {
  /**
   * Committed tree nodes kept in memory, at most; about 600 bytes of heap each (measured). Default 32,768 (~20 MB:
   * a map of ~13k keys fits whole, a larger one keeps its upper levels and recent paths).
   */
  cacheNodes?: number
}

export const DEFAULT_STATE_CACHE_NODES = 32_768

export interface StateChange {
  key: Uint8Array
  /** null deletes the key. */
  value: Uint8Array | null
}

/** A computed update: the new root and the writes that make it so, to go in the caller's atomic batch. */
export interface StagedUpdate {
  readonly base: Uint8Array
  readonly root: Uint8Array
  readonly ops: DbOp[]
  /** Hashes computed (for the bench's cost per block). */
  readonly hashes: number
}

/** The nodes an update reads (fetched before it runs) and writes; reads see the writes. */
class Overlay {
  readonly nodes = new Map<string, TreeNode | null>()
  hashes = 0
  constructor(private readonly known: Map<string, TreeNode | null>) {}

  read(path: string): TreeNode | null {
    const o = this.nodes.has(path) ? this.nodes.get(path) : this.known.get(path)
    if (o === undefined) throw new SteleError('STELE_INTERNAL', `state map: node ${path} was not fetched`)
    return o
  }

  put(path: string, n: TreeNode | null): void {
    this.nodes.set(path, n)
  }

  hash(n: TreeNode | null): Uint8Array {
    if (n === null) return EMPTY_HASH
    this.hashes++
    return sha256(encodeNode(n)) // = leafHash / nodeHash of core/state-map.ts, from the stored bytes
  }
}

type Change = { key: Uint8Array; valueHash: Uint8Array | null }
type Visit = { path: string; depth: number; changes: Change[] }

/** The index of the first change whose key has bit 1 at `depth` (changes sorted by key). */
function splitAt(changes: Change[], depth: number): number {
  let mid = 0
  while (mid < changes.length && bitAt(changes[mid]!.key, depth) === 0) mid++
  return mid
}

export class StateMap {
  private current: Uint8Array = EMPTY_HASH
  private readonly cache: NodeCache
  /** Bumped by every commit: a read that straddles one does not fill the cache. */
  private generation = 0
  /** The nodes each staged update writes, for the cache once it is committed. */
  private readonly writes = new WeakMap<StagedUpdate, Map<string, TreeNode | null>>()

  constructor(
    private readonly db: StateDb,
    opts: StateMapOptions = {},
  ) {
    this.cache = new NodeCache(Math.max(1, opts.cacheNodes ?? DEFAULT_STATE_CACHE_NODES))
  }

  /** Reads the committed root; call once before use. */
  async open(): Promise<this> {
    const r = await this.db.get(SM.root)
    this.current = r === undefined ? EMPTY_HASH : new Uint8Array(r)
    this.cache.clear()
    return this
  }

  get root(): Uint8Array {
    return this.current
  }

  /** Commits so far: a value read before one may be stale after it. */
  get commits(): number {
    return this.generation
  }

  /** Tree nodes held in memory (for tests and metrics). */
  get cachedNodes(): number {
    return this.cache.size
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.getMany([toHex(key)]))[0]
  }

  /** Committed values of several keys (hex) in one read: admission reads a transaction's accounts this way. */
  async getMany(keysHex: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const vs = keysHex.length === 0 ? [] : await this.db.getMany(keysHex.map(SM.value))
    return vs.map((v) => (v === undefined ? undefined : new Uint8Array(v)))
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
      // A copy: the key ends up in cached nodes, and the caller may reuse its buffer.
      byKey.set(hex, { key: new Uint8Array(c.key), valueHash: c.value === null ? null : sha256(c.value) })
    }
    // Values: the last change of each key.
    const last = new Map<string, Uint8Array | null>()
    for (const c of changes) last.set(toHex(c.key), c.value)
    for (const [hex, v] of last)
      ops.push(
        v === null ? { type: 'del', key: SM.value(hex) } : { type: 'put', key: SM.value(hex), value: v },
      )

    const sorted = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key))
    const o = new Overlay(await this.fetchPaths(sorted))
    const rootNode = sorted.length === 0 ? o.read('') : this.update(o, '', 0, sorted)
    const root = new Uint8Array(o.hash(rootNode))
    for (const [path, n] of o.nodes)
      ops.push(
        n === null
          ? { type: 'del', key: SM.node(path) }
          : { type: 'put', key: SM.node(path), value: encodeNode(n) },
      )
    ops.push({ type: 'put', key: SM.root, value: root })
    const staged: StagedUpdate = { base: this.current, root, ops, hashes: o.hashes }
    this.writes.set(staged, o.nodes)
    return staged
  }

  /** Records that the caller wrote `u.ops`. */
  committed(u: StagedUpdate): void {
    if (!equalBytes(u.base, this.current))
      throw new SteleError('STELE_INTERNAL', 'state map: an update was staged against another root')
    this.current = u.root
    this.generation++
    const nodes = this.writes.get(u)
    if (nodes === undefined) {
      this.cache.clear() // not staged here: what it wrote is unknown
      return
    }
    this.writes.delete(u)
    for (const [path, n] of nodes) this.cache.set(path, n)
  }

  /** Stages and writes `changes` (with `extra` ops in the same atomic batch). */
  async apply(changes: StateChange[], extra: DbOp[] = []): Promise<StagedUpdate> {
    const u = await this.stage(changes)
    await this.db.batch([...u.ops, ...extra])
    this.committed(u)
    return u
  }

  /**
   * Every committed node `update` will read for `changes`, a level at a time: one getMany per level for what the
   * cache lacks. Below a leaf or an absent node nothing is read. Under a node whose changes delete a key, the child
   * without changes is read too: if the other side empties, a leaf there moves up.
   */
  private async fetchPaths(changes: Change[]): Promise<Map<string, TreeNode | null>> {
    const known = new Map<string, TreeNode | null>()
    let level: Visit[] = [{ path: '', depth: 0, changes }]
    let extra: string[] = []
    while (level.length > 0 || extra.length > 0) {
      await this.readInto(known, [...level.map((v) => v.path), ...extra])
      const next: Visit[] = []
      extra = []
      for (const v of level) {
        const n = known.get(v.path)
        if (n === null || n === undefined || n.leaf) continue
        const mid = splitAt(v.changes, v.depth)
        if (mid > 0) next.push({ path: `${v.path}0`, depth: v.depth + 1, changes: v.changes.slice(0, mid) })
        if (mid < v.changes.length)
          next.push({ path: `${v.path}1`, depth: v.depth + 1, changes: v.changes.slice(mid) })
        if ((mid === 0 || mid === v.changes.length) && v.changes.some((c) => c.valueHash === null))
          extra.push(`${v.path}${mid === 0 ? '0' : '1'}`)
      }
      level = next
    }
    return known
  }

  /** Puts the committed nodes at `paths` into `known`, from the cache or one getMany. */
  private async readInto(known: Map<string, TreeNode | null>, paths: string[]): Promise<void> {
    const missing: string[] = []
    for (const p of paths) {
      const n = this.cache.get(p)
      if (n === undefined) missing.push(p)
      else known.set(p, n)
    }
    if (missing.length === 0) return
    const gen = this.generation
    const got = await this.db.getMany(missing.map(SM.node))
    missing.forEach((p, i) => {
      const b = got[i]
      const n = b === undefined ? null : decodeNode(b)
      known.set(p, n)
      if (gen === this.generation) this.cache.set(p, n)
    })
  }

  /** One committed node, through the cache. */
  private async readNode(path: string): Promise<TreeNode | null> {
    const known = new Map<string, TreeNode | null>()
    await this.readInto(known, [path])
    return known.get(path) ?? null
  }

  /** The new node at `path` after applying `changes` (sorted, distinct, all under `path`). */
  private update(o: Overlay, path: string, depth: number, changes: Change[]): TreeNode | null {
    const cur = o.read(path)
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
    const mid = splitAt(changes, depth)
    const left = mid > 0 ? this.update(o, `${path}0`, depth + 1, changes.slice(0, mid)) : undefined
    const right = mid < changes.length ? this.update(o, `${path}1`, depth + 1, changes.slice(mid)) : undefined
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
      const other = (lEmpty ? right : left) ?? o.read(`${path}${side}`)
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
    const down: Uint8Array[] = []
    let path = ''
    let n = await this.readNode(path)
    while (n !== null && !n.leaf) {
      const bit = bitAt(key, down.length)
      // Copies: the nodes are the cache's, and a caller may change its proof.
      down.push(new Uint8Array(bit === 0 ? n.right : n.left))
      path += bit
      n = await this.readNode(path)
    }
    const siblings = down.reverse()
    if (n === null) return { value: null, proof: { siblings } }
    const leaf = { key: new Uint8Array(n.key), valueHash: new Uint8Array(n.valueHash) }
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
