import { CID } from 'multiformats/cid'
import { MAX_AMOUNT } from '../../core/amount.ts'
import { equalBytes, utf8 } from '../../core/bytes.ts'
import {
  type DriveClose,
  type DriveCreate,
  type DrivePut,
  type DriveRemove,
  decodeDriveClose,
  decodeDriveCreate,
  decodeDrivePut,
  decodeDriveRemove,
  decodeStorageProofTx,
  MAX_DRIVE_FILES,
  type StorageProofTx,
} from '../../core/drive-payloads.ts'
import { directoryBlock, driveChallenge, sortFiles, verifyDriveAnswer } from '../../core/drive-proof.ts'
import {
  type DriveState,
  decodeDriveState,
  decodeKeyList,
  encodeDriveState,
  encodeKeyList,
} from '../../core/drive-state.ts'
import { SteleError } from '../../core/errors.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import type { LedgerRule } from '../ledger/registry.ts'

/**
 * Drives as ledger transactions (docs/protocol.md §10): the rules of types 7 to 11, pure over the state map like
 * transfers. What happens with the passing of blocks (activation, challenges, misses, expiry) is drive-block.ts.
 */

/** At most this many drives are open at once: every block reads the index of open drives. */
export const MAX_OPEN_DRIVES = 1024

export const driveKey = (id: Uint8Array): Uint8Array => stateKey(STATE_NS.DRIVE, id)
/** The ids of the drives not closed or expired (a key list), in namespace 4 under a fixed name. */
export const OPEN_DRIVES_KEY = stateKey(STATE_NS.DRIVE, utf8('stele:drives:open'))
/** Nodes registered with the replicator role (a key list), maintained from node-register transactions. */
export const REPLICATORS_KEY = stateKey(STATE_NS.DRIVE, utf8('stele:drives:replicators'))

export const EMPTY_DIRECTORY = directoryBlock([])

export function readDrive(state: Pick<LedgerState, 'raw'>, id: Uint8Array): DriveState | undefined {
  const v = state.raw(driveKey(id))
  return v ? decodeDriveState(v) : undefined
}

export function writeDrive(state: LedgerState, id: Uint8Array, d: DriveState): void {
  state.setRaw(driveKey(id), encodeDriveState(d))
}

export function readKeyList(state: Pick<LedgerState, 'raw'>, key: Uint8Array): Uint8Array[] {
  const v = state.raw(key)
  return v ? decodeKeyList(v) : []
}

export function writeKeyList(state: LedgerState, key: Uint8Array, keys: Uint8Array[]): void {
  state.setRaw(key, keys.length === 0 ? null : encodeKeyList(keys))
}

export function credit(state: LedgerState, to: Uint8Array, amount: bigint): void {
  if (amount === 0n) return
  const a = state.account(to)
  state.setAccount(to, { ...a, balance: a.balance + amount })
}

function cover(tx: SignedTx, state: LedgerState, amount: bigint, fee: bigint): void {
  const balance = state.account(tx.signer).balance
  if (balance < amount + fee)
    throw new SteleError(
      'STELE_INSUFFICIENT_BALANCE',
      `balance ${balance} does not cover ${amount} plus fee ${fee}`,
      { details: { balance: balance.toString(), needed: (amount + fee).toString() } },
    )
}

export function escrowOf(p: Pick<DriveCreate, 'price' | 'duration' | 'replicas'>): bigint {
  return p.price * BigInt(p.duration) * BigInt(p.replicas)
}

/** The drive, which must exist and be open; with `owner`, the signer must own it. */
function openDrive(tx: SignedTx, state: LedgerState, id: Uint8Array, owner: boolean): DriveState {
  const d = readDrive(state, id)
  if (!d) throw new SteleError('STELE_DRIVE_UNKNOWN', `no drive ${Buffer.from(id).toString('hex')}`)
  if (owner && !equalBytes(d.owner, tx.signer))
    throw new SteleError('STELE_NOT_AUTHORIZED', 'only the owner of a drive may change or close it')
  if (d.status === 'closed' || d.status === 'expired')
    throw new SteleError('STELE_DRIVE_CLOSED', `the drive is ${d.status}`, { details: { status: d.status } })
  return d
}

