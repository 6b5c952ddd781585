import type { ImporterOptions } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

/** 256 KiB: kubo's default chunk size (size-262144). */
export const CHUNK_SIZE = 262_144
/** Kubo's balanced layout puts at most 174 links in a node (UnixFSFileMaxLinks of the legacy profiles). */
export const MAX_CHILDREN = 174

/**
 * The importer options that give a file the CID of `ipfs add --cid-version 1 --raw-leaves` in kubo: CIDv1, raw
 * leaves, fixed 256 KiB chunks, balanced layout of 174 children, a one-chunk file is its raw leaf. Spelled out
 * rather than taken from a profile so a change of the library's defaults cannot change our CIDs.
 */
export function kuboV1Options(): ImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN }),
    wrapWithDirectory: false,
  }
}
