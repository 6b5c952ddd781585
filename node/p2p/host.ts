/**
 * The libp2p host of a node: TCP (or the in-memory transport in tests), Noise, Yamux, identify, ping, gossipsub,
 * Kademlia on the chain's own protocol, and bootstrap peers. Stele's protocols (gossip.ts, block-sync.ts) are
 * services started on top of it, so this file is only the stack and its options.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { type KadDHT, kadDHT, passthroughMapper, type SelectFn, type ValidateFn } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { SteleError } from '../../core/errors.ts'
import { p2pPrivateKey } from './peer-key.ts'
import { chainProtocols } from './protocols.ts'

export interface P2pServices {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  dht: KadDHT
  [key: string]: unknown
}

export type P2pHost = Libp2p<P2pServices>

export interface P2pHostInit {
  /** The node key file's 32-byte Ed25519 seed: the peer id is the ledger key. */
  key: Uint8Array
  chainId: string
  /** Multiaddrs to listen on: `/ip4/127.0.0.1/tcp/0`, or `/memory/<name>` with transport 'memory'. */
  listen: string[]
  /** Multiaddrs with `/p2p/<peer id>` of nodes to dial at start (and again while fewer peers are connected). */
  bootstrap?: string[]
  /** 'tcp' (default) or libp2p's in-process transport for tests. */
  transport?: 'tcp' | 'memory'
  /**
   * 'server' (default) answers DHT queries: nodes are the network's fixed infrastructure. 'client' only asks, for a
   * node behind NAT. Kademlia's own 'auto' would pick client on every loopback or LAN address.
   */
  dhtMode?: 'client' | 'server'
  /**
   * Which peers and addresses may connect at all. Nodes pass none: presence clients must reach them, so the chain's
   * own protocols are gated per protocol instead (peer-policy.ts).
   */
  connectionGater?: ConnectionGater
  /** Start listening before returning (default true). */
  start?: boolean
  /** DHT record validators and selectors by namespace (presence records: node/p2p/presence-dht.ts). */
  dhtRecords?: { validators: Record<string, ValidateFn>; selectors: Record<string, SelectFn> }
}

export async function createP2pHost(init: P2pHostInit): Promise<P2pHost> {
  const names = chainProtocols(init.chainId)
  try {
    return await createLibp2p<P2pServices>({
      privateKey: await p2pPrivateKey(init.key),
      start: init.start ?? true,
      addresses: { listen: init.listen },
      transports: [init.transport === 'memory' ? memory() : tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Bootstrap refuses an empty list; a first node has nobody to dial.
      peerDiscovery: init.bootstrap?.length ? [bootstrap({ list: init.bootstrap })] : [],
      ...(init.connectionGater ? { connectionGater: init.connectionGater } : {}),
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          // A lone node (testnet of one, all peers down) still produces and publishes: nobody hearing is not an error.
          allowPublishToZeroTopicPeers: true,
          // Nodes on one chain are few and all relay; peer exchange would hand out addresses nobody vetted.
          doPX: false,
        }),
        dht: kadDHT({
          protocol: names.kad,
          clientMode: init.dhtMode === 'client',
          // Nodes of a private chain often sit on loopback or a LAN; Kademlia's default drops those addresses.
          peerInfoMapper: passthroughMapper,
          ...init.dhtRecords,
        }),
      },
    })
  } catch (cause) {
    if (cause instanceof SteleError) throw cause
    throw new SteleError('STELE_CONFIG', `cannot start the p2p host: ${(cause as Error).message}`, { cause })
  }
}
