/**
 * A presence client on the real network (docs/presence.md §10): a light libp2p host with a fresh random identity
 * (never the account key: the entry must not learn who the client is), DHT in client mode, dialling the nodes the
 * client was given; cells over the same protocol as the nodes. The node list comes from the chain (GET /v1/nodes):
 * a circuit only goes through nodes the chain lists.
 */
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { fromHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import type { ChainNode } from '../../core/node-list.ts'
import { PresenceClient, type PresenceClientInit } from '../../core/presence/client.ts'
import { presenceDhtKey, type SignedRegistration, selectPresence } from '../../core/presence/registration.ts'
import type { NodeInfo } from '../../core/presence/transport.ts'
import { realTimers, type Timers } from '../../core/timers.ts'
import { Libp2pCellTransport } from './cell-transport.ts'
import { createP2pHost, type P2pHost } from './host.ts'
import { peerIdOfKey } from './peer-key.ts'
import { DhtAnnouncer, presenceDhtRecords } from './presence-dht.ts'

export interface PresenceHostInit {
  chainId: string
  /** Multiaddrs with /p2p/<peer id> of nodes to dial first (from each node's GET /v1/health network.addresses). */
  peers: string[]
  timers?: Timers
  logger?: Logger
}

/** The client's libp2p side: its host, the cell transport and DHT lookups. */
export class PresenceHost {
  private constructor(
    readonly host: P2pHost,
    readonly transport: Libp2pCellTransport,
    private readonly timers: Timers,
  ) {}

  static async start(init: PresenceHostInit): Promise<PresenceHost> {
    const timers = init.timers ?? realTimers
    const host = await createP2pHost({
      key: new Uint8Array(randomBytes(32)),
      chainId: init.chainId,
      listen: [],
      dhtMode: 'client',
      ...(init.peers.length > 0 ? { bootstrap: init.peers } : {}),
      dhtRecords: presenceDhtRecords(timers),
    })
    const transport = new Libp2pCellTransport(
      { chainId: init.chainId, logger: init.logger ?? silentLogger },
      host,
    )
    await transport.start()
    const dialled = await Promise.allSettled(
      init.peers.map((a) => host.dial(multiaddr(a), { signal: AbortSignal.timeout(5000) })),
    )
    if (init.peers.length > 0 && dialled.every((d) => d.status === 'rejected')) {
      await host.stop()
      throw new SteleError(
        'STELE_UNAVAILABLE',
        `none of the ${init.peers.length} nodes given could be reached`,
      )
    }
    return new PresenceHost(host, transport, timers)
  }

  /** A presence client over this host; `nodes` is read at each circuit build. */
  client(
    init: Omit<PresenceClientInit, 'transport' | 'timers' | 'random'> & { timers?: Timers },
  ): PresenceClient {
    return new PresenceClient({
      timers: this.timers,
      random: (n) => new Uint8Array(randomBytes(n)),
      ...init,
      transport: this.transport,
    })
  }

  /** The client's current presence records found in the DHT, freshest first, each checked. */
  async lookup(clientKey: Uint8Array): Promise<SignedRegistration[]> {
    const records = await new DhtAnnouncer(this.host.services.dht).lookup(presenceDhtKey(clientKey))
    return selectPresence(records, clientKey, this.timers.now())
  }

  async stop(): Promise<void> {
    await this.transport.stop()
    await this.host.stop()
  }
}

/** Circuit nodes from a GET /v1/nodes answer. */
export function circuitNodes(nodes: readonly ChainNode[]): NodeInfo[] {
  return nodes.map((n) => ({
    id: fromHex(n.key, 'node key', 32),
    peer: n.peerId ?? peerIdOfKey(fromHex(n.key, 'node key', 32)).toString(),
  }))
}

/** The p2p addresses a node reports in GET /v1/health, with its peer id appended, for dialling. */
export async function p2pAddressesOf(url: string, signal?: AbortSignal): Promise<string[]> {
  const r = await fetch(`${url.replace(/\/+$/, '')}/v1/health`, {
    signal: signal ?? AbortSignal.timeout(3000),
  })
  const body = (await r.json()) as { network?: { peerId: string; addresses: string[] } }
  const net = body.network
  if (!net) return []
  return net.addresses.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${net.peerId}`))
}
