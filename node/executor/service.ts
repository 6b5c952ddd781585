import { EventEmitter } from 'node:events'
import { ROLES } from '../../core/account.ts'
import { equalBytes, fromHex, toHex } from '../../core/bytes.ts'
import {
  type ContractEntry,
  type ContractResult,
  contractStateKey,
  decodeContractCall,
  decodeContractDeploy,
  decodeContractEntry,
  decodeContractResult,
  encodeContractResult,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import type { Logger } from '../../core/logger.ts'
import type { StampedRecord } from '../../core/record.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import type { BlockProducer, ProducedBlock } from '../chain/producer.ts'
import type { Db } from '../db/db.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { blockRecords, type ChainBlock, loadBlock } from './chain-inputs.ts'
import { evidenceList, loadContractIndex, resultsPage, XK } from './contract-index.ts'
import { blockRun, callRun, resultPayload, type Seeder } from './contract-run.ts'
import { PendingResults } from './pending-results.ts'
import { type ReexecuteSources, reexecuteResult } from './reexecute.ts'
import {
  type ContractEventView,
  type Evidence,
  mismatchEvidence,
  type ResultView,
  resultView,
} from './result-view.ts'
import { BlockRecordsCache, CodeCache, KnownStates, RecentBlocks, RunMemo } from './run-caches.ts'
import type { RunRequest } from './run-contract.ts'
import { deriveSeed } from './seed.ts'
import { selectExecutor } from './select-executor.ts'
import { undoBlockIndex } from './undo-block.ts'

export type { ContractEventView, Evidence, ResultView } from './result-view.ts'
export { resultView } from './result-view.ts'

export interface ContractServiceInit {
  /** Fault injection for tests: the seed this node's executor runs with (re-execution always uses deriveSeed). */
  executeSeed?: Seeder
}

export interface ContractServiceComponents {
  db: Db
  genesis: Genesis
  key: KeyPair
  ledger: Ledger
  /** Contract code by CID text (the node's storage); throws STELE_NOT_FOUND when not held. */
  code(cid: string): Promise<string>
  /** Keeps the code from garbage collection once deployed. */
  pin(cid: string): Promise<void>
  producer: Pick<BlockProducer, 'on' | 'off'>
  tipHeight(): number
  /** Submits a transaction through the node's admission (POST /v1/transactions). */
  submit(bytes: Uint8Array): Promise<unknown>
  logger: Logger
  now(): number
}

/**
 * The executor (docs/contracts.md §9): indexes contract transactions as blocks seal them, runs the contracts this
 * node is selected for after each block and submits their results, and re-executes every result before admitting
 * it (and every result it sees in a block it did not admit), keeping evidence of a mismatch.
 */
export class ContractService extends EventEmitter<{
  event: [ContractEventView]
  result: [ResultView]
  mismatch: [Evidence]
}> {
  mismatches = 0
  private readonly contracts = new Map<string, number>()
  private readonly executors = new Set<string>()
  private readonly codes: CodeCache
  private readonly states = new KnownStates()
  private readonly runs = new RunMemo()
  private readonly records: BlockRecordsCache
  private readonly recentBlocks = new RecentBlocks()
  private readonly pending = new PendingResults()
  private readonly verified = new Set<string>()
  private evidenceSeq = 0
  private queue: Promise<void> = Promise.resolve()
  private started = false
  private readonly onBlock = (b: ProducedBlock) => {
    // The block just applied is handed on: reading it back from LevelDB was ~8 % of the accept thread.
    const { height, hash, time } = b.header
    this.enqueue(height, true, { height, hash, time, txs: b.txs })
  }
  private readonly onRollback = (b: ProducedBlock) => {
    // At once, not in the queue: admission must not take the block that is gone for the chain's.
    this.recentBlocks.drop(b.header.height)
    this.queue = this.queue
      .then(() => this.undo(b))
      .catch((err) =>
        this.c.logger.error({ err, height: b.header.height }, 'contract executor: rollback not undone'),
      )
  }

  private readonly sources: ReexecuteSources

  constructor(
    private readonly init: ContractServiceInit,
    private readonly c: ContractServiceComponents,
  ) {
    super()
    this.codes = new CodeCache((cid) => c.code(cid))
    this.records = new BlockRecordsCache((b) => blockRecords(c.db, b.txs))
    this.sources = {
      db: c.db,
      committed: (id) => this.committed(id),
      state: (root) => this.states.get(root),
      code: (cid) => this.loadCode(cid),
      records: (b) => this.records.get(b),
      run: (req) => this.runs.run(req),
    }
    this.remember('{}')
  }

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    const idx = await loadContractIndex(this.c.db)
    for (const [id, height] of idx.contracts) this.contracts.set(id, height)
    for (const key of idx.executors) this.executors.add(key)
    if (idx.evidenceCount > 0) this.evidenceSeq = idx.evidenceSeq
    this.mismatches += idx.evidenceCount
    const from = idx.cursor
    // Catch up on blocks sealed while the service was not running: index them, run nothing old.
    for (let h = from + 1; h <= this.c.tipHeight(); h++) this.enqueue(h, false)
    this.c.producer.on('block', this.onBlock)
    this.c.producer.on('rollback', this.onRollback)
  }

  async stop(): Promise<void> {
    this.c.producer.off('block', this.onBlock)
    this.c.producer.off('rollback', this.onRollback)
    this.started = false
    await this.queue
  }

  /** Waits until every block seen so far is processed. */
  idle(): Promise<void> {
    return this.queue
  }

  private enqueue(height: number, execute = true, block?: ChainBlock): void {
    this.queue = this.queue
      .then(() => this.process(height, execute, block))
      .catch((err) => this.c.logger.error({ err, height }, 'contract executor: block not processed'))
  }

  private remember(state: string): void {
    this.states.remember(state)
  }

  /** Executor candidates: registered executors, or the genesis authority while none is registered. */
  selected(blockHash: Uint8Array, contract: Uint8Array): string {
    return selectExecutor(this.executors, toHex(this.c.genesis.authority), blockHash, contract)
  }

  private async process(height: number, execute: boolean, applied?: ChainBlock): Promise<void> {
    const block = applied ?? (await loadBlock(this.c.db, height))
    if (!block) return
    this.recentBlocks.add(block)
    const ops: { type: 'put'; key: string; value: Uint8Array }[] = []
    const enc = new TextEncoder()
    const calls: SignedTx[] = []
    for (const tx of block.txs) {
      const hash = toHex(tx.hash)
      if (tx.type === TX_TYPES.CONTRACT_DEPLOY) {
        this.contracts.set(hash, height)
        ops.push({ type: 'put', key: XK.contract(hash), value: enc.encode(String(height)) })
      } else if (tx.type === TX_TYPES.CONTRACT_CALL) calls.push(tx)
      else if (tx.type === TX_TYPES.NODE_REGISTER) {
        const reg = decodeNodeRegistration(tx.payload)
        const key = toHex(reg.node)
        if ((reg.roles & ROLES.EXECUTOR) !== 0) {
          this.executors.add(key)
          ops.push({ type: 'put', key: XK.executor(key), value: new Uint8Array() })
        } else if (this.executors.delete(key)) await this.c.db.del(XK.executor(key))
      } else if (tx.type === TX_TYPES.CONTRACT_RESULT) {
        const p = decodeContractResult(tx.payload)
        const id = toHex(p.contract)
        ops.push({ type: 'put', key: XK.result(id, p.height, hash), value: tx.hash })
        if (!this.verified.has(hash)) await this.verify(tx, p).catch(() => undefined)
        this.verified.delete(hash)
        this.remember(p.state)
        const view = resultView(tx, p)
        this.emit('result', view)
        view.events.forEach((e, index) => {
          this.emit('event', { ...e, contract: id, height: p.height, result: hash, index })
        })
      }
    }
    ops.push({ type: 'put', key: XK.cursor, value: enc.encode(String(height)) })
    await this.c.db.batch(ops)
    if (execute) await this.execute(block, calls)
  }

  /**
   * A reorg took block `b` off the tip: what indexing it added goes (deploys, result index entries, executor
   * registrations re-read from the restored ledger), the cursor steps back, and this executor's own unsealed results
   * are forgotten (they may build on the block that is gone). The next 'block' event indexes its replacement.
   */
  private async undo(b: ProducedBlock): Promise<void> {
    const index = { contracts: this.contracts, executors: this.executors, verified: this.verified }
    await this.c.db.batch(await undoBlockIndex(b.header.height, b.txs, index, this.c.ledger))
    this.pending.clear()
  }

  private loadCode(cid: string): Promise<{ code: string; exports: string[] }> {
    return this.codes.get(cid)
  }

  private async committed(id: string): Promise<ContractEntry | undefined> {
    const v = await this.c.ledger.map.get(contractStateKey(fromHex(id, 'contract', 32)))
    return v ? decodeContractEntry(v) : undefined
  }

  /** The contract as this executor's own pending results leave it. */
  private async view(id: string): Promise<ContractEntry | undefined> {
    const e = await this.committed(id)
    if (!e) return undefined
    return this.pending.view(id, e)
  }

  private async execute(block: ChainBlock, calls: SignedTx[]): Promise<void> {
    const me = toHex(this.c.key.publicKey)
    let records: StampedRecord[] | undefined
    const seed = this.init.executeSeed ?? deriveSeed
    for (const [id, deployed] of this.contracts) {
      if (deployed >= block.height) continue
      const idBytes = fromHex(id, 'contract', 32)
      if (this.selected(block.hash, idBytes) !== me) continue
      const e = await this.view(id)
      if (!e || e.lastHeight >= block.height) continue
      records ??= await this.records.get(block)
      try {
        const { code, exports } = await this.loadCode(e.codeCid)
        const req = blockRun(id, e, code, exports, block, records, seed)
        if (req) await this.runAndSubmit(req, e, idBytes, block, ZERO_CALL)
      } catch (err) {
        this.c.logger.warn({ err, contract: id, height: block.height }, 'contract block run not submitted')
      }
    }
    for (const tx of calls) {
      const call = decodeContractCall(tx.payload)
      const id = toHex(call.contract)
      if (this.selected(block.hash, call.contract) !== me) continue
      try {
        const e = await this.view(id)
        const pc = e?.calls.find((c) => equalBytes(c.hash, tx.hash))
        if (!e || !pc) continue
        const { code } = await this.loadCode(e.codeCid)
        await this.runAndSubmit(callRun(id, e, code, pc, block, seed), e, call.contract, block, tx.hash)
      } catch (err) {
        this.c.logger.warn({ err, contract: id, call: toHex(tx.hash) }, 'contract call run not submitted')
      }
    }
  }

  private async runAndSubmit(
    req: RunRequest,
    e: ContractEntry,
    id: Uint8Array,
    block: ChainBlock,
    call: Uint8Array,
  ): Promise<void> {
    const run = await this.runs.run(req)
    // A run the host stopped (wall clock, abort) says nothing about the inputs: nothing is published.
    if (!run.deterministic) throw new SteleError('STELE_UNAVAILABLE', `host failure: ${run.message}`)
    const payload = resultPayload(run, req.state, id, block, call)
    const nonce = (await this.c.ledger.account(this.c.key.publicKey, { pending: true })).nonce
    const tx = signTx(
      {
        type: TX_TYPES.CONTRACT_RESULT,
        chainId: this.c.genesis.chainId,
        signer: this.c.key.publicKey,
        nonce,
        payload: encodeContractResult(payload),
      },
      this.c.key.secretKey,
    )
    await this.c.submit(tx.bytes)
    this.pending.add(toHex(id), e, payload, block.height)
  }

  /**
   * What admission adds to the ledger rules for contract transactions: a deploy's code is held and loads; a
   * call's function is exported; a result is for a real block, signed by the selected executor, and its hashes
   * are those of this node's re-execution (a mismatch is kept as evidence and refused: STELE_CONTRACT_MISMATCH).
   */
  async precheck(tx: SignedTx): Promise<void> {
    if (tx.type === TX_TYPES.CONTRACT_DEPLOY) {
      const p = decodeContractDeploy(tx.payload)
      await this.loadCode(p.codeCid)
      await this.c.pin(p.codeCid)
    } else if (tx.type === TX_TYPES.CONTRACT_CALL) {
      const p = decodeContractCall(tx.payload)
      const e = await this.committed(toHex(p.contract))
      if (!e) throw new SteleError('STELE_NOT_FOUND', `contract ${toHex(p.contract)} is not deployed`)
      const { exports } = await this.loadCode(e.codeCid)
      if (!exports.includes(p.fn))
        throw new SteleError('STELE_TX_INVALID', `the contract exports no function ${p.fn}`, {
          details: { exports },
        })
    } else if (tx.type === TX_TYPES.CONTRACT_RESULT) {
      const p = decodeContractResult(tx.payload)
      const block = this.recentBlocks.get(p.height, p.blockHash) ?? (await loadBlock(this.c.db, p.height))
      if (!block || !equalBytes(block.hash, p.blockHash))
        throw new SteleError('STELE_TX_INVALID', `block ${p.height} of this chain has another hash`)
      const id = toHex(p.contract)
      const deployed = this.contracts.get(id)
      if (deployed === undefined || deployed >= p.height)
        throw new SteleError('STELE_TX_INVALID', `contract ${id} was not deployed before block ${p.height}`)
      const sel = this.selected(p.blockHash, p.contract)
      if (sel !== toHex(tx.signer))
        throw new SteleError(
          'STELE_NOT_AUTHORIZED',
          `the executor selected for block ${p.height} is ${sel}`,
          {
            details: { selected: sel },
          },
        )
      await this.verify(tx, p, block, true)
      this.verified.add(toHex(tx.hash))
      this.remember(p.state)
    }
  }

  /** Re-runs a result from chain and storage data; records evidence on a mismatch. Returns the recomputed result. */
  reexecute(
    p: ContractResult,
    block?: ChainBlock,
  ): Promise<{ expected: ContractResult; deterministic: boolean }> {
    return reexecuteResult(this.sources, p, block)
  }

  private async verify(tx: SignedTx, p: ContractResult, block?: ChainBlock, refuse = false): Promise<void> {
    const { expected, deterministic } = await this.reexecute(p, block)
    if (!deterministic) throw new SteleError('STELE_UNAVAILABLE', 'the re-execution was stopped by this host')
    const ev = mismatchEvidence(tx, p, expected, this.evidenceSeq + 1, this.c.now())
    if (!ev) return
    this.evidenceSeq = ev.seq
    const { claimed, recomputed } = ev
    this.mismatches++
    await this.c.db.put(XK.evidence(ev.seq), new TextEncoder().encode(JSON.stringify(ev)))
    this.c.logger.warn(
      { contract: ev.contract, height: ev.height, executor: ev.executor },
      'contract result mismatch',
    )
    this.emit('mismatch', ev)
    if (refuse)
      throw new SteleError(
        'STELE_CONTRACT_MISMATCH',
        'the result does not match this node’s re-execution of its inputs; evidence kept',
        { details: { claimed, recomputed } },
      )
  }

  /** Deployed contracts (id → deploy height), in id order. */
  list(): { id: string; height: number }[] {
    return [...this.contracts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, height]) => ({ id, height }))
  }

  async entry(id: string): Promise<(ContractEntry & { height: number }) | undefined> {
    const height = this.contracts.get(id)
    if (height === undefined) return undefined
    const e = await this.committed(id)
    return e ? { ...e, height } : undefined
  }

  /** A contract's results, newest first, from `before` (an index key from a previous page). */
  results(id: string, limit: number, before?: string): Promise<{ items: ResultView[]; next: string | null }> {
    return resultsPage(this.c.db, id, limit, before)
  }

  evidence(contract?: string): Promise<Evidence[]> {
    return evidenceList(this.c.db, contract)
  }
}
