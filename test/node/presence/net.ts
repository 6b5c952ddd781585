import { createHash } from 'node:crypto'
import { toHex } from '../../../core/bytes.ts'
import { type KeyPair, keyPairFromSeed } from '../../../core/ed25519.ts'
import { PresenceClient, type PresenceClientInit } from '../../../core/presence/client.ts'
import type { NodeInfo } from '../../../core/presence/transport.ts'
import type { Timers } from '../../../core/timers.ts'
import type { EventSource } from '../../../node/presence/announcer.ts'
import { MemoryDht } from '../../../node/presence/memory-dht.ts'
import { MemoryNetwork } from '../../../node/presence/memory-network.ts'
import { type HopSight, Relay } from '../../../node/presence/relay.ts'
import { PresenceService } from '../../../node/presence/service.ts'
import type { ManualTimers } from '../../gateway/helpers/manual-timers.ts'
import { until } from '../../helpers/wait.ts'

/** Deterministic bytes: SHA-256 of a label and a counter, so every run builds the same circuits. */
export function seededRandom(label: string): (n: number) => Uint8Array {
  let i = 0
  return (n) => {
    const out = new Uint8Array(n)
    for (let at = 0; at < n; at += 32)
      out.set(
        createHash('sha256')
          .update(`${label}:${i++}`)
          .digest()
          .subarray(0, Math.min(32, n - at)),
        at,
      )
    return out
  }
}

export const keyOf = (label: string): KeyPair =>
  keyPairFromSeed(new Uint8Array(createHash('sha256').update(label).digest()))

export interface TestNode {
  index: number
  peer: string
  keys: KeyPair
  relay: Relay
  service: PresenceService
  sights: HopSight[]
  info: NodeInfo
}

export interface NetOptions {
  nodes?: number
  timers: Timers
  isKnownAccount?: (key: Uint8Array) => boolean
  events?: EventSource
  maxTtlMs?: number
}

/** N relay+presence nodes on one in-memory network with one in-memory DHT; nodes record what they see. */
export function presenceNet(o: NetOptions) {
  const net = new MemoryNetwork()
  const dht = new MemoryDht(o.timers)
  const byId = new Map<string, TestNode>()
  const nodes: TestNode[] = []
  const dead = new Set<string>()
  for (let i = 0; i < (o.nodes ?? 5); i++) {
    const keys = keyOf(`node-${i}`)
    const peer = `node-${i}`
    const transport = net.endpoint(peer)
    const sights: HopSight[] = []
    const service = new PresenceService({
      nodeId: keys.publicKey,
      isKnownAccount: o.isKnownAccount ?? (() => true),
      announcer: dht.announcer(),
      forward: async (node, env) =>
        dead.has(toHex(node)) ? false : (byId.get(toHex(node))?.service.deliver(env) ?? false),
      timers: o.timers,
      ...(o.events ? { events: o.events } : {}),
      ...(o.maxTtlMs ? { maxTtlMs: o.maxTtlMs } : {}),
    })
    const relay = new Relay({
      node: { seed: keys.secretKey, publicKey: keys.publicKey },
      transport,
      peerOf: (id) => byId.get(toHex(id))?.peer,
      random: seededRandom(`relay-${i}`),
      timers: o.timers,
      endpoint: service,
      see: (s) => sights.push(s),
    })
    const node = { index: i, peer, keys, relay, service, sights, info: { id: keys.publicKey, peer } }
    nodes.push(node)
    byId.set(toHex(keys.publicKey), node)
  }
  return {
    net,
    dht,
    nodes,
    /** The chain's node list: every node, dead or alive (the chain does not know who is up). */
    list: (): NodeInfo[] => nodes.map((n) => n.info),
    byId: (id: Uint8Array): TestNode => byId.get(toHex(id))!,
    /** Takes a node off the network for good, as kill -9 would. */
    kill(n: TestNode): void {
      net.kill(n.peer)
      n.service.stop()
      dead.add(toHex(n.keys.publicKey))
    },
    client(address: string, account: KeyPair, opts: Partial<PresenceClientInit> = {}): PresenceClient {
      return new PresenceClient({
        account,
        nodes: () => nodes.map((n) => n.info),
        transport: net.endpoint(address),
        timers: o.timers,
        random: seededRandom(`client-${address}`),
        ...opts,
      })
    },
  }
}

/** Fires the client's timers (backoff, build timeouts) until it is registered again. */
export async function rebuilt(timers: ManualTimers, client: PresenceClient): Promise<void> {
  await until(
    () => {
      if (client.state.state === 'registered') return true
      timers.fireNext()
      return false
    },
    { what: 're-registration' },
  )
}
