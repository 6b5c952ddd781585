import { CID } from 'multiformats/cid'
import { readAmount, writeAmount } from './amount.ts'
import { abytes, ByteReader, ByteWriter, utf8 } from './bytes.ts'
import { SteleError } from './errors.ts'
import { DAG_PB, RAW, SHA2_256 } from './storage-proof.ts'

/** Payloads of the drive transaction types 7 to 11 (docs/protocol.md §10). Each starts with the fee it pays. */

export const MAX_DRIVE_NAME_BYTES = 128
export const MAX_DRIVE_FILES = 256
export const MAX_REPLICAS = 16
export const MAX_CID_BYTES = 64
/** A storage proof carries a whole raw leaf (up to 256 KiB) and its dag-pb path, so it exceeds MAX_TX_PAYLOAD. */
export const MAX_PROOF_NODES = 8
export const MAX_PROOF_NODE_BYTES = 16 * 1024
/** The drive's directory block: 256 entries of up to 128-byte names. */
export const MAX_PROOF_DIRECTORY_BYTES = 64 * 1024
/** kubo's chunk size: the largest raw leaf a kubo-compatible file has. */
export const MAX_PROOF_LEAF_BYTES = 256 * 1024

/** DRIVE_CREATE (type 7): the signer opens a drive and escrows price × duration × replicas at once. */
export interface DriveCreate {
  fee: bigint
  /** Bytes the drive may hold (sum of its files' sizes). */
  capacity: number
  /** Replicators wanted, 1…16. */
  replicas: number
  /** Blocks the drive lives after the block that creates it. */
  duration: number
  /** Blocks between challenges (K), 1…duration. */
  period: number
  /** Base units per block per replica. */
  price: bigint
}

/** DRIVE_PUT (type 8): `name` in the drive → `cid`, a file the node holds (`size` its bytes, `tsize` its DAG's). */
export interface DrivePut {
  fee: bigint
  drive: Uint8Array
  name: string
  cid: Uint8Array
  size: number
  tsize: number
}

/** DRIVE_REMOVE (type 9). */
export interface DriveRemove {
  fee: bigint
  drive: Uint8Array
  name: string
}

/** DRIVE_CLOSE (type 10): ends the drive now and refunds what is left of the escrow to the owner. */
export interface DriveClose {
  fee: bigint
  drive: Uint8Array
}

/** STORAGE_PROOF (type 11): a replicator's answer to the drive's open challenge. */
export interface StorageProofTx {
  fee: bigint
  drive: Uint8Array
  /** The height of the challenge answered. */
  height: number
  /** The drive's root block (a UnixFS directory): links the challenged file by name. */
  directory: Uint8Array
  /** The file's dag-pb nodes from its root down to the leaf (none for a one-block file). */
  nodes: Uint8Array[]
  /** The raw leaf holding the challenged byte. */
  leaf: Uint8Array
}

function bad(what: string, message: string): SteleError {
  return new SteleError('STELE_BAD_ENCODING', `${what}: ${message}`)
}

/** A path segment of a flat drive: 1…128 bytes of UTF-8, no '/', no NUL, not '.' or '..'. */
export function checkDriveName(name: string, what: string): string {
  const n = utf8(name).length
  if (
    n === 0 ||
    n > MAX_DRIVE_NAME_BYTES ||
    name.includes('/') ||
    name.includes('\0') ||
    name === '.' ||
    name === '..'
  )
    throw bad(
      what,
      `name must be 1…${MAX_DRIVE_NAME_BYTES} bytes of UTF-8 without '/' or NUL, not '.' or '..'`,
    )
  return name
}

/** A file CID: version 1, dag-pb or raw, SHA-256. Returns it decoded. */
export function checkFileCid(bytes: Uint8Array, what: string): CID {
  let cid: CID
  try {
    cid = CID.decode(bytes)
  } catch {
    throw bad(what, 'cid is not a CID')
  }
  if (cid.version !== 1 || (cid.code !== DAG_PB && cid.code !== RAW) || cid.multihash.code !== SHA2_256)
    throw bad(what, 'cid must be a CIDv1, dag-pb or raw, SHA-256')
  return cid
}

const posInt = (v: number, what: string, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw bad(what, `${field} must be an integer in ${min}…${max}`)
  return v
}

function checkCreate(p: Omit<DriveCreate, 'fee' | 'price'>): void {
  const w = 'drive create'
  posInt(p.capacity, w, 'capacity')
  posInt(p.replicas, w, 'replicas', 1, MAX_REPLICAS)
  posInt(p.duration, w, 'duration')
  posInt(p.period, w, 'period', 1, p.duration)
}

export function encodeDriveCreate(p: DriveCreate): Uint8Array {
  checkCreate(p)
  const w = new ByteWriter(48)
  writeAmount(w, p.fee, 'drive create: fee').u64(p.capacity).u8(p.replicas).u64(p.duration).u32(p.period)
  return writeAmount(w, p.price, 'drive create: price').finish()
}

export function decodeDriveCreate(bytes: Uint8Array): DriveCreate {
  const rd = new ByteReader(bytes, 'drive create')
  const fee = readAmount(rd, 'fee')
  const capacity = rd.u64('capacity')
  const replicas = rd.u8('replicas')
  const duration = rd.u64('duration')
  const period = rd.u32('period')
  const price = readAmount(rd, 'price')
  rd.end()
  const p = { fee, capacity, replicas, duration, period, price }
  checkCreate(p)
  return p
}

