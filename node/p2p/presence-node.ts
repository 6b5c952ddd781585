/**
 * Presence inside a node on the network (docs/presence.md §10): the relay and the presence service over the cells
 * protocol, registrations announced in the DHT, messages between presence nodes over `/stele/<chainId>/presence/
 * 1.0.0`, and forwarded subscriptions read from the node's stream hub. Started and stopped with the network.
 */
import { randomBytes } from 'node:crypto'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { toHex } from '../../core/bytes.ts'
import { ENVELOPE_MAX } from '../../core/presence/envelope.ts'
import { Relay } from '../presence/relay.ts'
import { SEE_LOG_ENV, seeLog } from '../presence/see-log.ts'
import { PresenceService } from '../presence/service.ts'
import { Libp2pCellTransport } from './cell-transport.ts'
import type { PresenceComponents } from './components.ts'
import type { P2pHost } from './host.ts'
import { peerIdOfKey } from './peer-key.ts'
import { DhtAnnouncer } from './presence-dht.ts'
import { hubEventSource } from './presence-events.ts'

export const presenceProtocol = (chainId: string): string => `/stele/${chainId}/presence/1.0.0`

export interface NodePresenceInit {
  /** The longest registration this node accepts (default 10 minutes). */
  maxTtlMs?: number
  /** Test hook: the file the relay logs every cell it sees to (default: $STELE_TEST_SEE_LOG; unset, none). */
  seeLogFile?: string
}

const OK = 1
const NO = 0

export class NodePresence {
  readonly transport: Libp2pCellTransport
  readonly relay: Relay
  readonly service: PresenceService
  private readonly protocol: string

  constructor(
    private readonly node: PresenceComponents,
    private readonly host: P2pHost,
    init: NodePresenceInit = {},
  ) {
    const chainId = node.genesis.chainId
    const log = node.logger
    this.protocol = presenceProtocol(chainId)
    this.transport = new Libp2pCellTransport({ chainId, logger: log }, host)
    this.service = new PresenceService({
      nodeId: node.identity.key.publicKey,
      isKnownAccount: (key) => isKnownAccount(node, key),
      announcer: new DhtAnnouncer(host.services.dht, { logger: log }),
      forward: (presenceNode, envelope) => this.forward(presenceNode, envelope),
      events: hubEventSource(node.stream),
      timers: node.timers,
      ...(init.maxTtlMs ? { maxTtlMs: init.maxTtlMs } : {}),
      logger: log,
    })
    const seeFile = init.seeLogFile ?? process.env[SEE_LOG_ENV]
    this.relay = new Relay({
      node: { seed: node.identity.key.secretKey, publicKey: node.identity.key.publicKey },
      transport: this.transport,
      peerOf: (id) => (isChainNode(node, id) ? peerIdOfKey(id).toString() : undefined),
      random: (n) => new Uint8Array(randomBytes(n)),
      timers: node.timers,
      endpoint: this.service,
      logger: log,
      ...(seeFile ? { see: seeLog(seeFile, (peer) => addressesOf(host, peer)) } : {}),
    })
  }

  async start(): Promise<void> {
    await this.transport.start()
    await this.host.handle(this.protocol, (stream) => this.serve(stream), { maxInboundStreams: 32 })
  }

  async stop(): Promise<void> {
    await this.host.unhandle(this.protocol)
    this.relay.stop()
    this.service.stop()
    await this.transport.stop()
  }

  /** Hands a message to another presence node; true once it went down its client's circuit. */
  private async forward(presenceNode: Uint8Array, envelope: Uint8Array): Promise<boolean> {
    if (!isChainNode(this.node, presenceNode)) return false
    const signal = AbortSignal.timeout(5000)
    const stream = await this.host.dialProtocol(peerIdOfKey(presenceNode), this.protocol, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: ENVELOPE_MAX })
      await lp.write(envelope, { signal })
      const answer = (await lp.read({ signal })).subarray()
      await stream.close({ signal })
      return answer[0] === OK
    } catch (err) {
      stream.abort(err as Error)
      return false
    }
  }

  private async serve(stream: Stream): Promise<void> {
    const signal = AbortSignal.timeout(5000)
    try {
      const lp = lpStream(stream, { maxDataLength: ENVELOPE_MAX })
      const envelope = new Uint8Array((await lp.read({ signal })).subarray())
      await lp.write(Uint8Array.of(this.service.deliver(envelope) ? OK : NO), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }
}

/** A genesis producer or a key a node-register transaction named: the only nodes a circuit may extend to. */
function isChainNode(node: PresenceComponents, id: Uint8Array): boolean {
  const hex = toHex(id)
  return node.index.producers.includes(hex) || node.applied.knownNodes.has(hex)
}

/**
 * A key the chain knows: an account with a balance or a role in the ledger state, or a node of the chain. A key
 * that never held anything cannot register, so presence costs an account, not a fresh key per registration.
 */
export async function isKnownAccount(node: PresenceComponents, key: Uint8Array): Promise<boolean> {
  if (isChainNode(node, key)) return true
  if (!node.ledger) return false
  const a = await node.ledger.account(key)
  return a.balance > 0n || a.roles !== 0
}

/** The remote addresses of the connections to `peer` (for the see log). */
function addressesOf(host: P2pHost, peer: string): string[] {
  try {
    return host.getConnections(peerIdFromString(peer)).map((c) => c.remoteAddr.toString())
  } catch {
    return []
  }
}
