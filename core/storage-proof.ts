import { decode as decodePb, type PBNode } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { equalBytes } from './bytes.ts'
import { sha256 } from './hash.ts'

/** Multicodec numbers of the two block kinds a UnixFS file is made of (docs/storage.md). */
export const DAG_PB = 0x70
export const RAW = 0x55
/** The multihash code of SHA-256: the only hash a storage proof accepts. */
export const SHA2_256 = 0x12

/**
 * A byte-offset proof: the dag-pb nodes from the file's root down to the leaf holding byte `offset`, and that raw
 * leaf. A file that is one raw block has no nodes. Phase 2 carries this in storage-proof transactions.
 */
export interface StorageProofBundle {
  offset: number
  nodes: Uint8Array[]
  leaf: Uint8Array
}

export type StorageCheckName =
  | 'root.cid'
  | 'node.hash'
  | 'node.decode'
  | 'node.offset'
  | 'leaf.hash'
  | 'leaf.offset'
  | 'bundle.format'
  | 'bundle.size'

export interface StorageCheck {
  name: StorageCheckName
  ok: boolean
  message: string
}

export interface StorageProofResult {
  ok: boolean
  checks: StorageCheck[]
  /** The first failed check's message, when not ok. */
  error?: string
  /** When ok: the file's size, the leaf's CID and the offset of the byte inside the leaf. */
  fileSize?: number
  leafCid?: string
  leafOffset?: number
}

/** A CID from its text or bytes, or undefined when it is neither. */
export function parseCid(text: string): CID | undefined {
  try {
    return CID.parse(text).toV1()
  } catch {
    return undefined
  }
}

/** Whether `bytes` hash (SHA-256) to the digest `cid` names. */
export function blockMatches(cid: CID, bytes: Uint8Array): boolean {
  return cid.multihash.code === SHA2_256 && equalBytes(sha256(bytes), cid.multihash.digest)
}

export interface FileNode {
  node: PBNode
  unixfs: UnixFS
}

/** A dag-pb block decoded as a UnixFS file node whose links and block sizes agree; throws TypeError otherwise. */
export function decodeFileNode(bytes: Uint8Array): FileNode {
  const node = decodePb(bytes)
  if (!node.Data) throw new TypeError('dag-pb node has no UnixFS data')
  const unixfs = UnixFS.unmarshal(node.Data)
  if (unixfs.type !== 'file' && unixfs.type !== 'raw')
    throw new TypeError(`UnixFS node is a ${unixfs.type}, not a file`)
  if (unixfs.blockSizes.length !== node.Links.length)
    throw new TypeError(`${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`)
  return { node, unixfs }
}

/**
 * Which child of a file node holds byte `offset` (relative to the node) and the offset inside that child, by the
 * node's block sizes. A node's own inline data comes before its children (UnixFS); `index: -1` means the byte is in
 * it. Undefined when the offset is past the node's bytes.
 */
export function selectChild(
  f: FileNode,
  offset: number,
): { index: number; cid?: CID; offset: number } | undefined {
  const inline = f.unixfs.data?.length ?? 0
  if (offset < inline) return { index: -1, offset }
  let start = inline
  for (let i = 0; i < f.unixfs.blockSizes.length; i++) {
    const size = Number(f.unixfs.blockSizes[i])
    if (offset < start + size) return { index: i, cid: f.node.Links[i]!.Hash, offset: offset - start }
    start += size
  }
  return undefined
}

/**
 * Checks a byte-offset proof against the file's root CID, offline and pure: each node hashes to the CID its parent
 * links, the block sizes pick the child that holds the offset, and the leaf hashes to the last link and holds the
 * offset. The steps and their byte layout are in docs/storage.md.
 */
