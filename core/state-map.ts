import { abytes, ByteReader, ByteWriter, equalBytes } from './bytes.ts'
import { SteleError } from './errors.ts'
import { sha256 } from './hash.ts'

/**
 * The state map (docs/protocol.md §9.3): a binary sparse Merkle tree over 256-bit keys in compact form, where a
 * subtree holding a single leaf is that leaf. Hashing rules, the proof encoding and offline verification; the
 * node keeps the tree itself (node/ledger/state-map.ts).
 */

/** Namespaces of state keys. 4 and 5 are reserved for drives and contracts. */
export const STATE_NS = { ACCOUNT: 1, GATEWAY: 2, NODE: 3, DRIVE: 4, CONTRACT: 5 } as const

/** The hash of an empty subtree, and the root of an empty map. */
export const EMPTY_HASH: Uint8Array = new Uint8Array(32)
export const KEY_BITS = 256

export function stateKey(namespace: number, id: Uint8Array): Uint8Array {
  return sha256(new ByteWriter(1 + id.length).u8(namespace).bytes(id).finish())
}

export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const b = new Uint8Array(65)
  b[0] = 0x00
  b.set(key, 1)
  b.set(valueHash, 33)
  return sha256(b)
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(65)
  b[0] = 0x01
  b.set(left, 1)
  b.set(right, 33)
  return sha256(b)
}

/** Bit `depth` of a key, most significant bit of byte 0 first: 0 goes left, 1 right. */
export function bitAt(key: Uint8Array, depth: number): number {
  return ((key[depth >> 3] ?? 0) >> (7 - (depth & 7))) & 1
}

export interface StateLeaf {
  key: Uint8Array
  valueHash: Uint8Array
}

/** Root of a set of leaves by the definition (sorts a copy; keys must be distinct). O(n log n). */
export function computeStateRoot(leaves: StateLeaf[]): Uint8Array {
  const sorted = [...leaves].sort((a, b) => Buffer.compare(a.key, b.key))
  for (let i = 1; i < sorted.length; i++)
    if (equalBytes(sorted[i - 1]!.key, sorted[i]!.key))
      throw new SteleError('STELE_INTERNAL', 'state map: duplicate key')
  const root = (lo: number, hi: number, depth: number): Uint8Array => {
    if (hi === lo) return EMPTY_HASH
    if (hi - lo === 1) return leafHash(sorted[lo]!.key, sorted[lo]!.valueHash)
    let mid = lo
    while (mid < hi && bitAt(sorted[mid]!.key, depth) === 0) mid++
    return nodeHash(root(lo, mid, depth + 1), root(mid, hi, depth + 1))
  }
  return root(0, sorted.length, 0)
}

/**
 * Proof for one key: the sibling hashes on the path from the key's position up to the root (nearest the leaf
 * first), and what the path ends at: the key's own leaf, another key's leaf (non-inclusion), or an empty subtree.
 */
export interface StateProof {
  leaf?: StateLeaf
  siblings: Uint8Array[]
}

export const STATE_PROOF_VERSION = 1

export function encodeStateProof(p: StateProof): Uint8Array {
  if (p.siblings.length > KEY_BITS)
    throw new SteleError('STELE_BAD_ENCODING', `state proof: more than ${KEY_BITS} siblings`)
  const w = new ByteWriter(4 + 64 + 32 * p.siblings.length).u8(STATE_PROOF_VERSION).u8(p.leaf ? 1 : 0)
  if (p.leaf)
    w.bytes(abytes(p.leaf.key, 'state proof: leaf key', 32)).bytes(
      abytes(p.leaf.valueHash, 'state proof: leaf value hash', 32),
    )
  w.u16(p.siblings.length)
  for (const [i, s] of p.siblings.entries()) w.bytes(abytes(s, `state proof: siblings[${i}]`, 32))
  return w.finish()
}

export function decodeStateProof(bytes: Uint8Array): StateProof {
  const rd = new ByteReader(bytes, 'state proof')
  const version = rd.u8('version')
  if (version !== STATE_PROOF_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `state proof: unsupported version ${version}`)
  const flag = rd.u8('leaf flag')
  if (flag > 1) throw new SteleError('STELE_BAD_ENCODING', `state proof: leaf flag ${flag} is not 0 or 1`)
  const leaf =
    flag === 1
      ? {
          key: new Uint8Array(rd.bytes(32, 'leaf key')),
          valueHash: new Uint8Array(rd.bytes(32, 'leaf value hash')),
        }
      : undefined
  const n = rd.u16('siblings.count')
  if (n > KEY_BITS)
    throw new SteleError('STELE_BAD_ENCODING', `state proof: ${n} siblings, at most ${KEY_BITS}`)
  const siblings: Uint8Array[] = []
  for (let i = 0; i < n; i++) siblings.push(new Uint8Array(rd.bytes(32, `siblings[${i}]`)))
  rd.end()
  return leaf ? { leaf, siblings } : { siblings }
}

/** Do a and b agree on their first `bits` bits? */
function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let d = 0; d < bits; d++) if (bitAt(a, d) !== bitAt(b, d)) return false
  return true
}

/**
 * Why `proof` does not show that `key` maps to `value` (or, with null, is absent) under `root`; undefined when it
 * does. Steps as numbered in docs/protocol.md §9.3.4.
 */
export function stateProofError(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): string | undefined {
  if (root.length !== 32 || key.length !== 32) return 'root and key must be 32 bytes'
  const n = proof.siblings.length
  if (n > KEY_BITS) return `more than ${KEY_BITS} siblings`
  let cur: Uint8Array
  if (value !== null) {
    if (!proof.leaf) return 'an inclusion proof needs a leaf'
    if (!equalBytes(proof.leaf.key, key)) return 'the leaf is for another key'
    if (!equalBytes(proof.leaf.valueHash, sha256(value))) return 'the value does not match the leaf'
    cur = leafHash(key, proof.leaf.valueHash)
  } else if (proof.leaf) {
    if (equalBytes(proof.leaf.key, key)) return 'the key is present: the leaf is its own'
    // The other leaf must sit where the key would: it is then the only key under that prefix.
    if (!samePrefix(proof.leaf.key, key, n)) return 'the leaf does not share the path of the key'
    cur = leafHash(proof.leaf.key, proof.leaf.valueHash)
  } else {
    cur = EMPTY_HASH
  }
  for (let i = 0; i < n; i++) {
    const sibling = proof.siblings[i]!
    if (sibling.length !== 32) return `siblings[${i}] must be 32 bytes`
    cur = bitAt(key, n - 1 - i) === 0 ? nodeHash(cur, sibling) : nodeHash(sibling, cur)
  }
  return equalBytes(cur, root) ? undefined : 'the recomputed root differs from the committed root'
}

export function verifyStateProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): boolean {
  return stateProofError(root, key, value, proof) === undefined
}
