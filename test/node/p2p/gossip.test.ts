import type { PeerId } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { SteleError } from '../../../core/errors.ts'
import { GossipService, type GossipVerdict } from '../../../node/p2p/gossip.ts'
import { decodeTxGossip, encodeTxGossip, type TxGossip } from '../../../node/p2p/gossip-codec.ts'
import type { P2pHost } from '../../../node/p2p/host.ts'
import { peerIdOfKey } from '../../../node/p2p/peer-key.ts'
import { until } from '../../helpers/wait.ts'
import { CHAIN, connect, nodeKey, startHosts, stopHosts } from './hosts.ts'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

interface Node {
  host: P2pHost
  gossip: GossipService
  txs: string[]
  blocks: string[]
  /** Every message this node's validator was asked about, bad or good. */
  seen: string[]
  relayedBy: PeerId[]
}

let hosts: P2pHost[] = []
let services: GossipService[] = []
afterEach(async () => {
  for (const s of services) s.stop()
  await stopHosts(hosts)
  hosts = []
  services = []
})

// Anything starting with "bad" is refused, as a node refuses a transaction whose signature fails.
const verdict = (data: string): GossipVerdict => (data.startsWith('bad') ? 'reject' : 'accept')

async function network(n: number, transport: 'tcp' | 'memory', links: [number, number][]): Promise<Node[]> {
  // A line topology must stay a line: no peer may dial past its neighbour (through the DHT, say).
  const allowed = (i: number, peer: PeerId) =>
    links.some(
      ([a, b]) =>
        (a === i && peerIdOfKey(nodeKey(b).publicKey).equals(peer)) ||
        (b === i && peerIdOfKey(nodeKey(a).publicKey).equals(peer)),
    )
  hosts = await startHosts(n, transport, (i) => ({
    connectionGater: {
      denyDialPeer: (peer) => !allowed(i, peer),
      denyInboundEncryptedConnection: (peer) => !allowed(i, peer),
    },
  }))
  const nodes = hosts.map((host): Node => {
    const node: Node = { host, txs: [], blocks: [], seen: [], relayedBy: [] } as unknown as Node
    node.gossip = new GossipService(
      {
        chainId: CHAIN,
        validateTx: (m) => {
          node.seen.push(dec(m.bytes))
          return verdict(dec(m.bytes))
        },
        validateBlock: (b) => {
          node.seen.push(dec(b))
          if (dec(b) === 'throws') throw new Error('validator bug')
          return verdict(dec(b))
        },
        onTx: (m, from) => {
          node.txs.push(`${m.kind}:${dec(m.bytes)}`)
          node.relayedBy.push(from.peer)
        },
        onBlock: (b) => node.blocks.push(dec(b)),
      },
      { pubsub: host.services.pubsub },
    )
    node.gossip.start()
    services.push(node.gossip)
    return node
  })
  for (const [a, b] of links) await connect(hosts[a] as P2pHost, hosts[b] as P2pHost)
  // Forwarding needs each link in the topic mesh, which gossipsub builds on its heartbeat.
  await until(
    () =>
      links.every(([a, b]) =>
        [nodes[a] as Node, nodes[b] as Node].every((x) =>
          [x.gossip.txTopic, x.gossip.blockTopic].every(
            (t) => x.host.services.pubsub.getSubscribers(t).length > 0,
          ),
        ),
      ) &&
      nodes.every((x) =>
        [x.gossip.txTopic, x.gossip.blockTopic].every(
          (t) =>
            (x.host.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(t)
              .length > 0,
        ),
      ),
    { what: 'gossip meshes on every link', timeoutMs: 15_000 },
  )
  return nodes
}

describe('tx gossip codec', () => {
  it('round-trips a transaction and a batch', () => {
    for (const m of [
      { kind: 'transaction', bytes: enc('t') },
      { kind: 'batch', bytes: enc('bb') },
    ] as TxGossip[])
      expect(decodeTxGossip(encodeTxGossip(m))).toEqual(m)
    expect(encodeTxGossip({ kind: 'batch', bytes: enc('x') })[0]).toBe(2)
  })

  it('refuses an unknown kind, an empty item and an oversized one', () => {
    expect(() => decodeTxGossip(Uint8Array.of(3, 1))).toThrow(SteleError)
    expect(() => decodeTxGossip(Uint8Array.of(1))).toThrow(SteleError)
    expect(() => encodeTxGossip({ kind: 'transaction', bytes: new Uint8Array(0) })).toThrow(SteleError)
    expect(() => encodeTxGossip({ kind: 'transaction', bytes: new Uint8Array(1 << 20) })).toThrow(SteleError)
  })
})

describe.each(['memory', 'tcp'] as const)('gossip over %s', (transport) => {
  it('reaches every node of a line of three, through the middle one', async () => {
    const [a, b, c] = (await network(3, transport, [
      [0, 1],
      [1, 2],
    ])) as [Node, Node, Node]
    await a.gossip.publishTx({ kind: 'batch', bytes: enc('batch-1') })
    await c.gossip.publishBlock(enc('block-1'))
    await until(
      () => c.txs.length === 1 && a.blocks.length === 1 && b.txs.length === 1 && b.blocks.length === 1,
      {
        what: 'gossip at every node',
      },
    )
    expect(c.txs).toEqual(['batch:batch-1'])
    // c heard it from b: a and c are not connected.
    expect(c.relayedBy[0]?.equals(b.host.peerId)).toBe(true)
    expect(a.host.getConnections(c.host.peerId)).toHaveLength(0)
    expect(a.blocks).toEqual(['block-1'])
  })

  it('does not deliver or forward a message its validator refuses', async () => {
    const [a, b, c] = (await network(3, transport, [
      [0, 1],
      [1, 2],
    ])) as [Node, Node, Node]
    await a.gossip.publishTx({ kind: 'transaction', bytes: enc('bad-1') })
    await a.gossip.publishBlock(enc('throws'))
    await a.gossip.publishTx({ kind: 'transaction', bytes: enc('good-1') })
    // The good one went the same way after the bad ones; once c has it, a forwarded bad one would have arrived.
    await until(() => c.txs.length === 1, { what: 'the good transaction at c' })
    expect(b.seen).toEqual(expect.arrayContaining(['bad-1', 'throws', 'good-1']))
    expect(b.txs).toEqual(['transaction:good-1'])
    expect(b.blocks).toEqual([])
    expect(c.seen).toEqual(['good-1'])
    expect(c.txs).toEqual(['transaction:good-1'])
  })
})

describe('gossip service', () => {
  it('honours an aborted signal and refuses to publish when stopped', async () => {
    const [a] = (await network(2, 'memory', [[0, 1]])) as [Node, Node]
    const ctl = new AbortController()
    ctl.abort(new Error('gone'))
    await expect(
      a.gossip.publishTx({ kind: 'batch', bytes: enc('x') }, { signal: ctl.signal }),
    ).rejects.toThrow('gone')
    a.gossip.stop()
    await expect(a.gossip.publishBlock(enc('x'))).rejects.toMatchObject({ code: 'STELE_UNAVAILABLE' })
    expect(a.host.services.pubsub.getTopics()).toEqual([])
    expect(a.host.services.pubsub.topicValidators.size).toBe(0)
  })
})
