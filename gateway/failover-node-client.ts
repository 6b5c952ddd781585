/**
 * A gateway's client of several nodes of one chain (`stele gateway --node URL --node URL`): each call goes to the
 * node that answered last and moves on to the next when that one cannot be reached. Resubmission to another node
 * stays exactly-once: a batch is signed once with its sequence number, and a node that already holds it (accepted,
 * gossiped to it, or in a block it applied) answers duplicate; a node that lags the gateway's chain answers
 * STELE_BATCH_GAP and the submitter resends from its outbox as it does with one node.
 */

import { SteleError } from '../core/errors.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../core/node-api.ts'

/** Answers that say "this node, not this request": the next node may serve the call. */
const NODE_DOWN = new Set(['STELE_UNAVAILABLE', 'STELE_REQUEST_TIMEOUT', 'STELE_INTERNAL', 'STELE_STORAGE'])

export interface FailoverNodeClient extends NodeApi {
  /** Index of the node calls go to now. */
  readonly current: number
  readonly failovers: number
}

export function createFailoverNodeClient(nodes: readonly NodeApi[]): FailoverNodeClient {
  if (nodes.length === 0) throw new SteleError('STELE_CONFIG', 'a gateway needs at least one --node')
  let current = 0
  let failovers = 0
  async function call<T>(fn: (n: NodeApi) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    let last: unknown
    for (let tried = 0; tried < nodes.length; tried++) {
      const i = (current + tried) % nodes.length
      try {
        const r = await fn(nodes[i]!)
        if (i !== current) {
          current = i
          failovers++
        }
        return r
      } catch (err) {
        if (signal?.aborted) throw err
        if (err instanceof SteleError && !NODE_DOWN.has(err.code)) throw err
        last = err
      }
    }
    throw last
  }
  return {
    get current() {
      return current
    },
    get failovers() {
      return failovers
    },
    info: (opts = {}): Promise<NodeInfo> => call((n) => n.info(opts), opts.signal),
    gatewayTip: (gw, opts = {}): Promise<GatewayTip> => call((n) => n.gatewayTip(gw, opts), opts.signal),
    submitBatches: (batches: readonly SubmittedBatch[], opts = {}): Promise<SubmitResult[]> =>
      call((n) => n.submitBatches(batches, opts), opts.signal),
  }
}
