import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../../core/ed25519.ts'
import { SteleError } from '../../../core/errors.ts'
import { createP2pHost, type P2pHost } from '../../../node/p2p/host.ts'
import { keyOfPeerId, p2pPrivateKey, peerIdOfKey } from '../../../node/p2p/peer-key.ts'
import { chainProtocols } from '../../../node/p2p/protocols.ts'
import { CHAIN, connect, nodeKey, startHosts, stopHosts } from './hosts.ts'

let hosts: P2pHost[] = []
afterEach(async () => {
  await stopHosts(hosts)
  hosts = []
})

describe('peer identity', () => {
  it('is the ledger key: the peer id carries the node key file public key', async () => {
    const key = generateKeyPair(() => new Uint8Array(32).fill(7))
    const priv = await p2pPrivateKey(key.secretKey)
    expect(priv.publicKey.raw).toEqual(key.publicKey)
    const id = peerIdOfKey(key.publicKey)
    expect(keyOfPeerId(id)).toEqual(key.publicKey)
    expect(id.equals(peerIdOfKey(generateKeyPair(() => new Uint8Array(32).fill(8)).publicKey))).toBe(false)
  })

  it('refuses a seed of the wrong length', async () => {
    expect(() => p2pPrivateKey(new Uint8Array(31))).toThrow(/32/)
  })
})

describe('protocol names', () => {
  it('are per chain', () => {
    expect(chainProtocols('main')).toEqual({
      txTopic: '/stele/main/tx/1',
      blockTopic: '/stele/main/block/1',
      blocks: '/stele/main/blocks/1.0.0',
      blocksByCid: '/stele/main/blocks-by-cid/1.0.0',
      kad: '/stele/main/kad/1.0.0',
    })
  })

  it("refuse a chain id that would shift the path ('/', spaces)", () => {
    for (const id of ['a/b', 'a b', '', 'x'.repeat(65)]) expect(() => chainProtocols(id)).toThrow(SteleError)
  })
})

describe.each(['memory', 'tcp'] as const)('host over %s', (transport) => {
  it('connects, identifies, pings, and runs the chain DHT in server mode', async () => {
    hosts = await startHosts(2, transport)
    const [a, b] = hosts as [P2pHost, P2pHost]
    expect(a.peerId.equals(peerIdOfKey(nodeKey(0).publicKey))).toBe(true)
    await connect(a, b)
    const rtt = await a.services.ping.ping(b.peerId, { signal: AbortSignal.timeout(10_000) })
    expect(rtt).toBeGreaterThanOrEqual(0)
    // identify ran: a knows which protocols b speaks, the chain's Kademlia among them.
    const peer = await a.peerStore.get(b.peerId)
    expect(peer.protocols).toContain(chainProtocols(CHAIN).kad)
    expect(a.services.dht.getMode()).toBe('server')
  })
})

describe('DHT mode', () => {
  it("is 'client' when asked: the node asks the DHT but does not answer it", async () => {
    hosts = await startHosts(1, 'memory', () => ({ dhtMode: 'client' }))
    expect((hosts[0] as P2pHost).services.dht.getMode()).toBe('client')
  })
})

describe('bootstrap', () => {
  it('dials the listed peers at start', async () => {
    hosts = await startHosts(1, 'tcp')
    const seed = hosts[0] as P2pHost
    const joiner = await createP2pHost({
      key: nodeKey(5).secretKey,
      chainId: CHAIN,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: seed.getMultiaddrs().map((m) => m.toString()),
    })
    hosts.push(joiner)
    await expect.poll(() => joiner.getConnections(seed.peerId).length, { timeout: 15_000 }).toBeGreaterThan(0)
  })
})
