import { readAmount, writeAmount } from './amount.ts'
import { ByteReader, ByteWriter } from './bytes.ts'
import {
  checkDriveName,
  checkFileCid,
  MAX_CID_BYTES,
  MAX_DRIVE_FILES,
  MAX_DRIVE_NAME_BYTES,
  MAX_REPLICAS,
} from './drive-payloads.ts'
import { SteleError } from './errors.ts'

/** A drive's leaf in the state map (namespace 4, id = the drive-create transaction's hash): docs/protocol.md §10.3. */

export const DRIVE_STATE_VERSION = 1
export const DRIVE_STATUS = ['pending', 'active', 'closed', 'expired'] as const
export type DriveStatus = (typeof DRIVE_STATUS)[number]

export interface DriveFile {
  name: string
  /** CID bytes. */
  cid: Uint8Array
  size: number
  /** Bytes of the file's whole DAG: the Tsize of its directory link. */
  tsize: number
}

export interface ReplicatorRecord {
  key: Uint8Array
  passed: number
  failed: number
  missed: number
  /** Height of the last challenge this replicator answered (0: none). */
  answered: number
  /** Base units paid to it from the escrow. */
  paid: bigint
}

export interface DriveState {
  status: DriveStatus
  owner: Uint8Array
  capacity: number
  used: number
  replicas: number
  period: number
  duration: number
  /** Height of the block that created the drive (0 while pending). */
  start: number
  /** start + duration. */
  end: number
  price: bigint
  /** What is left of the escrow. */
  escrow: bigint
  /** CID bytes of the drive's UnixFS directory. */
  root: Uint8Array
  /** Sorted by name (bytewise UTF-8), as the directory's links. */
  files: DriveFile[]
  replicators: ReplicatorRecord[]
  /** The open challenge: its height (0: none) and seed (the hash of the block before it). */
  challenge: { height: number; seed: Uint8Array }
}

function bad(message: string): SteleError {
  return new SteleError('STELE_BAD_ENCODING', `drive state: ${message}`)
}

export function encodeDriveState(d: DriveState): Uint8Array {
  const status = DRIVE_STATUS.indexOf(d.status)
  if (status < 0) throw bad(`unknown status ${d.status}`)
  if (d.files.length > MAX_DRIVE_FILES) throw bad(`more than ${MAX_DRIVE_FILES} files`)
  if (d.replicators.length > MAX_REPLICAS) throw bad(`more than ${MAX_REPLICAS} replicators`)
  const w = new ByteWriter(256 + d.files.length * 96).u8(DRIVE_STATE_VERSION).u8(status).bytes(d.owner)
  w.u64(d.capacity).u64(d.used).u8(d.replicas).u32(d.period).u64(d.duration).u64(d.start).u64(d.end)
  writeAmount(w, d.price, 'drive state: price')
  writeAmount(w, d.escrow, 'drive state: escrow')
  w.u8(d.root.length).bytes(d.root).u16(d.files.length)
  for (const f of d.files)
    w.str8(f.name, 'name', MAX_DRIVE_NAME_BYTES).u8(f.cid.length).bytes(f.cid).u64(f.size).u64(f.tsize)
  w.u8(d.replicators.length)
  for (const r of d.replicators) {
    w.bytes(r.key).u64(r.passed).u64(r.failed).u64(r.missed).u64(r.answered)
    writeAmount(w, r.paid, 'drive state: paid')
  }
  return w.u64(d.challenge.height).bytes(d.challenge.seed).finish()
}

export function decodeDriveState(bytes: Uint8Array): DriveState {
  const rd = new ByteReader(bytes, 'drive state')
  const version = rd.u8('version')
  if (version !== DRIVE_STATE_VERSION) throw bad(`unsupported version ${version}`)
  const status = DRIVE_STATUS[rd.u8('status')]
  if (!status) throw bad('unknown status')
  const owner = new Uint8Array(rd.bytes(32, 'owner'))
  const capacity = rd.u64('capacity')
  const used = rd.u64('used')
  const replicas = rd.u8('replicas')
  const period = rd.u32('period')
  const duration = rd.u64('duration')
  const start = rd.u64('start')
  const end = rd.u64('end')
  const price = readAmount(rd, 'price')
  const escrow = readAmount(rd, 'escrow')
  const rootLen = rd.u8('root.length')
  if (rootLen > MAX_CID_BYTES) throw bad('root CID too long')
  const root = new Uint8Array(rd.bytes(rootLen, 'root'))
  const nFiles = rd.u16('files.count')
  if (nFiles > MAX_DRIVE_FILES) throw bad(`more than ${MAX_DRIVE_FILES} files`)
  const files: DriveFile[] = []
  for (let i = 0; i < nFiles; i++) {
    const name = checkDriveName(rd.str8(`files[${i}].name`, MAX_DRIVE_NAME_BYTES), 'drive state')
    const n = rd.u8(`files[${i}].cid.length`)
    if (n > MAX_CID_BYTES) throw bad('file CID too long')
    const cid = new Uint8Array(rd.bytes(n, `files[${i}].cid`))
    checkFileCid(cid, 'drive state')
    files.push({ name, cid, size: rd.u64(`files[${i}].size`), tsize: rd.u64(`files[${i}].tsize`) })
  }
  const nRep = rd.u8('replicators.count')
  if (nRep > MAX_REPLICAS) throw bad(`more than ${MAX_REPLICAS} replicators`)
  const replicators: ReplicatorRecord[] = []
  for (let i = 0; i < nRep; i++) {
    const key = new Uint8Array(rd.bytes(32, `replicators[${i}].key`))
    const passed = rd.u64('passed')
    const failed = rd.u64('failed')
    const missed = rd.u64('missed')
    const answered = rd.u64('answered')
    replicators.push({ key, passed, failed, missed, answered, paid: readAmount(rd, 'paid') })
  }
  const challenge = {
    height: rd.u64('challenge.height'),
    seed: new Uint8Array(rd.bytes(32, 'challenge.seed')),
  }
  rd.end()
  return {
    status,
    owner,
    capacity,
    used,
    replicas,
    period,
    duration,
    start,
    end,
    price,
    escrow,
    root,
    files,
    replicators,
    challenge,
  }
}

/** A list of 32-byte keys (the active drives' index, the registered replicators): u32 count, then the keys sorted. */
export function encodeKeyList(keys: Uint8Array[]): Uint8Array {
  const sorted = [...keys].sort((a, b) => Buffer.compare(a, b))
  const w = new ByteWriter(4 + 32 * sorted.length).u32(sorted.length)
  for (const k of sorted) w.bytes(k)
  return w.finish()
}

export function decodeKeyList(bytes: Uint8Array): Uint8Array[] {
  const rd = new ByteReader(bytes, 'key list')
  const n = rd.u32('count')
  if (n * 32 !== rd.remaining) throw bad('key list length')
  const keys: Uint8Array[] = []
  for (let i = 0; i < n; i++) keys.push(new Uint8Array(rd.bytes(32, `keys[${i}]`)))
  return keys
}
