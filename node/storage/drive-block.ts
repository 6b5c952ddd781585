import { ROLES } from '../../core/account.ts'
import { concatBytes, equalBytes, toHex } from '../../core/bytes.ts'
import type { DriveState } from '../../core/drive-state.ts'
import { decodeDriveState, decodeKeyList } from '../../core/drive-state.ts'
import type { Genesis } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import {
  driveKey,
  endDrive,
  OPEN_DRIVES_KEY,
  REPLICATORS_KEY,
  readDrive,
  readKeyList,
  writeDrive,
  writeKeyList,
} from './drive-rules.ts'

/**
 * What a block does to drives besides their transactions (docs/protocol.md §10.4), after the block's transactions:
 * node-register keeps the replicator list; drives created in the block start, with replicators drawn from the hash
 * of the block before; at each period boundary an unanswered challenge counts as missed and a new one opens; at
 * the end a drive expires and the owner gets the rest of the escrow. Needs the block's height and previous hash, so
 * it runs when a block is built or replayed, not at admission.
 */

export interface BlockContext {
  genesis: Genesis
  producer: Uint8Array
  height: number
  prevHash: Uint8Array
}

type Read = (key: Uint8Array) => Promise<Uint8Array | undefined>

/** Reads what `applyDriveBlock` needs besides the transactions' own keys: open drives, their owners, replicators. */
export async function prefetchDriveBlock(read: Read): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  const get = async (k: Uint8Array) => {
    const v = await read(k)
    if (v) out.set(toHex(k), v)
    return v
  }
  await get(REPLICATORS_KEY)
  const index = await get(OPEN_DRIVES_KEY)
  const drives = await Promise.all((index ? decodeKeyList(index) : []).map((id) => get(driveKey(id))))
  await Promise.all(
    drives.map((v) => (v ? get(stateKey(STATE_NS.ACCOUNT, decodeDriveState(v).owner)) : undefined)),
  )
  return out
}

/** Up to `n` distinct candidates drawn by SHA-256(seed ‖ i) from the sorted list. */
export function selectReplicators(seed: Uint8Array, candidates: Uint8Array[], n: number): Uint8Array[] {
  const pool = [...candidates].sort((a, b) => Buffer.compare(a, b))
  const out: Uint8Array[] = []
  for (let i = 0; i < n && pool.length > 0; i++) {
    const h = sha256(concatBytes(seed, new Uint8Array([i >> 24, i >> 16, i >> 8, i].map((x) => x & 0xff))))
    const at = Number(Buffer.from(h).readBigUInt64BE(0) % BigInt(pool.length))
    out.push(pool.splice(at, 1)[0]!)
  }
  return out
}

/** Every replicator that has not answered the open challenge misses it. */
function settle(d: DriveState): DriveState {
  if (d.challenge.height === 0) return d
  const h = d.challenge.height
  return {
    ...d,
    replicators: d.replicators.map((r) => (r.answered >= h ? r : { ...r, missed: r.missed + 1 })),
  }
}

export function applyDriveBlock(
  txs: readonly SignedTx[],
  applied: readonly boolean[],
  state: LedgerState,
  ctx: BlockContext,
): void {
  const { height, prevHash } = ctx
  let replicators = readKeyList(state, REPLICATORS_KEY)
  const created: Uint8Array[] = []
  txs.forEach((tx, i) => {
    if (!applied[i]) return
    if (tx.type === TX_TYPES.DRIVE_CREATE) created.push(tx.hash)
    if (tx.type === TX_TYPES.NODE_REGISTER) {
      const reg = decodeNodeRegistration(tx.payload)
      replicators = replicators.filter((k) => !equalBytes(k, reg.node))
      if (reg.roles & ROLES.REPLICATOR) replicators.push(reg.node)
      writeKeyList(state, REPLICATORS_KEY, replicators)
    }
  })
  // With no registered replicator, the genesis producers keep the drives (a one-node chain stores its own).
  const candidates = replicators.length > 0 ? replicators : ctx.genesis.producers
  for (const id of created) {
    const d = readDrive(state, id)
    if (d?.status !== 'pending') continue
    const chosen = selectReplicators(sha256(concatBytes(prevHash, id)), candidates, d.replicas)
    writeDrive(state, id, {
      ...d,
      status: 'active',
      start: height,
      end: height + d.duration,
      replicators: chosen.map((key) => ({ key, passed: 0, failed: 0, missed: 0, answered: 0, paid: 0n })),
    })
  }
  for (const id of readKeyList(state, OPEN_DRIVES_KEY)) {
    const d = readDrive(state, id)
    if (d?.status !== 'active' || d.start === height) continue
    if (height >= d.end) {
      endDrive(state, id, settle(d), 'expired')
      continue
    }
    if ((height - d.start) % d.period !== 0) continue
    const open = d.files.some((f) => f.size > 0)
    writeDrive(state, id, {
      ...settle(d),
      challenge: open ? { height, seed: prevHash } : { height: 0, seed: new Uint8Array(32) },
    })
  }
}
