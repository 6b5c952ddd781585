/**
 * A node on the network: its libp2p host, gossip of transactions, batches and blocks, block-range sync, and the
 * chain sync that applies what peers hold. Everything received goes through the node's own admission (ingest, ledger)
 * and block checks (producer.applyBlock): a peer is trusted for nothing.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { decodeBlockHeader, verifyBlockSignature } from '../../core/block.ts'
import { ByteReader, ByteWriter, equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { SubmitResult, SubmittedBatch } from '../../core/node-api.ts'
import { TX_TYPES } from '../../core/transaction.ts'
import { decodeWireBlock, encodeWireBlock, loadWireBlock, type WireBlock } from '../chain/wire-block.ts'
import {
  detectEquivocation,
  type EquivocationEvidence,
  type SignedHeaderBytes,
} from '../consensus/equivocation.ts'
import { getMany } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { BlockSyncService } from './block-sync.ts'
import { BlocksByCidService } from './blocks-by-cid.ts'
import { ChainSync } from './chain-sync.ts'
import type { NetworkComponents } from './components.ts'
import { GossipService, type GossipSource, type GossipVerdict } from './gossip.ts'
import type { TxGossip } from './gossip-codec.ts'
import { MAX_GOSSIP_BYTES } from './gossip-codec.ts'
import { createP2pHost, type P2pHost } from './host.ts'
import { ChainPeers } from './peer-policy.ts'
import { presenceDhtRecords } from './presence-dht.ts'
import { NodePresence, type NodePresenceInit } from './presence-node.ts'
import { RecentBlocks } from './recent-blocks.ts'

export interface NetworkInit {
  /** Multiaddrs to listen on (default /ip4/127.0.0.1/tcp/0). */
  listen?: string[]
  /** Multiaddrs with /p2p/<peer id> of other nodes: dialled at start and again whenever not connected. */
  peers?: string[]
  /** How often every peer is probed for blocks this node lacks (default 2 s). */
  probeMs?: number
  /** Called with each proof of equivocation found (two blocks of one producer at one height). */
  onEvidence?: (e: EquivocationEvidence) => void
  /** Options of the presence service every node on the network runs. */
  presence?: NodePresenceInit
}

export interface NetworkStatus {
  peerId: string
  addresses: string[]
  syncing: boolean
  reorgs: number
  blocksFromPeers: number
  peers: { id: string; connected: boolean; head?: number; headHash?: string }[]
}

/** Gossip of a gateway batch: var32 transaction | record list (docs/network.md §Gossip). */
export function encodeBatchGossip(b: SubmittedBatch): Uint8Array {
  return new ByteWriter(8 + b.tx.length + b.records.length).var32(b.tx).bytes(b.records).finish()
}

export function decodeBatchGossip(bytes: Uint8Array): SubmittedBatch {
  const rd = new ByteReader(bytes, 'batch gossip')
  const tx = new Uint8Array(rd.var32('transaction', 1 << 20))
  return { tx, records: new Uint8Array(rd.bytes(rd.remaining, 'records')) }
}

/**
 * Refusals that say "not now" rather than "bad": a gap or unknown gateway while gossip runs out of order, or a
 * drive-put of a file this node does not hold (valid at the node that holds it; penalising its forwarder would cut
 * off that node's blocks).
 */
const NOT_NOW = new Set([
  'STELE_BATCH_GAP',
  'STELE_CID_UNKNOWN',
  'STELE_GATEWAY_UNKNOWN',
  'STELE_RATE_LIMITED',
  'STELE_NONCE_GAP',
  'STELE_NONCE_TOO_LOW',
  'STELE_UNAVAILABLE',
])

export class NodeNetwork {
  readonly sync: ChainSync
  private readonly gossip: GossipService
  private readonly blocks: BlockSyncService
  /** Storage blocks by CID, served from the node's blockstore and fetched by replicators (item 5). */
  readonly blocksByCid: BlocksByCidService
  private readonly log: Logger
  /** First signed header seen of each (height, producer): a second, different one is equivocation. */
  private readonly seen = new Map<string, SignedHeaderBytes>()
  private readonly reported = new Set<string>()
  private redial: unknown
  /** Relay and presence service for client circuits (node/p2p/presence-node.ts). */
  presence: NodePresence | undefined
  /** Who may speak block sync, blocks by CID and gossip: chain nodes only (peer-policy.ts). */
  readonly chainPeers: ChainPeers
  /** Blocks the gossip validator decoded, by their message bytes: the handler does not decode them again. */
  private readonly checked = new WeakMap<Uint8Array, WireBlock>()
  /** Wire bytes of the head's last blocks: every peer's probe asks for the tip block. */
  private readonly recent: RecentBlocks

