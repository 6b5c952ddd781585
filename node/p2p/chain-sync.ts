/**
 * Bringing the node's chain to the best chain its peers hold: blocks heard by gossip are applied when they follow
 * the tip; anything else (a gap, a fork, a peer further ahead) makes the node fetch blocks by range from that peer,
 * find the last block both chains share, check the peer's branch header by header (Clique rules from the snapshot of
 * the shared block) and, when that branch wins the fork choice (total weight, then lowest hash), roll its own blocks
 * back to the shared one and apply the peer's, each through the same checks as any block (producer.applyBlock).
 * Every peer is also probed at an interval, so a node that heard nothing (new, restarted, partitioned) catches up.
 */
import type { PeerId } from '@libp2p/interface'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Timers } from '../../core/timers.ts'
import type { ChainIndex } from '../chain/chain-index.ts'
import type { BlockProducer } from '../chain/producer.ts'
import type { ChainState } from '../chain/state.ts'
import { decodeWireBlock, type WireBlock } from '../chain/wire-block.ts'
import { applyHeaders } from '../consensus/apply-header.ts'
import { compareTips } from '../consensus/fork-choice.ts'
import { MAX_SYNC_BLOCKS } from './block-sync-codec.ts'

export interface PeerHead {
  height: number
  hash: string
  /** Local time it was last heard of. */
  seenAt: number
}

export interface ChainSyncComponents {
  producer: BlockProducer
  index: ChainIndex
  state: ChainState
  /** Admits a block's record batches and registrations the node does not hold yet (stores their records). */
  admit(block: WireBlock): Promise<void>
  fetch(peer: PeerId, from: number, count: number, signal: AbortSignal): Promise<Uint8Array[]>
  peers(): PeerId[]
  timers: Timers
  logger: Logger
}

export interface ChainSyncInit {
  /** Probe every peer this often (ms) for blocks the node lacks. */
  probeMs: number
  /** A fork branch is fetched up to this many blocks (bounds memory; the rest comes with the next probe). */
  maxBranch?: number
}

export class ChainSync {
  readonly heads = new Map<string, PeerHead>()
  reorgs = 0
  /** Blocks applied from peers since start. */
  applied = 0
  private busy = 0
  /** Gossiped blocks (not held here: the validator ignores those) from their receipt to the end of their handling. */
  private incoming = 0
  private queue: Promise<unknown> = Promise.resolve()
  private timer: unknown
  private stopped = true
  private readonly abort = new AbortController()

  constructor(
    private readonly init: ChainSyncInit,
    private readonly c: ChainSyncComponents,
  ) {}

  /** True while the node applies blocks it lagged behind on: the producer waits. */
  get syncing(): boolean {
    return this.busy > 0
  }

