/**
 * Which peers may speak the chain's own protocols. Anyone may connect to a node (presence clients open circuits
 * through it), but block-range sync, blocks by CID and gossip are between chain nodes only: genesis producers and
 * keys registered by a node-register transaction in the node's committed state. A peer's id is its Ed25519 ledger key
 * (peer-key.ts), so the check needs no handshake. This is the one place that decides it: network.ts wraps the
 * stream handlers it registers (gated) and the gossip validators (allowsGossip) with it.
 */
import type { Libp2p, PeerId, StreamHandler } from '@libp2p/interface'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { Logger } from '../../core/logger.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import type { ChainIndex } from '../chain/chain-index.ts'
import type { ChainState } from '../chain/state.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { GossipSource } from './gossip.ts'
import { keyOfPeerId } from './peer-key.ts'

export interface PeerPolicyComponents {
  genesis: Genesis
  index: ChainIndex
  state: ChainState
  ledger: Ledger | undefined
  logger: Logger
}

/** What a protocol service registers its handlers on (BlockSyncComponents, BlocksByCidComponents). */
export type HandlerHost = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>

export class ChainPeers {
  private readonly genesis: ReadonlySet<string>
  /** Verdicts by key, valid while the tip is `cachedTip`: a new block may register or deregister a node. */
  private readonly cache = new Map<string, boolean>()
  private cachedTip = ''
  /** Inbound streams and gossip messages refused since start (a peer that is no chain node). */
  readonly refused = { streams: 0, gossip: 0 }

  constructor(private readonly c: PeerPolicyComponents) {
    this.genesis = new Set(c.genesis.producers.map(toHex))
  }

  /** Whether `peer` is a chain node: a genesis producer, a producer now, or a key the committed state registers. */
  async isChainNode(peer: PeerId): Promise<boolean> {
    const key = keyOfPeerId(peer)
    if (!key) return false
    const hex = toHex(key)
    if (this.genesis.has(hex) || this.c.index.producers.includes(hex)) return true
    if (!this.c.ledger) return false
    const tip = this.c.state.tip.hash
    if (tip !== this.cachedTip) {
      this.cache.clear()
      this.cachedTip = tip
    }
    const hit = this.cache.get(hex)
    if (hit !== undefined) return hit
    const registered = (await this.c.ledger.map.get(stateKey(STATE_NS.NODE, key))) !== undefined
    if (this.cache.size > 4096) this.cache.clear()
    this.cache.set(hex, registered)
    return registered
  }

  /**
   * Gossip is accepted only when the node that signed it (its author: gossip is signed with the peer key, and
   * gossipsub checks the signature before any validator) is a chain node. The peer that relayed it is not judged:
   * gossipsub marks a message seen before its validator runs, so refusing a chain node's message because an outsider
   * relayed it first would lose it for this node; and an outsider can relay only what chain nodes signed.
   */
  async allowsGossip(from: GossipSource): Promise<boolean> {
    const ok = from.author !== undefined && (await this.isChainNode(from.author))
    if (!ok) this.refused.gossip++
    return ok
  }

  /**
   * `host` for one protocol service: the handlers it registers refuse a stream from a peer that is not a chain node
   * (the stream is aborted before the service reads a byte). Dialling out is unchanged.
   */
  gated(host: HandlerHost): HandlerHost {
    const wrap =
      (protocol: string, handler: StreamHandler): StreamHandler =>
      async (stream, connection) => {
        if (await this.isChainNode(connection.remotePeer)) return handler(stream, connection)
        this.refused.streams++
        this.c.logger.debug(
          { peer: connection.remotePeer.toString(), protocol },
          'p2p: not a chain node; refused',
        )
        stream.abort(new SteleError('STELE_NOT_AUTHORIZED', `${protocol} is for the chain's nodes only`))
      }
    return {
      handle: (protocols, handler, opts) => host.handle(protocols, wrap(String(protocols), handler), opts),
      unhandle: (protocols, opts) => host.unhandle(protocols, opts),
      dialProtocol: (peer, protocols, opts) => host.dialProtocol(peer, protocols, opts),
    }
  }
}
