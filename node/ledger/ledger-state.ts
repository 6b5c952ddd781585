import { type AccountState, decodeAccount, emptyAccount, encodeAccount } from '../../core/account.ts'
import { toHex } from '../../core/bytes.ts'
import { decodeNodeEntry, encodeNodeEntry, type NodeRegistration } from '../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import type { StateChange } from './state-map.ts'

/** Reads the state as of the last block: sync, so validation is pure; the node prefetches what a block needs. */
export type StateReader = (key: Uint8Array) => Uint8Array | undefined

export type NodeEntry = Omit<NodeRegistration, 'fee'>

/**
 * The ledger's view of the state map while a block is built or replayed: typed reads over `base`, writes kept
 * here until `changes()` hands them to the state map (node/ledger/state-map.ts) in one update.
 */
export class LedgerState {
  private readonly writes = new Map<string, StateChange>()

  constructor(private readonly base: StateReader) {}

  raw(key: Uint8Array): Uint8Array | undefined {
    const w = this.writes.get(toHex(key))
    if (w) return w.value ?? undefined
    return this.base(key)
  }

  private write(key: Uint8Array, value: Uint8Array | null): void {
    this.writes.set(toHex(key), { key, value })
  }

  /** Writes a raw leaf value (null removes it): rules of other layers (contracts) with their own codecs. */
  setRaw(key: Uint8Array, value: Uint8Array | null): void {
    this.write(key, value)
  }

  account(pub: Uint8Array): AccountState {
    const v = this.raw(stateKey(STATE_NS.ACCOUNT, pub))
    return v ? decodeAccount(v) : emptyAccount()
  }

  /** An account back at its empty state (no balance, nonce 0, no roles) leaves the map, like one never used. */
  setAccount(pub: Uint8Array, a: AccountState): void {
    const empty = a.balance === 0n && a.nonce === 0 && a.roles === 0
    this.write(stateKey(STATE_NS.ACCOUNT, pub), empty ? null : encodeAccount(a))
  }

  node(pub: Uint8Array): NodeEntry | undefined {
    const v = this.raw(stateKey(STATE_NS.NODE, pub))
    return v ? decodeNodeEntry(v) : undefined
  }

  setNode(pub: Uint8Array, entry: NodeEntry | null): void {
    this.write(stateKey(STATE_NS.NODE, pub), entry ? encodeNodeEntry(entry) : null)
  }

  /** State keys (hex) written so far. */
  touched(): string[] {
    return [...this.writes.keys()]
  }

  /** The writes, one per key, for StateMap.stage. */
  changes(): StateChange[] {
    return [...this.writes.values()]
  }
}

/** A reader over an in-memory map of state key (hex) to value: genesis, tests, and a node's prefetched keys. */
export function mapReader(map: Map<string, Uint8Array>): StateReader {
  return (key) => map.get(toHex(key))
}

/** Folds changes into an in-memory map (what a block does to a prefetched copy). */
export function applyChanges(map: Map<string, Uint8Array>, changes: StateChange[]): void {
  for (const c of changes) {
    if (c.value === null) map.delete(toHex(c.key))
    else map.set(toHex(c.key), c.value)
  }
}