export function verifyStorageProof(
  rootCid: string | CID,
  offset: number,
  bundle: StorageProofBundle,
): StorageProofResult {
  const checks: StorageCheck[] = []
  const fail = (name: StorageCheckName, message: string): StorageProofResult => {
    checks.push({ name, ok: false, message })
    return { ok: false, checks, error: message }
  }
  const pass = (name: StorageCheckName, message: string) => checks.push({ name, ok: true, message })

  if (
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    bundle.offset !== offset ||
    !Array.isArray(bundle.nodes) ||
    !(bundle.leaf instanceof Uint8Array) ||
    !bundle.nodes.every((n) => n instanceof Uint8Array)
  )
    return fail('bundle.format', `the bundle is not a proof of offset ${offset}`)
  pass('bundle.format', `a proof of offset ${offset} with ${bundle.nodes.length} nodes`)

  const root = typeof rootCid === 'string' ? parseCid(rootCid) : rootCid
  if (!root || root.multihash.code !== SHA2_256 || (root.code !== DAG_PB && root.code !== RAW))
    return fail('root.cid', `root ${String(rootCid)} is not a dag-pb or raw CID with SHA-256`)
  pass('root.cid', `root ${root.toString()}`)

  let cur: CID = root
  let rel = offset
  let fileSize: number | undefined
  for (const [depth, bytes] of bundle.nodes.entries()) {
    if (cur.code !== DAG_PB)
      return fail('node.hash', `depth ${depth}: ${cur} is a raw block but the bundle has a node for it`)
    if (!blockMatches(cur, bytes))
      return fail('node.hash', `depth ${depth}: the node does not hash to ${cur}`)
    let f: FileNode
    try {
      f = decodeFileNode(bytes)
    } catch (e) {
      return fail('node.decode', `depth ${depth}: ${(e as Error).message}`)
    }
    if (depth === 0) {
      fileSize = Number(f.unixfs.fileSize())
      if (offset >= fileSize)
        return fail('node.offset', `offset ${offset} is past the file's ${fileSize} bytes`)
    }
    const child = selectChild(f, rel)
    if (!child) return fail('node.offset', `depth ${depth}: offset ${rel} is past the node's block sizes`)
    if (!child.cid)
      return fail('node.offset', `depth ${depth}: the byte is inline in a dag-pb node, not in a raw leaf`)
    cur = child.cid
    rel = child.offset
  }
  pass('node.hash', `${bundle.nodes.length} nodes hash to the CIDs their parents link`)
  pass('node.offset', 'each node links the child that holds the offset')

  if (cur.code !== RAW) return fail('leaf.hash', `${cur} is not a raw leaf (more nodes are needed)`)
  if (!blockMatches(cur, bundle.leaf)) return fail('leaf.hash', `the leaf does not hash to ${cur}`)
  pass('leaf.hash', `leaf ${cur}`)
  if (rel >= bundle.leaf.length)
    return fail('leaf.offset', `offset ${rel} is past the leaf's ${bundle.leaf.length} bytes`)
  pass('leaf.offset', `byte ${rel} of the leaf`)
  return {
    ok: true,
    checks,
    fileSize: fileSize ?? bundle.leaf.length,
    leafCid: cur.toString(),
    leafOffset: rel,
  }
}

/** The `format` of the JSON bundle `GET /v1/storage/files/:cid/proof` serves and `stele verify` reads. */
export const STORAGE_PROOF_FORMAT = 'stele-storage-proof/1'

/** The JSON form of a byte-offset proof: binary fields in base64 (docs/storage.md). */
export interface StorageProofJson {
  format: typeof STORAGE_PROOF_FORMAT
  root: string
  offset: number
  fileSize: number
  nodes: string[]
  leaf: string
}

export function isStorageProofJson(b: unknown): b is StorageProofJson {
  return (b as { format?: unknown } | null)?.format === STORAGE_PROOF_FORMAT
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict base64 (no whitespace, padded) to bytes; undefined when the text is not that. */
function fromBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !BASE64.test(text)) return undefined
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/**
 * Checks a JSON storage proof bundle offline: decodes it (check `bundle.format`), runs verifyStorageProof against
 * the root it names, then checks the size it claims against the root node's (check `bundle.size`). What it proves:
 * the file with that CID has these bytes at that offset; trusting the CID is the reader's part.
 */
export function verifyStorageProofJson(
  json: unknown,
): StorageProofResult & { root?: string; offset?: number } {
  const j = json as Partial<StorageProofJson> | null
  const nodes = Array.isArray(j?.nodes) ? j.nodes.map(fromBase64) : undefined
  const leaf = fromBase64(j?.leaf)
  if (
    !isStorageProofJson(j) ||
    typeof j.root !== 'string' ||
    typeof j.offset !== 'number' ||
    !nodes ||
    !leaf ||
    nodes.some((n) => n === undefined)
  ) {
    const message = `not a ${STORAGE_PROOF_FORMAT} bundle (root, offset, fileSize, nodes and leaf in base64)`
    return { ok: false, checks: [{ name: 'bundle.format', ok: false, message }], error: message }
  }
  const r = verifyStorageProof(j.root, j.offset, { offset: j.offset, nodes: nodes as Uint8Array[], leaf })
  if (!r.ok) return { ...r, root: j.root, offset: j.offset }
  if (j.fileSize !== r.fileSize) {
    const message = `the bundle claims ${String(j.fileSize)} bytes; the root says ${r.fileSize}`
    r.checks.push({ name: 'bundle.size', ok: false, message })
    return { ok: false, checks: r.checks, error: message, root: j.root, offset: j.offset }
  }
  r.checks.push({ name: 'bundle.size', ok: true, message: `a file of ${r.fileSize} bytes` })
  return { ...r, root: j.root, offset: j.offset }
}
