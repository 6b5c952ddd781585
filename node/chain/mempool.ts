import { toHex } from '../../core/bytes.ts'
import { decodeTx, type SignedTx } from '../../core/transaction.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'

export interface PendingTx {
  arrival: number
  tx: SignedTx
  hash: string
}

/** Accepted transactions not yet in a block. Durable: each is written under p: in the same write that accepts it. */
export class Mempool {
  private readonly byHash = new Map<string, PendingTx>()
  private next = 1

  async load(db: Db): Promise<void> {
    for await (const [k, v] of db.iterator({ gt: K.pendingPrefix, lt: prefixEnd(K.pendingPrefix) })) {
      const arrival = Number.parseInt(k.slice(K.pendingPrefix.length), 16)
      const tx = decodeTx(v)
      const hash = toHex(tx.hash)
      this.byHash.set(hash, { arrival, tx, hash })
      this.next = Math.max(this.next, arrival + 1)
    }
  }

  /** Reserves an arrival number; the caller writes K.pending(arrival) and then calls add(). */
  reserve(): number {
    return this.next++
  }

  add(p: PendingTx): void {
    this.byHash.set(p.hash, p)
  }

  get(hash: string): PendingTx | undefined {
    return this.byHash.get(hash)
  }

  has(hash: string): boolean {
    return this.byHash.has(hash)
  }

  get size(): number {
    return this.byHash.size
  }

  /** The oldest `max` transactions, in arrival order (Map keeps insertion order, which is arrival order). */
  take(max: number): PendingTx[] {
    const out: PendingTx[] = []
    for (const p of this.byHash.values()) {
      if (out.length >= max) break
      out.push(p)
    }
    return out
  }

  /**
   * Puts back the transactions of a rolled-back block with their first arrival numbers: the mempool stays in arrival
   * order, so a gateway's batches and an account's nonces come back in the order they were admitted.
   */
  restore(entries: readonly PendingTx[]): void {
    if (entries.length === 0) return
    const all = [...this.byHash.values(), ...entries].sort((a, b) => a.arrival - b.arrival)
    this.byHash.clear()
    for (const p of all) this.byHash.set(p.hash, p)
    for (const p of entries) this.next = Math.max(this.next, p.arrival + 1)
  }

  remove(hashes: Iterable<string>): void {
    for (const h of hashes) this.byHash.delete(h)
  }
}