export function encodeDrivePut(p: DrivePut): Uint8Array {
  const w = 'drive put'
  abytes(p.drive, `${w}: drive`, 32)
  checkDriveName(p.name, w)
  checkFileCid(p.cid, w)
  posInt(p.size, w, 'size', 0)
  posInt(p.tsize, w, 'tsize', p.size)
  const wr = new ByteWriter(128)
  writeAmount(wr, p.fee, `${w}: fee`).bytes(p.drive).str8(p.name, 'name', MAX_DRIVE_NAME_BYTES)
  return wr.u8(p.cid.length).bytes(p.cid).u64(p.size).u64(p.tsize).finish()
}

export function decodeDrivePut(bytes: Uint8Array): DrivePut {
  const w = 'drive put'
  const rd = new ByteReader(bytes, w)
  const fee = readAmount(rd, 'fee')
  const drive = new Uint8Array(rd.bytes(32, 'drive'))
  const name = checkDriveName(rd.str8('name', MAX_DRIVE_NAME_BYTES), w)
  const n = rd.u8('cid.length')
  if (n > MAX_CID_BYTES) throw bad(w, `cid longer than ${MAX_CID_BYTES} bytes`)
  const cid = new Uint8Array(rd.bytes(n, 'cid'))
  // The CID must be canonical: its decoding re-encodes to the same bytes.
  if (!equalCid(checkFileCid(cid, w).bytes, cid)) throw bad(w, 'cid has trailing bytes')
  const size = rd.u64('size')
  const tsize = posInt(rd.u64('tsize'), w, 'tsize', size)
  rd.end()
  return { fee, drive, name, cid, size, tsize }
}

const equalCid = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

export function encodeDriveRemove(p: DriveRemove): Uint8Array {
  abytes(p.drive, 'drive remove: drive', 32)
  checkDriveName(p.name, 'drive remove')
  const w = new ByteWriter(64)
  return writeAmount(w, p.fee, 'drive remove: fee')
    .bytes(p.drive)
    .str8(p.name, 'name', MAX_DRIVE_NAME_BYTES)
    .finish()
}

export function decodeDriveRemove(bytes: Uint8Array): DriveRemove {
  const rd = new ByteReader(bytes, 'drive remove')
  const fee = readAmount(rd, 'fee')
  const drive = new Uint8Array(rd.bytes(32, 'drive'))
  const name = checkDriveName(rd.str8('name', MAX_DRIVE_NAME_BYTES), 'drive remove')
  rd.end()
  return { fee, drive, name }
}

export function encodeDriveClose(p: DriveClose): Uint8Array {
  abytes(p.drive, 'drive close: drive', 32)
  return writeAmount(new ByteWriter(40), p.fee, 'drive close: fee').bytes(p.drive).finish()
}

export function decodeDriveClose(bytes: Uint8Array): DriveClose {
  const rd = new ByteReader(bytes, 'drive close')
  const fee = readAmount(rd, 'fee')
  const drive = new Uint8Array(rd.bytes(32, 'drive'))
  rd.end()
  return { fee, drive }
}

export function encodeStorageProofTx(p: StorageProofTx): Uint8Array {
  const w = 'storage proof'
  abytes(p.drive, `${w}: drive`, 32)
  posInt(p.height, w, 'height')
  if (p.nodes.length > MAX_PROOF_NODES) throw bad(w, `more than ${MAX_PROOF_NODES} nodes`)
  if (p.directory.length > MAX_PROOF_DIRECTORY_BYTES)
    throw bad(w, `the directory is longer than ${MAX_PROOF_DIRECTORY_BYTES} bytes`)
  if (p.nodes.some((n) => n.length > MAX_PROOF_NODE_BYTES))
    throw bad(w, `a node is longer than ${MAX_PROOF_NODE_BYTES} bytes`)
  if (p.leaf.length > MAX_PROOF_LEAF_BYTES)
    throw bad(w, `the leaf is longer than ${MAX_PROOF_LEAF_BYTES} bytes`)
  const wr = new ByteWriter(p.leaf.length + p.directory.length + 128)
  writeAmount(wr, p.fee, `${w}: fee`).bytes(p.drive).u64(p.height).var32(p.directory).u8(p.nodes.length)
  for (const n of p.nodes) wr.var32(n)
  return wr.var32(p.leaf).finish()
}

export function decodeStorageProofTx(bytes: Uint8Array): StorageProofTx {
  const w = 'storage proof'
  const rd = new ByteReader(bytes, w)
  const fee = readAmount(rd, 'fee')
  const drive = new Uint8Array(rd.bytes(32, 'drive'))
  const height = posInt(rd.u64('height'), w, 'height')
  const directory = new Uint8Array(rd.var32('directory', MAX_PROOF_DIRECTORY_BYTES))
  const count = rd.u8('nodes.count')
  if (count > MAX_PROOF_NODES) throw bad(w, `more than ${MAX_PROOF_NODES} nodes`)
  const nodes: Uint8Array[] = []
  for (let i = 0; i < count; i++) nodes.push(new Uint8Array(rd.var32(`nodes[${i}]`, MAX_PROOF_NODE_BYTES)))
  const leaf = new Uint8Array(rd.var32('leaf', MAX_PROOF_LEAF_BYTES))
  rd.end()
  return { fee, drive, height, directory, nodes, leaf }
}
