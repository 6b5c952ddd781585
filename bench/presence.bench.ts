// Presence circuits in memory (issue 17 phase 1): the time to build a three-hop circuit (three handshakes, the
// second and third through the hops before), relay cells per second through it (three XChaCha20-Poly1305 layers
// sealed by the client, one opened at each hop) beside the same 512-byte cells sent directly with no crypto, and
// signed messages per second from one client to another through both presence nodes (small, and 10 KiB in
// fragments); then the same circuit over
// libp2p (three relay hosts and a client host on TCP loopback, one process) beside cells on a direct libp2p stream.
//   node --import tsx bench/presence.bench.ts [--quick]
import '../core/polyfills.ts' // first: libp2p needs Promise.withResolvers on Node 20
import { randomBytes } from 'node:crypto'
import { keyPairFromSeed } from '../core/ed25519.ts'
import { CELL_SIZE, RELAY, RELAY_DATA_MAX } from '../core/presence/cell.ts'
import { ClientCircuits } from '../core/presence/circuit.ts'
import { PresenceClient } from '../core/presence/client.ts'
import { backgroundTimers } from '../core/timers.ts'
import { Libp2pCellTransport } from '../node/p2p/cell-transport.ts'
import { createP2pHost } from '../node/p2p/host.ts'
import { MemoryDht } from '../node/presence/memory-dht.ts'
import { MemoryNetwork } from '../node/presence/memory-network.ts'
import { Relay } from '../node/presence/relay.ts'
import { PresenceService } from '../node/presence/service.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const BUILDS = quick ? 30 : 200
const CELLS = quick ? 5_000 : 50_000
const MESSAGES = quick ? 300 : 3_000
const timers = backgroundTimers

const net = new MemoryNetwork()
const dht = new MemoryDht(timers)
const services = new Map<string, PresenceService>()
let relayed = 0
const nodes = Array.from({ length: 5 }, (_, i) => {
  const keys = keyPairFromSeed(randomBytes(32))
  const peer = `node-${i}`
  const service = new PresenceService({
    nodeId: keys.publicKey,
    isKnownAccount: () => true,
    announcer: dht.announcer(),
    forward: async (id, env) => services.get(Buffer.from(id).toString('hex'))?.deliver(env) ?? false,
    timers,
  })
  services.set(Buffer.from(keys.publicKey).toString('hex'), service)
  new Relay({
    node: { seed: keys.secretKey, publicKey: keys.publicKey },
    transport: net.endpoint(peer),
    peerOf: (id) => `node-${byKey.get(Buffer.from(id).toString('hex'))}`,
    random: randomBytes,
    timers,
    endpoint: {
      onRelay: (c, cmd, data) =>
        cmd === RELAY.SEND && data.length === RELAY_DATA_MAX ? relayed++ : service.onRelay(c, cmd, data),
      onClose: (c) => service.onClose(c),
    },
  })
  return { keys, peer, info: { id: keys.publicKey, peer } }
})
const byKey = new Map(nodes.map((n, i) => [Buffer.from(n.keys.publicKey).toString('hex'), i]))
const path = [nodes[0]!.info, nodes[1]!.info, nodes[2]!.info]

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// 1. Set-up time.
const circuits = new ClientCircuits(net.endpoint('client'), { timers, random: randomBytes })
const setup: number[] = []
for (let i = 0; i < BUILDS; i++) {
  const t0 = performance.now()
  const c = await circuits.build(path)
  setup.push(performance.now() - t0)
  c.destroy(0)
}

// 2. Cells through the circuit, each carrying the most data a relay cell holds.
const c = await circuits.build(path)
const data = randomBytes(RELAY_DATA_MAX)
const until = (done: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    const check = (): void => (done() ? resolve() : void setImmediate(check))
    check()
  })
let t0 = performance.now()
for (let i = 0; i < CELLS; i++) {
  c.send(RELAY.SEND, data)
  if (i % 1000 === 999) await until(() => relayed > i - 1000) // bounded in flight, as a real link would be
}
await until(() => relayed === CELLS)
const circuitRate = CELLS / ((performance.now() - t0) / 1000)

// The same cells sent directly, no crypto.
let direct = 0
net.endpoint('sink').onMessage(() => direct++)
const src = net.endpoint('source')
const cell = randomBytes(CELL_SIZE)
t0 = performance.now()
for (let i = 0; i < CELLS; i++) {
  src.send('sink', cell)
  if (i % 1000 === 999) await until(() => direct > i - 1000)
}
await until(() => direct === CELLS)
const directRate = CELLS / ((performance.now() - t0) / 1000)

// 3. Signed messages between two registered clients, one at a time (each waits for its SEND_RESULT).
const alice = keyPairFromSeed(randomBytes(32))
const bob = keyPairFromSeed(randomBytes(32))
let received = 0
const client = (name: string, account: typeof alice, list: typeof path) =>
  new PresenceClient({
    account,
    nodes: () => list,
    transport: net.endpoint(name),
    timers,
    random: randomBytes,
    onMessage: () => received++,
  })
const a = client('alice', alice, [nodes[0]!.info, nodes[1]!.info, nodes[2]!.info])
const b = client('bob', bob, [nodes[3]!.info, nodes[4]!.info, nodes[0]!.info])
a.start()
b.start()
await until(() => a.state.state === 'registered' && b.state.state === 'registered')
const msg = new TextEncoder().encode('{"temp":21.5}')
t0 = performance.now()
for (let i = 0; i < MESSAGES; i++) await a.send(bob.publicKey, msg)
await until(() => received === MESSAGES)
const messageRate = MESSAGES / ((performance.now() - t0) / 1000)
// 10 KiB messages: 24 FRAGMENT cells up alice's circuit and 24 down bob's, joined at each far end.
const BIG = quick ? 30 : 300
const big = randomBytes(10 * 1024)
received = 0
t0 = performance.now()
for (let i = 0; i < BIG; i++) await a.send(bob.publicKey, big)
await until(() => received === BIG)
const bigRate = BIG / ((performance.now() - t0) / 1000)
a.stop()
b.stop()

