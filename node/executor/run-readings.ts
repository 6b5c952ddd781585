import { sha256 } from '../../core/hash.ts'
import type { Json } from './canonical-json.ts'
import type { ContractEvent, ContractState } from './hashes.ts'
import { type RunOptions, type RunResult, runContract } from './run-contract.ts'
import { deriveSeed } from './seed.ts'

/** A reading as a contract sees it: the record's fields, `time` in epoch milliseconds. */
export interface ContractReading {
  device: string
  sensor: string
  value: number
  unit?: string
  time: number
  [field: string]: Json | undefined
}

export interface ReplayStep {
  reading: ContractReading
  result: RunResult
}

export interface Replay {
  steps: ReplayStep[]
  events: (ContractEvent & { index: number })[]
  state: ContractState
  gasUsed: number
  failures: number
}

/**
 * Runs `onReading` on each reading in its own run, as if each came in its own block at the reading's time,
 * threading the state through: what `stele contract test` and the example tests do. A failed run leaves the
 * state as it was (runs are atomic) and the replay goes on. The seed of step i is deriveSeed(sha256(i), id).
 */
export async function replayReadings(
  code: string,
  readings: readonly ContractReading[],
  opts: RunOptions & { contractId?: string; state?: ContractState; gasLimit?: number } = {},
): Promise<Replay> {
  const contractId = opts.contractId ?? 'local-test'
  let state: ContractState = opts.state ?? {}
  const steps: ReplayStep[] = []
  const events: Replay['events'] = []
  let gasUsed = 0
  let failures = 0
  for (const [i, reading] of readings.entries()) {
    const blockHash = sha256(new TextEncoder().encode(`local-block-${i}`))
    const result = await runContract(
      {
        code,
        contractId,
        calls: [{ handler: 'onReading', input: reading as Json }],
        state,
        blockTime: reading.time,
        seed: deriveSeed(blockHash, contractId),
        ...(opts.gasLimit === undefined ? {} : { gasLimit: opts.gasLimit }),
      },
      opts,
    )
    steps.push({ reading, result })
    gasUsed += result.gasUsed
    if (result.status !== 'ok') failures++
    for (const e of result.events) events.push({ index: i, ...e })
    state = result.stateAfter
  }
  return { steps, events, state, gasUsed, failures }
}
