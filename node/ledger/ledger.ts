import { EventEmitter } from 'node:events'
import { type AccountState, decodeAccount, emptyAccount } from '../../core/account.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { encodeFaucetGrant } from '../../core/ledger-payloads.ts'
import type { Logger } from '../../core/logger.ts'
import { STATE_NS, type StateProof, stateKey } from '../../core/state-map.ts'
import { decodeTx, type SignedTx, signTx, TX_TYPES } from '../../core/transaction.ts'
import type { Mempool, PendingTx } from '../chain/mempool.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { blockState } from './block-state.ts'
import { genesisChanges } from './genesis-state.ts'
import { LedgerState, mapReader } from './ledger-state.ts'
import { applyTx, isLedgerType, txStateKeys, validateTx } from './registry.ts'
import { SM, StateMap } from './state-map.ts'

/** Committed values read ahead of the admission lock, and the state map's commit count when they were read. */
interface CommittedRead {
  commits: number
  values: Map<string, Uint8Array | undefined>
}

export interface LedgerComponents {
  db: Db
  genesis: Genesis
  mempool: Mempool
  /** This node's key: the producer its admission assumes will collect the fees. */
  producer: Uint8Array
  /** The genesis faucet's key, when this node holds it (POST /v1/faucet). */
  faucetKey?: KeyPair | undefined
  logger: Logger
}

/**
 * The node's ledger (DESIGN §4): the committed state map, and the admission of ledger transactions against it plus
 * an overlay of the writes of the admitted-but-unconfirmed ones, so a signer's nonce n+1 is accepted while n is
 * pending. Admissions, reads that must agree with one tip, and block production run one at a time; admissions'
 * mempool entries are written in groups after the lock passes on (see `writePending`), and `exclusive` callers start
 * once every admitted transaction is written and in the mempool.
 */
export class Ledger extends EventEmitter<{ tx: [SignedTx] }> {
  readonly map: StateMap
  private overlay = new Map<string, Uint8Array | null>()
  private lock: Promise<unknown> = Promise.resolve()
  /** The admitted transactions waiting for the next group write, and that write's promise. */
  private group: { entries: PendingTx[]; written: Promise<void> } | undefined
  /** The last group write: settled means every admitted transaction is durable and in the mempool. */
  private writes: Promise<void> = Promise.resolve()

  constructor(private readonly c: LedgerComponents) {
    super()
    this.map = new StateMap(c.db)
  }

  get genesis(): Genesis {
    return this.c.genesis
  }

  get faucetKey(): KeyPair | undefined {
    return this.c.faucetKey
  }

  /** Runs `fn` after every earlier exclusive call settled and every admitted transaction is in the mempool. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.writes.catch(() => undefined)
      return fn()
    })
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn)
    this.lock = run.catch(() => undefined)
    return run
  }

  /**
   * Queues an admitted transaction's mempool entry for the next group write (one LevelDB batch for every admission
   * that arrives while the previous write runs: a write per transaction cost the admission lock a thread-pool round
   * trip each). After the write the entries join the mempool in arrival order and are announced.
   */
  private writePending(p: PendingTx): Promise<void> {
    if (!this.group) {
      const entries: PendingTx[] = []
      const written = this.writes
        .catch(() => undefined)
        .then(async () => {
          this.group = undefined
          try {
            await this.c.db.batch(
              entries.map((e) => ({ type: 'put', key: K.pending(e.arrival), value: e.tx.bytes })),
            )
          } catch (err) {
            // Their writes are in the overlay but they are not pending: rebuild it once the lock is free.
            this.exclusive(() => this.resetOverlay()).catch(() => undefined)
            throw err
          }
          for (const e of entries) this.c.mempool.add(e)
          for (const e of entries) this.emit('tx', e.tx)
        })
      this.group = { entries, written }
      this.writes = written
    }
    this.group.entries.push(p)
    return this.group.written
  }

  /** Opens the map; on a fresh chain writes the genesis state; rebuilds the overlay of pending transactions. */
  async open(tipHeight: number): Promise<void> {
    const fresh = (await this.c.db.get(SM.root)) === undefined
    await this.map.open()
    if (fresh) {
      if (tipHeight > 0)
        throw new SteleError(
          'STELE_STORAGE',
          `the chain has ${tipHeight} blocks but no state map; the data folder is damaged`,
        )
      await this.map.apply(genesisChanges(this.c.genesis))
    }
    await this.resetOverlay()
  }

  /** After a block (or on open): the overlay is the writes of the transactions still pending, over the new state. */
  async resetOverlay(): Promise<void> {
    const pending = this.c.mempool
      .take(Number.MAX_SAFE_INTEGER)
      .map((p) => p.tx)
      .filter((tx) => isLedgerType(tx.type))
    this.overlay = new Map()
    if (pending.length === 0) return
    const r = await blockState(pending, (k) => this.map.get(k), {
      genesis: this.c.genesis,
      producer: this.c.producer,
    })
    for (const ch of r.changes) this.overlay.set(toHex(ch.key), ch.value)
  }

  /** A committed value, or the overlay's when `pending`. */
  private async read(key: Uint8Array, pending: boolean): Promise<Uint8Array | undefined> {
    return pending ? (await this.readPending([key])).get(toHex(key)) : this.map.get(key)
  }