  /**
   * True while a gossiped block waits in the queue or is being applied. The producer waits then too:
   * a block sealed meanwhile would sit on the old tip and fork the chain (an out-of-turn one loses the fork choice and
   * costs every node a reorg).
   */
  get receiving(): boolean {
    return this.incoming > 0
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule(0)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) this.c.timers.clear(this.timer)
    this.abort.abort(new SteleError('STELE_UNAVAILABLE', 'chain sync stopped'))
    await this.queue
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = this.c.timers.set(() => {
      this.timer = undefined
      void this.serial(() => this.probeAll()).finally(() => this.schedule(this.init.probeMs))
    }, ms)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const run = this.queue.then(() => (this.stopped ? undefined : fn()))
    this.queue = run.catch((err) => this.c.logger.warn({ err }, 'chain sync: a step failed'))
    return run.catch(() => undefined)
  }

  private noteHead(peer: PeerId, height: number, hash: Uint8Array): void {
    const key = peer.toString()
    const h = this.heads.get(key)
    if (!h || height >= h.height)
      this.heads.set(key, { height, hash: toHex(hash), seenAt: this.c.timers.now() })
  }

  /** A block heard by gossip (already decoded and checked by the gossip validator). */
  onBlock(block: WireBlock, from: PeerId): void {
    this.incoming++
    void this.serial(async () => {
      const { header } = block
      this.noteHead(from, header.height, header.hash)
      if (equalBytes(this.c.index.hashAt(header.height) ?? new Uint8Array(0), header.hash)) return
      const tip = this.c.state.tip
      if (header.height === tip.height + 1 && toHex(header.prevHash) === tip.hash) {
        await this.apply(block)
        return
      }
      // A gap or a fork: settle it against the peer's whole chain.
      await this.syncFrom(from)
    }).finally(() => this.incoming--)
  }

  private async apply(block: WireBlock): Promise<void> {
    await this.c.admit(block)
    await this.c.producer.applyBlock(block)
    this.applied++
  }

  private async probeAll(): Promise<void> {
    for (const peer of this.c.peers()) {
      if (this.stopped) return
      try {
        await this.syncFrom(peer)
      } catch (err) {
        this.c.logger.debug({ err, peer: peer.toString() }, 'chain sync: probe failed')
      }
    }
  }

  private async fetch(peer: PeerId, from: number, count: number): Promise<WireBlock[]> {
    const raw = await this.c.fetch(peer, from, Math.min(count, MAX_SYNC_BLOCKS), this.abort.signal)
    const blocks = raw.map(decodeWireBlock)
    const last = blocks[blocks.length - 1]
    if (last) this.noteHead(peer, last.header.height, last.header.hash)
    return blocks
  }

  /** Fetches from `peer` what the node lacks; reorganises onto its chain when that chain wins the fork choice. */
  async syncFrom(peer: PeerId): Promise<void> {
    const tip = this.c.state.tip
    // From the tip itself: a different block there is a fork at equal height.
    const from = Math.max(1, tip.height)
    const first = await this.fetch(peer, from, MAX_SYNC_BLOCKS)
    if (first.length === 0) return
    const ours = this.c.index.hashAt(from)
    if (tip.height === 0 || (ours && equalBytes(first[0]!.header.hash, ours))) {
      const ahead = tip.height === 0 ? first : first.slice(1)
      if (ahead.length === 0) return
      await this.catchUp(peer, ahead)
      return
    }
    await this.resolveFork(peer, from)
  }

  /** Applies blocks that extend the tip, fetching further ranges while the peer has more. */
  private async catchUp(peer: PeerId, blocks: WireBlock[]): Promise<void> {
    this.busy++
    const started = this.c.timers.now()
    const fromHeight = this.c.state.tip.height
    try {
      let batch = blocks
      while (batch.length > 0 && !this.stopped) {
        for (const b of batch) await this.apply(b)
        this.c.logger.info(
          {
            peer: peer.toString(),
            height: this.c.state.tip.height,
            head: this.heads.get(peer.toString())?.height,
          },
          'sync: applied blocks from peer',
        )
        if (batch.length < MAX_SYNC_BLOCKS - 1) break
        batch = await this.fetch(peer, this.c.state.tip.height + 1, MAX_SYNC_BLOCKS)
      }
    } finally {
      this.busy--
    }
    const n = this.c.state.tip.height - fromHeight
    if (n > 1)
      this.c.logger.info(
        { blocks: n, ms: this.c.timers.now() - started, height: this.c.state.tip.height },
        'sync: caught up',
      )
  }

  /** The highest height both chains share, walking back from `below` in ranges. */
  private async commonAncestor(peer: PeerId, below: number): Promise<number> {
    let top = below
    while (top > 0) {
      const start = Math.max(1, top - 63)
      const theirs = await this.fetch(peer, start, top - start + 1)
      for (let i = theirs.length - 1; i >= 0; i--) {
        const h = start + i
        const ours = this.c.index.hashAt(h)
        if (ours && equalBytes(ours, theirs[i]!.header.hash)) return h
      }
      top = start - 1
    }
    return 0
  }

  private async resolveFork(peer: PeerId, from: number): Promise<void> {
    const ancestor = await this.commonAncestor(peer, from - 1)
    const branch: WireBlock[] = []
    const max = this.init.maxBranch ?? 4096
    for (let h = ancestor + 1; branch.length < max; ) {
      const got = await this.fetch(peer, h, MAX_SYNC_BLOCKS)
      branch.push(...got)
      if (got.length < MAX_SYNC_BLOCKS) break
      h += got.length
    }
    if (branch.length === 0) return
    const base = this.c.index.snapshotAt(ancestor)
    // Each header against its parent's producer set, which the branch's own registrations may change.
    const checked = applyHeaders(
      base,
      branch.map((b) => b.header),
      this.c.timers.now(),
      undefined,
      (i, before) =>
        this.c.index.producersAfter(
          before,
          branch[i]!.txs.map((t) => t.tx),
        ),
    )
    const valid = checked.ok ? branch : branch.slice(0, checked.index)
    const end = checked.ok ? checked.snapshot : checked.snapshot
    if (!checked.ok)
      this.c.logger.warn(
        { peer: peer.toString(), reason: checked.reason, message: checked.message },
        'sync: peer branch refused',
      )
    if (valid.length === 0) return
    const ourTip = {
      totalWeight: this.c.index.totalWeight(),
      hash: this.c.index.hashAt(this.c.state.tip.height)!,
    }
    if (compareTips({ totalWeight: end.totalWeight, hash: end.hash }, ourTip) >= 0) return
    const dropped = this.c.state.tip.height - ancestor
    this.busy++
    try {
      for (let i = 0; i < dropped; i++) await this.c.producer.rollbackTip()
      this.reorgs++
      this.c.logger.warn(
        { peer: peer.toString(), ancestor, dropped, adopted: valid.length, reorgs: this.reorgs },
        'reorg: adopted a heavier chain; the orphaned blocks\u2019 transactions are pending again',
      )
      for (const b of valid) await this.apply(b)
    } finally {
      this.busy--
    }
  }
}
