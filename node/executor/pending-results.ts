import { equalBytes, toHex } from '../../core/bytes.ts'
import { type ContractEntry, type ContractResult, ZERO_CALL } from '../../core/contract-payloads.ts'

type Pending = {
  results: number
  lastHeight: number
  stateRoot: Uint8Array
  state: string
  consumed: Set<string>
}

/**
 * This executor's own results submitted but not yet sealed, per contract (hex id): the next run builds on them, not
 * on the committed entry, until the chain's entry catches up.
 */
export class PendingResults {
  private readonly pending = new Map<string, Pending>()

  /** The committed entry `e` as the pending results leave it (forgotten once the chain has as many results). */
  view(id: string, e: ContractEntry): ContractEntry {
    const p = this.pending.get(id)
    if (!p || e.results >= p.results) {
      this.pending.delete(id)
      return e
    }
    return {
      ...e,
      results: p.results,
      lastHeight: p.lastHeight,
      stateRoot: p.stateRoot,
      state: p.state,
      calls: e.calls.filter((c) => !p.consumed.has(toHex(c.hash))),
    }
  }

  /** A result submitted on `e` (as view left it) at block `height`: for the block (ZERO_CALL) or a call. */
  add(id: string, e: ContractEntry, result: ContractResult, height: number): void {
    const prev = this.pending.get(id)
    const consumed = new Set(prev?.consumed ?? [])
    const { call } = result
    if (!equalBytes(call, ZERO_CALL)) consumed.add(toHex(call))
    this.pending.set(id, {
      results: e.results + 1,
      lastHeight: equalBytes(call, ZERO_CALL) ? height : e.lastHeight,
      stateRoot: result.stateRootAfter,
      state: result.state,
      consumed,
    })
  }

  clear(): void {
    this.pending.clear()
  }
}
