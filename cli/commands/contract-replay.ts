import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { equalBytes, fromHex, toHex } from '../../core/bytes.ts'
import {
  type ContractEntry,
  type ContractResult,
  decodeContractCall,
  decodeContractDeploy,
  decodeContractResult,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import type { Source } from '../../core/reading.ts'
import { encodeRecord, recordId, type StampedRecord } from '../../core/record.ts'
import { blockMatches, parseCid } from '../../core/storage-proof.ts'
import { decodeTx, type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import type { ChainBlock } from '../../node/executor/chain-inputs.ts'
import { checkContract } from '../../node/executor/check-contract.ts'
import { blockRun, callRun, resultPayload } from '../../node/executor/contract-run.ts'
import { type ContractState, stateRoot } from '../../node/executor/hashes.ts'
import { runContract } from '../../node/executor/run-contract.ts'
import type { LedgerClient } from '../ledger-client.ts'

/** The hashes a result claims and a run recomputes (the same fields the node's evidence keeps). */
export interface ResultHashes {
  inputsHash: string
  stateRootAfter: string
  eventsHash: string
  gasUsed: number
  status: string
}

export interface Replay {
  result: string
  contract: string
  height: number
  match: boolean
  claimed: ResultHashes
  recomputed: ResultHashes
  /** Readings of the block the contract's filter took (block runs). */
  readings: number
}

const hashesOf = (p: ContractResult): ResultHashes => ({
  inputsHash: toHex(p.inputsHash),
  stateRootAfter: toHex(p.stateRootAfter),
  eventsHash: toHex(p.eventsHash),
  gasUsed: p.gasUsed,
  status: p.status,
})

const refuse = (m: string) => new SteleError('STELE_PROOF_INVALID', m)

/** A transaction's bytes by hash, checked to hash to what was asked. */
async function txByHash(client: LedgerClient, hash: string): Promise<SignedTx> {
  const view = await client.call(`/v1/transactions/${hash}`)
  const tx = decodeTx(new Uint8Array(Buffer.from(view.bytes as string, 'base64')))
  if (toHex(tx.hash) !== hash) throw refuse(`the node answered another transaction for ${hash}`)
  return tx
}

/** The block at `height` with its transactions, checked against the block hash the result names. */
async function chainBlock(client: LedgerClient, height: number, hash: Uint8Array): Promise<ChainBlock> {
  const view = await client.call(`/v1/blocks/${height}`)
  const hashes = view.transactions as string[]
  if (hashes.length === 0) throw refuse(`block ${height} has no transaction`)
  // Any transaction's inclusion proof carries the block header: its hash is the block hash.
  const first = await client.call(`/v1/transactions/${hashes[0]}`)
  const header = fromHex(first.proof?.blockHeader ?? '', 'blockHeader')
  if (!equalBytes(sha256(header), hash)) throw refuse(`block ${height} is not the block the result names`)
  const h = decodeBlockHeader(header)
  const txs: SignedTx[] = []
  for (const t of hashes) txs.push(await txByHash(client, t))
  if (!equalBytes(merkleRoot(txs.map((t) => leafHash(t.hash))), h.txRoot))
    throw refuse(`the transactions of block ${height} do not give its tx root`)
  return { height, hash, time: h.time, txs }
}

// biome-ignore lint/suspicious/noExplicitAny: a reading as GET /v1/devices/:device/readings documents it
function recordFrom(v: any): StampedRecord {
  const r: StampedRecord = {
    gateway: fromHex(v.gateway, 'gateway', 32),
    seq: v.seq,
    time: v.time,
    logical: v.logical,
    device: v.device,
    sensor: v.sensor,
    value: v.value,
    source: v.source as Source,
  }
  if (v.unit !== null) r.unit = v.unit
  if (v.deviceSeq !== null) r.deviceSeq = v.deviceSeq
  if (v.deviceTime !== null) r.deviceTime = v.deviceTime
  return r
}

/**
 * The records of a block's batches, in block order, from the readings API: each batch's readings are found by
 * device and time, rebuilt into records, and must hash to the batch's signed records root.
 */
async function blockRecordsOver(client: LedgerClient, txs: readonly SignedTx[]): Promise<StampedRecord[]> {
  const batches = txs.filter((t) => t.type === TX_TYPES.RECORD_BATCH)
  if (batches.length === 0) return []
  const devices: { device: string; gateway: string }[] = []
  for (let cursor: string | null = null; ; ) {
    const page = await client.call(`/v1/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    devices.push(...page.items)
    cursor = page.nextCursor ?? null
    if (!cursor) break
  }
  const out: StampedRecord[] = []
  for (const tx of batches) {
    const h = decodeBatchHeader(tx.payload)
    const hash = toHex(tx.hash)
    const found = new Map<number, StampedRecord>()
    for (const d of devices.filter((x) => x.gateway === toHex(h.gateway))) {
      for (let cursor: string | null = null; ; ) {
        const q = `from=${h.minTime}&to=${h.maxTime}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
        const page = await client.call(`/v1/devices/${encodeURIComponent(d.device)}/readings?${q}`)
        for (const v of page.items) {
          if (v.txHash !== hash) continue
          const r = recordFrom(v)
          if (toHex(recordId(encodeRecord(r))) !== v.id)
            throw refuse(`reading ${v.id} does not hash to its id`)
          found.set(v.leafIndex, r)
        }
        cursor = page.nextCursor ?? null
        if (!cursor) break
      }
    }
    const records = [...found].sort(([a], [b]) => a - b).map(([, r]) => r)
    const root = merkleRoot(records.map((r) => leafHash(encodeRecord(r))))
    if (records.length !== h.count || !equalBytes(root, h.recordsRoot))
      throw refuse(`the readings of batch ${hash} do not give its records root`)
    out.push(...records)
  }
  return out
}

/** The contract's code by CID, checked to hash to it (a single raw block, as contract code is). */
async function codeByCid(client: LedgerClient, cidText: string): Promise<string> {
  const r = await fetch(new URL(`/v1/storage/files/${cidText}`, client.base)).catch((cause) => {
    throw new SteleError('STELE_UNAVAILABLE', `cannot reach the node at ${client.base}`, { cause })
  })
  if (!r.ok) throw new SteleError('STELE_NOT_FOUND', `the node does not serve the code ${cidText}`)
  const bytes = new Uint8Array(await r.arrayBuffer())
  const cid = parseCid(cidText)
  if (cid?.code !== 0x55 || !blockMatches(cid, bytes))
    throw refuse(`the code served for ${cidText} is not one raw block with that hash`)
  return new TextDecoder().decode(bytes)
}

/** The state before the result: `{}` or the state text of an earlier result of the contract with that root. */
async function stateBefore(client: LedgerClient, contract: string, root: string): Promise<ContractState> {
  if (stateRoot({}) === root) return {}
  for (let cursor: string | null = null; ; ) {
    const page = await client.call(
      `/v1/contracts/${contract}/results?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    for (const r of page.items) {
      if (r.stateRootAfter !== root) continue
      const state = JSON.parse(decodeContractResult((await txByHash(client, r.hash)).payload).state)
      if (stateRoot(state) === root) return state as ContractState
    }
    cursor = page.cursor ?? null
    if (!cursor) break
  }
  throw new SteleError('STELE_NOT_FOUND', `no result of contract ${contract} leaves the state root ${root}`)
}

/**
 * Re-runs one contract result from chain and storage data alone, fetched over HTTP and checked by hash (the
 * transactions, the block header, the readings against their batch roots, the code against its CID, the state
 * against its root), then compares the recomputed hashes with the claimed ones. Nothing of the node's own
 * re-execution is used.
 */
export async function replayResult(client: LedgerClient, resultHash: string): Promise<Replay> {
  const tx = await txByHash(client, resultHash)
  if (tx.type !== TX_TYPES.CONTRACT_RESULT)
    throw new SteleError('STELE_TX_INVALID', `transaction ${resultHash} is not a contract-result`)
  const p = decodeContractResult(tx.payload)
  const id = toHex(p.contract)
  const deploy = decodeContractDeploy((await txByHash(client, id)).payload)
  const block = await chainBlock(client, p.height, p.blockHash)
  const code = await codeByCid(client, deploy.codeCid)
  const { exports } = await checkContract(code)
  const state = await stateBefore(client, id, toHex(p.stateRootBefore))
  const entry: ContractEntry = {
    owner: new Uint8Array(32),
    name: deploy.name,
    codeCid: deploy.codeCid,
    gasLimit: deploy.gasLimit,
    filter: deploy.filter,
    lastHeight: 0,
    results: 0,
    stateRoot: p.stateRootBefore,
    state: JSON.stringify(state),
    calls: [],
  }
  let readings = 0
  let req: ReturnType<typeof blockRun>
  if (equalBytes(p.call, ZERO_CALL)) {
    const records = await blockRecordsOver(client, block.txs)
    req = blockRun(id, entry, code, exports, block, records)
    readings = req?.calls.filter((c) => c.handler === 'onReading').length ?? 0
  } else {
    const c = block.txs.find((t) => equalBytes(t.hash, p.call) && t.type === TX_TYPES.CONTRACT_CALL)
    if (!c) throw refuse(`block ${p.height} has no call ${toHex(p.call)}`)
    const call = decodeContractCall(c.payload)
    req = callRun(
      id,
      entry,
      code,
      { hash: c.hash, caller: c.signer, fn: call.fn, args: call.args, gas: call.gas },
      block,
    )
  }
  if (!req) throw refuse(`no reading of block ${p.height} matches the contract's filter`)
  const run = await runContract(req)
  if (!run.deterministic)
    throw new SteleError('STELE_UNAVAILABLE', `the replay was stopped by this host: ${run.message}`)
  const expected = resultPayload(run, state, p.contract, block, p.call)
  const claimed = hashesOf(p)
  const recomputed = hashesOf(expected)
  return {
    result: resultHash,
    contract: id,
    height: p.height,
    match: JSON.stringify(claimed) === JSON.stringify(recomputed),
    claimed,
    recomputed,
    readings,
  }
}
