import { equalBytes, toHex } from '../../core/bytes.ts'
import {
  type ContractEntry,
  type ContractResult,
  decodeContractCall,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import type { StampedRecord } from '../../core/record.ts'
import { TX_TYPES } from '../../core/transaction.ts'
import type { Db } from '../db/db.ts'
import { blockRecords, type ChainBlock, loadBlock } from './chain-inputs.ts'
import { blockRun, callRun, resultPayload } from './contract-run.ts'
import type { ContractState } from './hashes.ts'
import { type RunRequest, type RunResult, runContract } from './run-contract.ts'

/** What a re-execution reads: the chain, the committed contract, a state by its root and the contract's code. */
export interface ReexecuteSources {
  db: Db
  committed(id: string): Promise<ContractEntry | undefined>
  /** The state (JSON text) whose root is `root` (hex), when this node knows it. */
  state(root: string): string | undefined
  code(cid: string): Promise<{ code: string; exports: string[] }>
  /** The records of a block (default: read from db; the service keeps the latest blocks'). */
  records?(block: ChainBlock): Promise<StampedRecord[]>
  /** Runs a request (default runContract; the service passes its RunMemo). */
  run?(req: RunRequest): Promise<RunResult>
}

/** Re-runs a result from chain and storage data: the result this node computes for the same inputs. */
export async function reexecuteResult(
  src: ReexecuteSources,
  p: ContractResult,
  block?: ChainBlock,
): Promise<{ expected: ContractResult; deterministic: boolean }> {
  const b = block ?? (await loadBlock(src.db, p.height))
  if (!b) throw new SteleError('STELE_NOT_FOUND', `block ${p.height} is not on this node`)
  const id = toHex(p.contract)
  const e = await src.committed(id)
  if (!e) throw new SteleError('STELE_NOT_FOUND', `contract ${id} is not deployed`)
  const before = src.state(toHex(p.stateRootBefore))
  if (before === undefined)
    throw new SteleError('STELE_TX_INVALID', 'the state before the result is not one this node knows')
  const at = { ...e, state: before }
  const { code, exports } = await src.code(e.codeCid)
  let req: RunRequest | null
  if (equalBytes(p.call, ZERO_CALL))
    req = blockRun(
      id,
      at,
      code,
      exports,
      b,
      await (src.records ? src.records(b) : blockRecords(src.db, b.txs)),
    )
  else {
    const tx = b.txs.find((t) => equalBytes(t.hash, p.call) && t.type === TX_TYPES.CONTRACT_CALL)
    if (!tx) throw new SteleError('STELE_TX_INVALID', `block ${p.height} has no call ${toHex(p.call)}`)
    const c = decodeContractCall(tx.payload)
    req = callRun(id, at, code, { hash: tx.hash, caller: tx.signer, fn: c.fn, args: c.args, gas: c.gas }, b)
  }
  if (!req) throw new SteleError('STELE_TX_INVALID', `no reading of block ${p.height} matches the contract`)
  const run = await (src.run ? src.run(req) : runContract(req))
  return {
    expected: resultPayload(run, JSON.parse(before) as ContractState, p.contract, b, p.call),
    deterministic: run.deterministic,
  }
}
