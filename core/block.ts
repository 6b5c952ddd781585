import { ByteReader, ByteWriter, utf8 } from './bytes.ts'
import { signMessage, verifySignature } from './ed25519.ts'
import { SteleError } from './errors.ts'
import { sha256 } from './hash.ts'

export const BLOCK_VERSION = 1
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
}

export interface SignedBlockHeader extends BlockHeader {
  header: Uint8Array
  signature: Uint8Array
  hash: Uint8Array
}

export function encodeBlockHeader(h: BlockHeader): Uint8Array {
  if (h.prevHash.length !== 32 || h.txRoot.length !== 32 || h.producer.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'block header: hashes and keys must be 32 bytes')
  return new ByteWriter(160)
    .u8(BLOCK_VERSION)
    .str8(h.chainId, 'chainId', 64)
    .u64(h.height)
    .bytes(h.prevHash)
    .u64(h.time)
    .bytes(h.txRoot)
    .u32(h.txCount)
    .bytes(h.producer)
    .finish()
}

export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  const rd = new ByteReader(bytes, 'block header')
  const version = rd.u8('version')
  if (version !== BLOCK_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `block header: unsupported version ${version}`)
  const h: BlockHeader = {
    chainId: rd.str8('chainId', 64),
    height: rd.u64('height'),
    prevHash: new Uint8Array(rd.bytes(32, 'prevHash')),
    time: rd.u64('time'),
    txRoot: new Uint8Array(rd.bytes(32, 'txRoot')),
    txCount: rd.u32('txCount'),
    producer: new Uint8Array(rd.bytes(32, 'producer')),
  }
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
