import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import { type SignedTx, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'
import { type ChainState, type GatewayState, ZERO_HEX } from './state.ts'

/**
 * A gateway registration: signed by the genesis authority, or refused. Returns the gateway's state after it; a
 * re-registration keeps the gateway's batch chain and changes only its name and device list.
 */
export function validateRegistration(
  tx: SignedTx,
  hash: string,
  genesis: Genesis,
  state: ChainState,
): { key: string; next: GatewayState } {
  if (!verifyTxSignature(tx))
    throw new SteleError('STELE_BAD_SIGNATURE', 'transaction signature does not verify')
  if (tx.type !== TX_TYPES.GATEWAY_REGISTER)
    throw new SteleError('STELE_TX_INVALID', `transaction type ${tx.type} cannot be submitted here`)
  if (!equalBytes(tx.signer, genesis.authority))
    throw new SteleError('STELE_NOT_AUTHORIZED', 'only the genesis authority may register gateways')
  const reg = decodeGatewayRegistration(tx.payload)
  const key = toHex(reg.gateway)
  const old = state.gateways.get(key)
  const next: GatewayState = old
    ? { ...old, name: reg.name, devices: reg.devices, registeredTx: hash }
    : {
        key,
        name: reg.name,
        devices: reg.devices,
        registeredTx: hash,
        nextSeq: 1,
        prevHash: ZERO_HEX,
        nextRecordSeq: 1,
        lastTime: 0,
        batches: 0,
        records: 0,
      }
  return { key, next }
}