/** The files with `name` replaced by `file` (or removed), the bytes used and the directory's CID. */
function withFile(d: DriveState, name: string, file?: DrivePut): DriveState {
  const files = d.files.filter((f) => f.name !== name)
  if (file) files.push({ name, cid: file.cid, size: file.size, tsize: file.tsize })
  const sorted = sortFiles(files)
  return {
    ...d,
    files: sorted,
    used: sorted.reduce((n, f) => n + f.size, 0),
    root: directoryBlock(sorted).cid.bytes,
  }
}

const driveCreate: LedgerRule<DriveCreate> = {
  kind: 'ledger',
  type: TX_TYPES.DRIVE_CREATE,
  name: 'drive-create',
  decode: decodeDriveCreate,
  accounts: () => [],
  stateKeys: (tx) => [driveKey(tx.hash), OPEN_DRIVES_KEY],
  check(tx, p, state) {
    const escrow = escrowOf(p)
    if (escrow > MAX_AMOUNT) throw new SteleError('STELE_BAD_AMOUNT', `escrow ${escrow} exceeds 2^64 − 1`)
    if (readKeyList(state, OPEN_DRIVES_KEY).length >= MAX_OPEN_DRIVES)
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `${MAX_OPEN_DRIVES} drives are open; no more until one closes`,
      )
    cover(tx, state, escrow, p.fee)
  },
  apply(tx, p, state) {
    const escrow = escrowOf(p)
    const a = state.account(tx.signer)
    state.setAccount(tx.signer, { ...a, balance: a.balance - escrow })
    // Start, end and replicators are set by the block that includes it (drive-block.ts): they need its height.
    writeDrive(state, tx.hash, {
      status: 'pending',
      owner: tx.signer,
      capacity: p.capacity,
      used: 0,
      replicas: p.replicas,
      period: p.period,
      duration: p.duration,
      start: 0,
      end: 0,
      price: p.price,
      escrow,
      root: EMPTY_DIRECTORY.cid.bytes,
      files: [],
      replicators: [],
      challenge: { height: 0, seed: new Uint8Array(32) },
    })
    writeKeyList(state, OPEN_DRIVES_KEY, [...readKeyList(state, OPEN_DRIVES_KEY), tx.hash])
  },
}

const drivePut: LedgerRule<DrivePut> = {
  kind: 'ledger',
  type: TX_TYPES.DRIVE_PUT,
  name: 'drive-put',
  decode: decodeDrivePut,
  accounts: () => [],
  stateKeys: (_tx, p) => [driveKey(p.drive)],
  check(tx, p, state) {
    const d = openDrive(tx, state, p.drive, true)
    const next = withFile(d, p.name, p)
    if (next.files.length > MAX_DRIVE_FILES)
      throw new SteleError('STELE_CAPACITY_EXCEEDED', `a drive holds at most ${MAX_DRIVE_FILES} files`)
    if (next.used > d.capacity)
      throw new SteleError(
        'STELE_CAPACITY_EXCEEDED',
        `the drive would hold ${next.used} bytes, its capacity is ${d.capacity}`,
        { details: { capacity: d.capacity, used: d.used, size: p.size } },
      )
    cover(tx, state, 0n, p.fee)
  },
  apply(tx, p, state) {
    writeDrive(state, p.drive, withFile(openDrive(tx, state, p.drive, true), p.name, p))
  },
}

const driveRemove: LedgerRule<DriveRemove> = {
  kind: 'ledger',
  type: TX_TYPES.DRIVE_REMOVE,
  name: 'drive-remove',
  decode: decodeDriveRemove,
  accounts: () => [],
  stateKeys: (_tx, p) => [driveKey(p.drive)],
  check(tx, p, state) {
    const d = openDrive(tx, state, p.drive, true)
    if (!d.files.some((f) => f.name === p.name))
      throw new SteleError('STELE_NOT_FOUND', `the drive has no file named ${p.name}`)
    cover(tx, state, 0n, p.fee)
  },
  apply(tx, p, state) {
    writeDrive(state, p.drive, withFile(openDrive(tx, state, p.drive, true), p.name))
  },
}

