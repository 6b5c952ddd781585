import { ByteReader, ByteWriter, utf8 } from './bytes.ts'
import { signMessage, verifySignature } from './ed25519.ts'
import { SteleError } from './errors.ts'
import { sha256 } from './hash.ts'

export const BLOCK_VERSION = 1
/** Version 2 adds `stateRoot` after `txRoot` (docs/protocol.md §9.6); the signing domain stays the same. */
export const BLOCK_VERSION_STATE = 2
export const BLOCK_DOMAIN = utf8('stele:block:v1')

export interface BlockHeader {
  chainId: string
  height: number
  /** Hash of the previous block header; for height 1, the genesis hash. */
  prevHash: Uint8Array
  time: number
  /** RFC 6962 root over the transaction hashes, in block order. */
  txRoot: Uint8Array
  txCount: number
  producer: Uint8Array
  /** Root of the state map after this block; present exactly in version 2 headers. */
  stateRoot?: Uint8Array
}

export interface SignedBlockHeader extends BlockHeader {
  header: Uint8Array
  signature: Uint8Array
  hash: Uint8Array
}

export function encodeBlockHeader(h: BlockHeader): Uint8Array {
  if (h.prevHash.length !== 32 || h.txRoot.length !== 32 || h.producer.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'block header: hashes and keys must be 32 bytes')
  if (h.stateRoot !== undefined && h.stateRoot.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'block header: stateRoot must be 32 bytes')
  const w = new ByteWriter(192)
    .u8(h.stateRoot ? BLOCK_VERSION_STATE : BLOCK_VERSION)
    .str8(h.chainId, 'chainId', 64)
    .u64(h.height)
    .bytes(h.prevHash)
    .u64(h.time)
    .bytes(h.txRoot)
  if (h.stateRoot) w.bytes(h.stateRoot)
  return w.u32(h.txCount).bytes(h.producer).finish()
}

export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  const rd = new ByteReader(bytes, 'block header')
  const version = rd.u8('version')
  if (version !== BLOCK_VERSION && version !== BLOCK_VERSION_STATE)
    throw new SteleError('STELE_BAD_ENCODING', `block header: unsupported version ${version}`)
  const chainId = rd.str8('chainId', 64)
  const height = rd.u64('height')
  const prevHash = new Uint8Array(rd.bytes(32, 'prevHash'))
  const time = rd.u64('time')
  const txRoot = new Uint8Array(rd.bytes(32, 'txRoot'))
  const stateRoot = version === BLOCK_VERSION_STATE ? new Uint8Array(rd.bytes(32, 'stateRoot')) : undefined
  const h: BlockHeader = {
    chainId,
    height,
    prevHash,
    time,
    txRoot,
    txCount: rd.u32('txCount'),
    producer: new Uint8Array(rd.bytes(32, 'producer')),
  }
  if (stateRoot) h.stateRoot = stateRoot
  rd.end()
  // Height 0 is genesis, which is not a block header.
  if (h.height < 1) throw new SteleError('STELE_BAD_ENCODING', 'block header: height starts at 1')
  return h
}

export const blockSigningMessage = (header: Uint8Array): Uint8Array => Buffer.concat([BLOCK_DOMAIN, header])

export function signBlockHeader(h: BlockHeader, secretKey: Uint8Array): SignedBlockHeader {
  const header = encodeBlockHeader(h)
  return {
    ...h,
    header,
    signature: signMessage(blockSigningMessage(header), secretKey),
    hash: sha256(header),
  }
}

export function verifyBlockSignature(
  header: Uint8Array,
  signature: Uint8Array,
  producer: Uint8Array,
): boolean {
  return verifySignature(signature, blockSigningMessage(header), producer)
}