// 4. Over libp2p on TCP loopback, in-process hosts: three relays and a client host, cells on the cells protocol.
const CHAIN = 'bench-presence'
const p2pNodes = await Promise.all(
  Array.from({ length: 3 }, async () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const host = await createP2pHost({
      key: keys.secretKey,
      chainId: CHAIN,
      listen: ['/ip4/127.0.0.1/tcp/0'],
    })
    const transport = new Libp2pCellTransport({ chainId: CHAIN }, host)
    await transport.start()
    return { keys, host, transport, info: { id: keys.publicKey, peer: host.peerId.toString() } }
  }),
)
let p2pRelayed = 0
const peerByKey = new Map(p2pNodes.map((n) => [Buffer.from(n.keys.publicKey).toString('hex'), n.info.peer]))
for (const n of p2pNodes)
  new Relay({
    node: { seed: n.keys.secretKey, publicKey: n.keys.publicKey },
    transport: n.transport,
    peerOf: (id) => peerByKey.get(Buffer.from(id).toString('hex')),
    random: randomBytes,
    timers,
    endpoint: {
      onRelay: (_c, cmd, d) => {
        if (cmd === RELAY.SEND && d.length === RELAY_DATA_MAX) p2pRelayed++
      },
      onClose: () => {},
    },
  })
for (const a of p2pNodes) for (const b of p2pNodes) if (a !== b) await a.host.dial(b.host.getMultiaddrs()[0]!)
const clientHost = await createP2pHost({
  key: new Uint8Array(randomBytes(32)),
  chainId: CHAIN,
  listen: ['/ip4/127.0.0.1/tcp/0'],
})
const clientTransport = new Libp2pCellTransport({ chainId: CHAIN }, clientHost)
await clientTransport.start()
await clientHost.dial(p2pNodes[0]!.host.getMultiaddrs()[0]!)
const p2pCircuits = new ClientCircuits(clientTransport, { timers, random: randomBytes })
const p2pPath = p2pNodes.map((n) => n.info)
const p2pSetup: number[] = []
for (let i = 0; i < BUILDS; i++) {
  const t = performance.now()
  const pc = await p2pCircuits.build(p2pPath)
  p2pSetup.push(performance.now() - t)
  pc.destroy(0)
}
const pc = await p2pCircuits.build(p2pPath)
t0 = performance.now()
for (let i = 0; i < CELLS; i++) {
  pc.send(RELAY.SEND, data)
  if (i % 1000 === 999) await until(() => p2pRelayed > i - 1000)
}
await until(() => p2pRelayed === CELLS)
const p2pCircuitRate = CELLS / ((performance.now() - t0) / 1000)

// The same cells on a direct stream from the client host to the entry, no crypto.
let p2pDirect = 0
p2pNodes[0]!.transport.onMessage((_peer, cell) => {
  if (cell[4] === 0xff) p2pDirect++ // command byte 0xff: no circuit command, the relay ignores it
})
const raw = new Uint8Array(CELL_SIZE)
raw[3] = 1
raw[4] = 0xff
t0 = performance.now()
for (let i = 0; i < CELLS; i++) {
  clientTransport.send(p2pNodes[0]!.info.peer, raw)
  if (i % 1000 === 999) await until(() => p2pDirect > i - 1000)
}
await until(() => p2pDirect === CELLS)
const p2pDirectRate = CELLS / ((performance.now() - t0) / 1000)
await clientTransport.stop()
await clientHost.stop()
for (const n of p2pNodes) {
  await n.transport.stop()
  await n.host.stop()
}

const rows: Row[] = [
  {
    benchmark: 'presence: 3-hop circuit set-up, in memory',
    unit: 'ms, median',
    stele: median(setup),
    ceiling: null,
    target: 'informational; phase 2: beside a libp2p dial',
    na: 'no same-run peer in memory',
  },
  {
    benchmark: 'presence: relay cells through a 3-hop circuit',
    unit: 'cells/s',
    stele: circuitRate,
    ceiling: directRate,
    peer: 'direct, no crypto',
    target: 'informational; phase 2: beside a direct libp2p stream',
  },
  {
    benchmark: 'presence: 3-hop circuit set-up over libp2p (TCP loopback, in-process hosts)',
    unit: 'ms, median',
    stele: median(p2pSetup),
    ceiling: null,
    target: 'informational',
    na: 'no same-run peer',
  },
  {
    benchmark: 'presence: relay cells through a 3-hop circuit over libp2p (TCP loopback)',
    unit: 'cells/s',
    stele: p2pCircuitRate,
    ceiling: p2pDirectRate,
    peer: 'direct libp2p stream, one hop, no crypto',
    target: 'informational',
  },
  {
    benchmark: 'presence: signed messages client → presence → presence → client, one at a time',
    unit: 'messages/s',
    stele: messageRate,
    ceiling: null,
    target: 'informational',
    na: 'no same-run peer',
  },
  {
    benchmark: 'presence: 10 KiB messages (24 fragments each way), one at a time',
    unit: 'messages/s',
    stele: bigRate,
    ceiling: null,
    target: 'informational',
    na: 'no same-run peer',
  },
]
printTable('presence (in-memory network, one process)', rows)