/** Ends a drive: what is left of its escrow goes back to the owner, and it leaves the open index. */
export function endDrive(
  state: LedgerState,
  id: Uint8Array,
  d: DriveState,
  status: 'closed' | 'expired',
): void {
  credit(state, d.owner, d.escrow)
  writeDrive(state, id, { ...d, status, escrow: 0n, challenge: { height: 0, seed: new Uint8Array(32) } })
  writeKeyList(
    state,
    OPEN_DRIVES_KEY,
    readKeyList(state, OPEN_DRIVES_KEY).filter((k) => !equalBytes(k, id)),
  )
}

const driveClose: LedgerRule<DriveClose> = {
  kind: 'ledger',
  type: TX_TYPES.DRIVE_CLOSE,
  name: 'drive-close',
  decode: decodeDriveClose,
  accounts: () => [],
  stateKeys: (_tx, p) => [driveKey(p.drive), OPEN_DRIVES_KEY],
  check(tx, p, state) {
    openDrive(tx, state, p.drive, true)
    cover(tx, state, 0n, p.fee)
  },
  apply(tx, p, state) {
    // An open challenge lapses: its replicators could not have answered yet, so it counts neither way.
    endDrive(state, p.drive, openDrive(tx, state, p.drive, true), 'closed')
  },
}

const storageProof: LedgerRule<StorageProofTx> = {
  kind: 'ledger',
  type: TX_TYPES.STORAGE_PROOF,
  name: 'storage-proof',
  decode: decodeStorageProofTx,
  accounts: () => [],
  stateKeys: (_tx, p) => [driveKey(p.drive)],
  check(tx, p, state) {
    const d = openDrive(tx, state, p.drive, false)
    const r = d.replicators.find((x) => equalBytes(x.key, tx.signer))
    if (!r) throw new SteleError('STELE_NOT_AUTHORIZED', 'the signer is not a replicator of this drive')
    if (d.challenge.height === 0 || d.challenge.height !== p.height)
      throw new SteleError(
        'STELE_CHALLENGE_INVALID',
        `the drive's open challenge is at height ${d.challenge.height}, not ${p.height}`,
        { details: { openChallenge: d.challenge.height } },
      )
    if (r.answered >= p.height)
      throw new SteleError('STELE_CHALLENGE_INVALID', `challenge ${p.height} was already answered`)
    cover(tx, state, 0n, p.fee)
  },
  /**
   * A well-formed answer from a replicator is applied whether or not its proof verifies, so a failed proof is
   * recorded on chain (and its fee paid); only a verified one is paid from the escrow, price × period at most.
   */
  apply(tx, p, state) {
    const d = openDrive(tx, state, p.drive, false)
    const challenge = driveChallenge(d.challenge.seed, p.drive, tx.signer, d.files)
    const ok =
      challenge !== undefined &&
      verifyDriveAnswer(CID.decode(d.root), challenge, {
        directory: p.directory,
        nodes: p.nodes,
        leaf: p.leaf,
      }).ok
    const due = d.price * BigInt(d.period)
    const pay = ok ? (due < d.escrow ? due : d.escrow) : 0n
    const replicators = d.replicators.map((r) =>
      equalBytes(r.key, tx.signer)
        ? {
            ...r,
            answered: p.height,
            passed: r.passed + (ok ? 1 : 0),
            failed: r.failed + (ok ? 0 : 1),
            paid: r.paid + pay,
          }
        : r,
    )
    writeDrive(state, p.drive, { ...d, escrow: d.escrow - pay, replicators })
    credit(state, tx.signer, pay)
  },
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table, as TX_RULES
export const DRIVE_RULES: LedgerRule<any>[] = [driveCreate, drivePut, driveRemove, driveClose, storageProof]
