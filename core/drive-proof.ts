import { decode as decodePb, encode as encodePb, prepare } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { concatBytes, equalBytes } from './bytes.ts'
import type { DriveFile } from './drive-state.ts'
import { sha256 } from './hash.ts'
import { blockMatches, DAG_PB, SHA2_256, verifyStorageProof } from './storage-proof.ts'

/**
 * A drive is a flat UnixFS directory (docs/storage.md "Drives"): its root is the dag-pb directory node kubo writes
 * for the same entries, and a challenge names one byte of one of its files. Pure: the ledger checks answers with it.
 */

const DIRECTORY_DATA = new UnixFS({ type: 'directory' }).marshal()

/** Files sorted as the directory links them: bytewise by UTF-8 name. */
export function sortFiles(files: DriveFile[]): DriveFile[] {
  return [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
}

/** The drive's directory block and its CID (CIDv1 dag-pb, SHA-256): what `ipfs add -r --cid-version 1` makes. */
export function directoryBlock(files: DriveFile[]): { cid: CID; bytes: Uint8Array } {
  const node = prepare({
    Data: DIRECTORY_DATA,
    Links: sortFiles(files).map((f) => ({ Name: f.name, Hash: CID.decode(f.cid), Tsize: f.tsize })),
  })
  const bytes = encodePb(node)
  return { cid: CID.createV1(DAG_PB, createDigest(SHA2_256, sha256(bytes))), bytes }
}

export interface DriveChallenge {
  /** Index in the drive's files (sorted). */
  file: number
  name: string
  cid: CID
  offset: number
}

const u64 = (b: Uint8Array, at: number): bigint =>
  Buffer.from(b.buffer, b.byteOffset, b.length).readBigUInt64BE(at)

/**
 * The byte a replicator must prove: h = SHA-256(seed ‖ drive ‖ replicator); the file is the (h[0..8] mod n)-th of
 * the drive's n non-empty files in name order, the offset h[8..16] mod its size. Undefined for a drive without bytes.
 */
export function driveChallenge(
  seed: Uint8Array,
  drive: Uint8Array,
  replicator: Uint8Array,
  files: DriveFile[],
): DriveChallenge | undefined {
  const sorted = sortFiles(files)
  const candidates = sorted.map((f, i) => ({ f, i })).filter((c) => c.f.size > 0)
  if (candidates.length === 0) return undefined
  const h = sha256(concatBytes(seed, drive, replicator))
  const pick = candidates[Number(u64(h, 0) % BigInt(candidates.length))]!
  return {
    file: pick.i,
    name: pick.f.name,
    cid: CID.decode(pick.f.cid),
    offset: Number(u64(h, 8) % BigInt(pick.f.size)),
  }
}

export interface DriveAnswer {
  directory: Uint8Array
  nodes: Uint8Array[]
  leaf: Uint8Array
}

export type DriveAnswerResult = { ok: true; leafCid: string } | { ok: false; error: string }

/**
 * Checks an answer against the drive's root: the directory block hashes to `root`, links the challenged name to the
 * challenged file's CID, and the nodes and leaf are a byte-offset proof (verifyStorageProof) of the offset in it.
 */
export function verifyDriveAnswer(
  root: CID,
  challenge: DriveChallenge,
  answer: DriveAnswer,
): DriveAnswerResult {
  if (root.code !== DAG_PB || !blockMatches(root, answer.directory))
    return { ok: false, error: `the directory does not hash to the drive's root ${root}` }
  let links: { Name?: string; Hash: CID }[]
  try {
    const node = decodePb(answer.directory)
    if (!node.Data || UnixFS.unmarshal(node.Data).type !== 'directory')
      return { ok: false, error: 'the root is not a UnixFS directory' }
    links = node.Links
  } catch (e) {
    return { ok: false, error: `the directory does not decode: ${(e as Error).message}` }
  }
  const link = links.find((l) => l.Name === challenge.name)
  if (!link || !equalBytes(link.Hash.bytes, challenge.cid.bytes))
    return { ok: false, error: `the directory does not link ${challenge.name} to ${challenge.cid}` }
  const r = verifyStorageProof(challenge.cid, challenge.offset, {
    offset: challenge.offset,
    nodes: answer.nodes,
    leaf: answer.leaf,
  })
  return r.ok
    ? { ok: true, leafCid: r.leafCid! }
    : { ok: false, error: r.error ?? 'the proof does not verify' }
}
