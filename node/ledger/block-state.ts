import { toHex } from '../../core/bytes.ts'
import type { Genesis } from '../../core/genesis.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import { applyDriveBlock, prefetchDriveBlock } from '../storage/drive-block.ts'
import { LedgerState, mapReader } from './ledger-state.ts'
import { applyTx, isLedgerType, txStateKeys } from './registry.ts'
import type { StateChange } from './state-map.ts'

/** Reads committed state values: StateMap.get, or the admission overlay over it. */
export type AsyncStateReader = (key: Uint8Array) => Promise<Uint8Array | undefined>

export interface BlockStateResult {
  /** One per input transaction: false where a ledger transaction failed its state rules and stays out. */
  applied: boolean[]
  /** Why each refused transaction was refused, by input index. */
  errors: Map<number, unknown>
  /** The writes of the block, for StateMap.stage. */
  changes: StateChange[]
}

/**
 * What a block's transactions do to the state (docs/protocol.md §9.2): ledger transactions through `applyTx` in
 * block order, each gateway registration sets its gateway's leaf (namespace 2) to the registration payload; record
 * batches leave the state as it is. The same function builds a block and replays one, so both reach one root.
 */
export async function blockState(
  txs: readonly SignedTx[],
  read: AsyncStateReader,
  /** height and prevHash: the block's, when one is built or replayed (drives need them); absent at admission. */
  ctx: { genesis: Genesis; producer: Uint8Array; height?: number; prevHash?: Uint8Array },
): Promise<BlockStateResult> {
  const keys = new Map<string, Uint8Array>()
  for (const tx of txs) {
    if (!isLedgerType(tx.type)) continue
    try {
      for (const k of txStateKeys(tx, ctx.producer)) keys.set(toHex(k), k)
    } catch {
      // An undecodable payload reads nothing; applyTx refuses it below.
    }
  }
  const prefetched = new Map<string, Uint8Array>()
  await Promise.all(
    [...keys].map(async ([hex, k]) => {
      const v = await read(k)
      if (v) prefetched.set(hex, v)
    }),
  )
  const block =
    ctx.height !== undefined && ctx.prevHash
      ? { ...ctx, height: ctx.height, prevHash: ctx.prevHash }
      : undefined
  if (block) for (const [hex, v] of await prefetchDriveBlock(read)) prefetched.set(hex, v)
  const state = new LedgerState(mapReader(prefetched))
  const applied: boolean[] = []
  const errors = new Map<number, unknown>()
  const gateways: StateChange[] = []
  txs.forEach((tx, i) => {
    if (isLedgerType(tx.type)) {
      try {
        applyTx(tx, state, ctx)
        applied.push(true)
      } catch (e) {
        errors.set(i, e)
        applied.push(false)
      }
      return
    }
    if (tx.type === TX_TYPES.GATEWAY_REGISTER) {
      const reg = decodeGatewayRegistration(tx.payload)
      gateways.push({ key: stateKey(STATE_NS.GATEWAY, reg.gateway), value: tx.payload })
    }
    applied.push(true)
  })
  if (block) applyDriveBlock(txs, applied, state, block)
  return { applied, errors, changes: [...state.changes(), ...gateways] }
}
