import type { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'
import { DAG_PB, decodeFileNode, type FileNode, RAW } from '../../core/storage-proof.ts'

/** Deepest DAG a walk follows: a balanced 174-ary tree of 256 KiB leaves is 6 levels deep at 2^60 bytes. */
export const MAX_DEPTH = 64
/**
 * Blocks read ahead of the consumer among one node's children: keeps a LevelDB read in flight while the consumer
 * works, and bounds what a slow download holds (4 leaves of 256 KiB, plus a few small inner nodes per level).
 */
export const READ_AHEAD = 4

export type GetBlock = (cid: CID) => Promise<Uint8Array>

/** A root block read and checked as a file: raw, or a UnixFS file node. */
export interface FileRoot {
  cid: CID
  bytes: Uint8Array
  size: number
}

const corrupt = (root: CID, why: string) =>
  new SteleError('STELE_BAD_REQUEST', `${root} is not a consistent UnixFS file: ${why}`)

/** The root's bytes and file size; STELE_BAD_REQUEST when it is not a raw block or a UnixFS file node. */
export function fileRoot(cid: CID, bytes: Uint8Array): FileRoot {
  if (cid.code === RAW) return { cid, bytes, size: bytes.length }
  if (cid.code !== DAG_PB) throw new SteleError('STELE_BAD_REQUEST', `${cid} is neither raw nor dag-pb`)
  try {
    return { cid, bytes, size: Number(decodeFileNode(bytes).unixfs.fileSize()) }
  } catch (e) {
    throw new SteleError('STELE_BAD_REQUEST', `${cid} is not a UnixFS file: ${(e as Error).message}`)
  }
}

/**
 * The file's bytes in [offset, offset + length), pulled: a block is read only when the consumer has taken the bytes
 * before it (up to READ_AHEAD siblings early), so memory is bounded whatever the file's size and a consumer that
 * stops (a closed download) stops the reads. ipfs-unixfs-exporter instead walks the whole DAG into an unbounded
 * queue as fast as LevelDB answers, which held most of a 1 GiB file during a slow download.
 */
export function readFile(
  get: GetBlock,
  root: FileRoot,
  range: { offset?: number; length?: number } = {},
): AsyncGenerator<Uint8Array> {
  const start = range.offset ?? 0
  if (!Number.isSafeInteger(start) || start < 0 || start > root.size)
    throw new SteleError(
      'STELE_RANGE_NOT_SATISFIABLE',
      `offset ${start} is outside the file's ${root.size} bytes`,
      {
        details: { size: root.size },
      },
    )
  const end = Math.min(root.size, range.length === undefined ? root.size : start + Math.max(0, range.length))
  return emit(get, root.cid, root.cid, root.bytes, root.size, start, end, 0)
}

interface Child {
  cid: CID
  size: number
  from: number
  to: number
}

/** The bytes [from, to) of one node whose file size its parent gave as `size`. */
async function* emit(
  get: GetBlock,
  root: CID,
  cid: CID,
  bytes: Uint8Array,
  size: number,
  from: number,
  to: number,
  depth: number,
): AsyncGenerator<Uint8Array> {
  if (from >= to) return
  if (cid.code === RAW) {
    if (bytes.length !== size)
      throw corrupt(root, `leaf ${cid} has ${bytes.length} bytes, its parent says ${size}`)
    yield bytes.subarray(from, to)
    return
  }
  if (cid.code !== DAG_PB) throw corrupt(root, `${cid} is neither raw nor dag-pb`)
  if (depth >= MAX_DEPTH) throw corrupt(root, `deeper than ${MAX_DEPTH}`)
  let f: FileNode
  try {
    f = decodeFileNode(bytes)
  } catch (e) {
    throw corrupt(root, `${cid}: ${(e as Error).message}`)
  }
  const inline = f.unixfs.data ?? new Uint8Array(0)
  let pos = inline.length
  const children: Child[] = []
  for (let i = 0; i < f.node.Links.length; i++) {
    const childSize = Number(f.unixfs.blockSizes[i])
    if (pos + childSize > from && pos < to)
      children.push({
        cid: f.node.Links[i]!.Hash,
        size: childSize,
        from: Math.max(0, from - pos),
        to: Math.min(to, pos + childSize) - pos,
      })
    pos += childSize
  }
  if (pos !== size) throw corrupt(root, `${cid} holds ${pos} bytes, its parent says ${size}`)
  if (from < inline.length) yield inline.subarray(from, Math.min(to, inline.length))
  for await (const [child, block] of readAhead(children, get))
    yield* emit(get, root, child.cid, block, child.size, child.from, child.to, depth + 1)
}

/** The children's blocks in order, at most READ_AHEAD read before the consumer asks for them. */
async function* readAhead(children: Child[], get: GetBlock): AsyncGenerator<[Child, Uint8Array]> {
  const pending: Promise<Uint8Array>[] = []
  let next = 0
  const fill = () => {
    while (next < children.length && pending.length < READ_AHEAD) {
      const read = get(children[next++]!.cid)
      // Awaited in order below; a read left behind by a consumer that stopped must not be an unhandled rejection.
      read.catch(() => undefined)
      pending.push(read)
    }
  }
  fill()
  for (const child of children) {
    const block = await pending.shift()!
    fill()
    yield [child, block]
  }
}