  private constructor(
    readonly host: P2pHost,
    private readonly node: NetworkComponents,
    private readonly init: NetworkInit,
  ) {
    const chainId = node.genesis.chainId
    this.log = node.logger
    this.chainPeers = new ChainPeers(node)
    // Inbound streams of the chain's protocols from a peer that is no chain node are refused (presence is not gated).
    const gated = this.chainPeers.gated(host)
    this.recent = new RecentBlocks(node)
    this.blocks = new BlockSyncService(
      { chainId, logger: this.log, source: { getBlockBytes: (h) => this.recent.get(h) } },
      gated,
    )
    this.blocksByCid = new BlocksByCidService(
      { chainId, logger: this.log, source: node.storage.blocks },
      gated,
    )
    this.gossip = new GossipService(
      {
        chainId,
        logger: this.log,
        validateTx: (m, from) => this.fromChainNode(from, () => this.admitGossip(m)),
        validateBlock: (b, from) => this.fromChainNode(from, () => this.checkBlock(b)),
        onBlock: (b, from) => this.sync.onBlock(this.checked.get(b) ?? decodeWireBlock(b), from.peer),
      },
      { pubsub: host.services.pubsub },
    )
    this.sync = new ChainSync(
      { probeMs: init.probeMs ?? 2000 },
      {
        producer: node.producer,
        index: node.index,
        state: node.state,
        admit: (b) => this.admitBlockTxs(b),
        fetch: (peer, from, count, signal) => this.blocks.fetchBlocks(peer, { from, count }, { signal }),
        peers: () => host.getPeers(),
        timers: node.timers,
        logger: this.log,
      },
    )
  }

  static async start(node: NetworkComponents, init: NetworkInit): Promise<NodeNetwork> {
    const host = await createP2pHost({
      key: node.identity.key.secretKey,
      chainId: node.genesis.chainId,
      listen: init.listen?.length ? init.listen : ['/ip4/127.0.0.1/tcp/0'],
      ...(init.peers?.length ? { bootstrap: init.peers } : {}),
      dhtRecords: presenceDhtRecords(node.timers),
    })
    const net = new NodeNetwork(host, node, init)
    // Every block must reach peers as one gossip message, not only by sync (docs/network.md §Block size).
    node.producer.limitBlockBytes(MAX_GOSSIP_BYTES)
    net.presence = new NodePresence(node, host, init.presence)
    await net.presence.start()
    await net.blocks.start()
    await net.blocksByCid.start()
    net.gossip.start()
    node.producer.on('block', net.onProduced)
    node.producer.on('equivocation', net.onTwin)
    net.sync.start()
    net.dialPeers()
    net.log.info({ peerId: host.peerId.toString(), addresses: net.addresses() }, 'p2p listening')
    return net
  }

  addresses(): string[] {
    return this.host.getMultiaddrs().map((m) => m.toString())
  }

  async stop(): Promise<void> {
    if (this.redial !== undefined) this.node.timers.clear(this.redial)
    this.node.producer.off('block', this.onProduced)
    this.node.producer.off('equivocation', this.onTwin)
    await this.presence?.stop()
    await this.sync.stop()
    this.gossip.stop()
    await this.blocks.stop()
    await this.blocksByCid.stop()
    await this.host.stop()
  }

