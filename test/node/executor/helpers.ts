import {
  type RunOptions,
  type RunRequest,
  type RunResult,
  runContract,
} from '../../../node/executor/run-contract.ts'

export const SEED = new Uint8Array(32).map((_, i) => i + 1)
export const BLOCK_TIME = Date.UTC(2026, 0, 1, 12, 0, 0)

/** Runs one call of `handler` (default onReading) on `input`, with fixed seed and block time. */
export function run1(
  code: string,
  input: RunRequest['calls'][number]['input'] = null,
  over: Partial<RunRequest> & { handler?: string } = {},
  opts: RunOptions = {},
): Promise<RunResult> {
  const { handler = 'onReading', ...rest } = over
  return runContract(
    {
      code,
      contractId: 'c-test',
      calls: [{ handler, input }],
      state: {},
      blockTime: BLOCK_TIME,
      seed: SEED,
      ...rest,
    },
    opts,
  )
}