  /** The values of `keys` with pending writes folded in: the overlay's, the rest in one read of the map. */
  private async readPending(
    keys: readonly Uint8Array[],
    committed?: ReadonlyMap<string, Uint8Array | undefined>,
  ): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>()
    const missing: string[] = []
    for (const k of keys) {
      const hex = toHex(k)
      const o = this.overlay.get(hex)
      if (o === undefined) {
        if (!committed?.has(hex)) missing.push(hex)
        else {
          const v = committed.get(hex)
          if (v) out.set(hex, v)
        }
      } else if (o !== null) out.set(hex, o)
    }
    const got = await this.map.getMany(missing)
    missing.forEach((hex, i) => {
      const v = got[i]
      if (v) out.set(hex, v)
    })
    return out
  }

  /**
   * Admits a ledger transaction: chain, signature, nonce, fee and the type's rules against the committed state plus
   * the pending overlay, then one write of its mempool entry. A replay of any earlier transaction of the signer,
   * pending or confirmed, is refused by its nonce (STELE_NONCE_TOO_LOW).
   */
  async submit(tx: SignedTx): Promise<{ hash: string; status: 'accepted' }> {
    // The read starts now and the admission queues now: admissions keep their call order (a signer's nonces sent
    // at once), and each one's read runs while the ones ahead of it hold the lock.
    const early = this.readCommitted(tx)
    early.catch(() => undefined)
    const { hash, written } = await this.serial(async () =>
      this.admit(tx, await early.catch(() => undefined)),
    )
    await written
    return { hash, status: 'accepted' }
  }

  /** Node-local checks a transaction must pass before admission (a drive-put's CID held here), not block rules. */
  readonly admissionChecks: ((tx: SignedTx) => Promise<void>)[] = []

  /**
   * The committed values of `tx`'s state keys, read outside the admission lock so that admissions' reads overlap
   * (one read per admission under the lock was most of the lock's time); admission uses them only if no block
   * moved the state since. Nothing is decided here: an undecodable payload reads nothing and is refused under the lock.
   */
  private async readCommitted(tx: SignedTx): Promise<CommittedRead | undefined> {
    let keys: Uint8Array[]
    try {
      keys = txStateKeys(tx, this.c.producer)
    } catch {
      return undefined
    }
    const commits = this.map.commits
    const hexes = keys.map(toHex)
    const values = await this.map.getMany(hexes)
    return { commits, values: new Map(hexes.map((h, i) => [h, values[i]])) }
  }

  /** Checks `tx` and folds its writes into the overlay; `written` settles when its mempool entry is durable. */
  private async admit(
    tx: SignedTx,
    early?: CommittedRead,
  ): Promise<{ hash: string; written: Promise<void> }> {
    const { genesis, mempool, producer } = this.c
    for (const check of this.admissionChecks) await check(tx)
    if (tx.chainId !== genesis.chainId)
      throw new SteleError(
        'STELE_CHAIN_MISMATCH',
        `transaction is for chain ${tx.chainId}, this node runs ${genesis.chainId}`,
      )
    const fresh = early?.commits === this.map.commits ? early.values : undefined
    const prefetched = await this.readPending(txStateKeys(tx, producer), fresh)
    const state = new LedgerState(mapReader(prefetched))
    validateTx(tx, state, genesis)
    applyTx(tx, state, { genesis, producer })
    const hash = toHex(tx.hash)
    const arrival = mempool.reserve()
    for (const ch of state.changes()) this.overlay.set(toHex(ch.key), ch.value)
    return { hash, written: this.writePending({ arrival, tx, hash }) }
  }

  /** An account as of the last block, or with pending transactions folded in. */
  async account(pub: Uint8Array, opts: { pending?: boolean } = {}): Promise<AccountState> {
    const v = await this.read(stateKey(STATE_NS.ACCOUNT, pub), opts.pending ?? false)
    return v ? decodeAccount(v) : emptyAccount()
  }

  /** The value and state proof of an account against the committed root (call inside `exclusive` with the tip). */
  prove(pub: Uint8Array): Promise<{ key: Uint8Array; value: Uint8Array | null; proof: StateProof }> {
    const key = stateKey(STATE_NS.ACCOUNT, pub)
    return this.map.prove(key).then((p) => ({ key, ...p }))
  }

  /** Signs and admits a faucet grant of the genesis amount to `to`; the faucet's next nonce is read under the lock. */
  grant(to: Uint8Array): Promise<{ hash: string; amount: bigint }> {
    const key = this.c.faucetKey
    const l = this.c.genesis.ledger
    if (!key || !l || !equalBytes(key.publicKey, l.faucet))
      throw new SteleError('STELE_UNAVAILABLE', 'this node does not hold the genesis faucet key')
    return this.exclusive(async () => {
      const faucet = await this.account(key.publicKey, { pending: true })
      const tx = signTx(
        {
          type: TX_TYPES.FAUCET_GRANT,
          chainId: this.c.genesis.chainId,
          signer: key.publicKey,
          nonce: faucet.nonce,
          payload: encodeFaucetGrant({
            fee: minFee(l, TX_TYPES.FAUCET_GRANT),
            to,
            amount: l.faucetGrant,
          }),
        },
        key.secretKey,
      )
      const { hash, written } = await this.admit(decodeTx(tx.bytes))
      await written
      return { hash, amount: l.faucetGrant }
    })
  }
}