  /** Dials every configured peer that is not connected, now and every few seconds (a restarted peer comes back). */
  private dialPeers(): void {
    const connected = new Set(this.host.getPeers().map((p) => p.toString()))
    for (const addr of this.init.peers ?? []) {
      const id = addr.split('/p2p/')[1]
      if (id && connected.has(id)) continue
      this.host.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) }).catch((err) => {
        this.log.debug({ err, addr }, 'p2p: peer not reachable yet')
      })
    }
    this.redial = this.node.timers.set(() => this.dialPeers(), 3000)
  }

  /** One block from the first connected peer that holds it (checked against its CID); STELE_NOT_FOUND when none. */
  fetchBlock(cid: CID, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return this.blocksByCid.fetchFromAny(this.host.getPeers(), cid, opts)
  }

  /** Fetches from connected peers every block of the DAG under `root` this node lacks; resolves with the count. */
  fetchDag(root: CID, opts: { signal?: AbortSignal } = {}): Promise<number> {
    return this.blocksByCid.fetchDag(root, this.node.storage, () => this.host.getPeers(), opts)
  }

  status(): NetworkStatus {
    const connected = new Set(this.host.getPeers().map((p) => p.toString()))
    const ids = new Set([...connected, ...this.sync.heads.keys()])
    return {
      peerId: this.host.peerId.toString(),
      addresses: this.addresses(),
      syncing: this.sync.syncing,
      reorgs: this.sync.reorgs,
      blocksFromPeers: this.sync.applied,
      peers: [...ids].sort().map((id) => {
        const head = this.sync.heads.get(id)
        return {
          id,
          connected: connected.has(id),
          ...(head ? { head: head.height, headHash: head.hash } : {}),
        }
      }),
    }
  }

  /** Batches this node accepted from a gateway, to every other node's mempool. */
  publishBatches(batches: readonly SubmittedBatch[], results: readonly SubmitResult[]): void {
    results.forEach((r, i) => {
      const b = batches[i]
      if (!b || r.status !== 'accepted') return
      this.publish({ kind: 'batch', bytes: encodeBatchGossip(b) })
    })
  }

  publishTx(bytes: Uint8Array): void {
    this.publish({ kind: 'transaction', bytes })
  }

  private publish(m: TxGossip): void {
    this.gossip.publishTx(m).catch((err) => this.log.debug({ err }, 'p2p: gossip publish failed'))
  }

  private readonly onProduced = (b: {
    header: { producer: Uint8Array; height: number; header: Uint8Array; signature: Uint8Array }
  }): void => {
    this.note(
      { header: b.header.header, signature: b.header.signature },
      b.header.height,
      toHex(b.header.producer),
    )
    if (!equalBytes(b.header.producer, this.node.identity.key.publicKey)) return
    this.recent
      .get(b.header.height)
      .then((bytes) => (bytes ? this.gossip.publishBlock(bytes) : 0))
      .catch((err) => this.log.debug({ err }, 'p2p: block publish failed'))
  }

  /** Test hook: publish the second block signed at a height, with the first one's transactions. */
  private readonly onTwin = (twin: { header: Uint8Array; signature: Uint8Array }): void => {
    const height = decodeBlockHeader(twin.header).height
    loadWireBlock(this.node.db, height)
      .then((bytes) => {
        if (!bytes) return 0
        const first = decodeWireBlock(bytes)
        return this.gossip.publishBlock(
          encodeWireBlock({
            header: twin.header,
            signature: twin.signature,
            txs: first.txs.map((x) => ({ tx: x.tx.bytes, records: x.records })),
          }),
        )
      })
      .catch((err) => this.log.debug({ err }, 'p2p: twin publish failed'))
  }

  private async admitGossip(m: TxGossip): Promise<GossipVerdict> {
    try {
      if (m.kind === 'batch') {
        const [r] = await this.node.ingest.submitBatches([decodeBatchGossip(m.bytes)])
        return r?.status === 'accepted' ? 'accept' : 'ignore'
      }
      const r = await this.node.submitTx(m.bytes, { gossip: false })
      return r.status === 'accepted' ? 'accept' : 'ignore'
    } catch (err) {
      if (err instanceof SteleError && NOT_NOW.has(err.code)) return 'ignore'
      throw err
    }
  }

  /** Gossip signed by a peer that is no chain node is rejected before any check of its content. */
  private async fromChainNode(
    from: GossipSource,
    check: () => GossipVerdict | Promise<GossipVerdict>,
  ): Promise<GossipVerdict> {
    return (await this.chainPeers.allowsGossip(from)) ? check() : 'reject'
  }

  /**
   * Cheap checks before a block is forwarded: decodes, signed by a producer of the tip's set; equivocation noted. A
   * block of a key that is no producer at the tip is dropped without penalty: it may be of a fork or of a height whose
   * registrations this node has not applied yet, and sync settles it.
   */
  private checkBlock(bytes: Uint8Array): GossipVerdict {
    const b = decodeWireBlock(bytes)
    const h = b.header
    const producer = toHex(h.producer)
    if (!this.node.index.producers.includes(producer)) return 'ignore'
    if (!verifyBlockSignature(h.header, h.signature, h.producer)) return 'reject'
    this.note({ header: h.header, signature: h.signature }, h.height, producer)
    const ours = this.node.index.hashAt(h.height)
    if (ours && equalBytes(ours, h.hash)) return 'ignore'
    this.checked.set(bytes, b)
    return 'accept'
  }

  private note(s: SignedHeaderBytes, height: number, producer: string): void {
    const key = `${height}:${producer}`
    const first = this.seen.get(key)
    if (!first) {
      this.seen.set(key, s)
      if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value as string)
      return
    }
    const evidence = detectEquivocation(first, s)
    if (!evidence || this.reported.has(key)) return
    this.reported.add(key)
    this.log.warn({ producer, height }, 'equivocation: one producer signed two blocks at one height')
    this.init.onEvidence?.(evidence)
  }

  /**
   * Record batches and registrations of a block that this node does not hold yet go through its own admission, in
   * block order. Consecutive batches go in one call: a block of a busy network carries a hundred or more, and one call
   * each waited its turn behind every gossiped batch in ingest's queue (seconds per block in the 3-node bench).
   */
  private async admitBlockTxs(b: WireBlock): Promise<void> {
    const hashes = b.txs.map((t) => toHex(t.tx.hash))
    const unknown = hashes.flatMap((h, i) => (this.node.mempool.has(h) ? [] : [i]))
    const stored = await getMany(
      this.node.db,
      unknown.map((i) => K.tx(hashes[i]!)),
    )
    let run: SubmittedBatch[] = []
    const flush = async (): Promise<void> => {
      if (run.length > 0) await this.node.ingest.submitBatches(run)
      run = []
    }
    for (const [j, i] of unknown.entries()) {
      if (stored[j]) continue
      const { tx, records } = b.txs[i]!
      if (tx.type === TX_TYPES.RECORD_BATCH) run.push({ tx: tx.bytes, records })
      else if (tx.type === TX_TYPES.GATEWAY_REGISTER) {
        await flush()
        await this.node.ingest.submitTx(tx.bytes)
      }
    }
    await flush()
  }
}
