import { equalBytes, fromHex, toHex } from '../../core/bytes.ts'
import type { StampedRecord } from '../../core/record.ts'
import type { ChainBlock } from './chain-inputs.ts'
import { checkContract } from './check-contract.ts'
import { type ContractState, stateRoot } from './hashes.ts'
import { inputsHash, type RunOptions, type RunRequest, type RunResult, runContract } from './run-contract.ts'

/** What the executor keeps between runs: the states it has seen and the code it has loaded. */

const MAX_STATES = 4096
const MAX_RUNS = 64

/** Contract states by root (hex), the newest 4096 seen: a result's state before is looked up here to re-run it. */
export class KnownStates {
  private readonly states = new Map<string, string>()

  remember(state: string): void {
    const root = toHex(fromHex(stateRoot(JSON.parse(state) as ContractState), 'root', 32))
    this.states.delete(root)
    this.states.set(root, state)
    if (this.states.size > MAX_STATES) this.states.delete(this.states.keys().next().value as string)
  }

  get(root: string): string | undefined {
    return this.states.get(root)
  }
}

/** Contract code by CID, fetched and checked (checkContract) once. */
export class CodeCache {
  private readonly codes = new Map<string, { code: string; exports: string[] }>()

  constructor(private readonly fetch: (cid: string) => Promise<string>) {}

  async get(cid: string): Promise<{ code: string; exports: string[] }> {
    const hit = this.codes.get(cid)
    if (hit) return hit
    const code = await this.fetch(cid)
    const info = await checkContract(code)
    const v = { code, exports: info.exports }
    this.codes.set(cid, v)
    return v
  }
}

/**
 * The newest 64 deterministic runs by inputs hash: admission re-executes every result, and a result this node's
 * executor just computed has the inputs of a run made here, so its re-execution is that run (the sandbox is
 * deterministic and the inputs hash covers code, id, block time, seed, limits, calls and state). A result
 * computed from other inputs (another seed, state or code) misses and is re-run.
 */
export class RunMemo {
  private readonly runs = new Map<string, RunResult>()

  constructor(
    private readonly execute: (req: RunRequest, opts: RunOptions) => Promise<RunResult> = runContract,
  ) {}

  async run(req: RunRequest): Promise<RunResult> {
    const key = inputsHash(req)
    const hit = this.runs.get(key)
    if (hit) return hit
    const run = await this.execute(req, { inputsHash: key })
    // A run the host stopped says nothing about its inputs: never kept.
    if (run.deterministic && run.inputsHash === key) {
      this.runs.set(key, run)
      if (this.runs.size > MAX_RUNS) this.runs.delete(this.runs.keys().next().value as string)
    }
    return run
  }
}

const MAX_BLOCKS = 4

/**
 * The records of the latest 4 blocks read, by block hash: the executor's runs and the re-execution of each of
 * their results read the same records, and the same record objects let a block's readings be encoded once
 * (contract-run.ts readingCall).
 */
export class BlockRecordsCache {
  private readonly blocks = new Map<string, Promise<StampedRecord[]>>()

  constructor(private readonly read: (block: ChainBlock) => Promise<StampedRecord[]>) {}

  get(block: ChainBlock): Promise<StampedRecord[]> {
    const key = toHex(block.hash)
    let hit = this.blocks.get(key)
    if (hit === undefined) {
      hit = this.read(block)
      this.blocks.set(key, hit)
      // A failed read is not kept.
      hit.catch(() => this.blocks.get(key) === hit && this.blocks.delete(key))
      if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as string)
    }
    return hit
  }
}

const RECENT_BLOCKS = 8

/** The last 8 blocks the executor processed, by height: a result's admission finds its block here first. */
export class RecentBlocks {
  private readonly blocks = new Map<number, ChainBlock>()

  add(block: ChainBlock): void {
    this.blocks.set(block.height, block)
    for (const h of this.blocks.keys()) if (h <= block.height - RECENT_BLOCKS) this.blocks.delete(h)
  }

  /** The block at `height` when it is the one with `hash`. */
  get(height: number, hash: Uint8Array): ChainBlock | undefined {
    const b = this.blocks.get(height)
    return b && equalBytes(b.hash, hash) ? b : undefined
  }

  drop(height: number): void {
    this.blocks.delete(height)
  }
}
