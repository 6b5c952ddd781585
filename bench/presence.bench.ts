// Presence circuits in memory (issue 17 phase 1): the time to build a three-hop circuit (three handshakes, the
// second and third through the hops before), relay cells per second through it (three XChaCha20-Poly1305 layers
// sealed by the client, one opened at each hop) beside the same 512-byte cells sent directly with no crypto, and
// signed messages per second from one client to another through both presence nodes. Phase 2 puts a direct libp2p
// stream beside these.
//   node --import tsx bench/presence.bench.ts [--quick]
import { randomBytes } from 'node:crypto'
import { keyPairFromSeed } from '../core/ed25519.ts'
import { CELL_SIZE, RELAY, RELAY_DATA_MAX } from '../core/presence/cell.ts'
import { ClientCircuits } from '../core/presence/circuit.ts'
import { PresenceClient } from '../core/presence/client.ts'
import { backgroundTimers } from '../core/timers.ts'
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
a.stop()
b.stop()

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
    benchmark: 'presence: signed messages client → presence → presence → client, one at a time',
    unit: 'messages/s',
    stele: messageRate,
    ceiling: null,
    target: 'informational',
    na: 'no same-run peer',
  },
]
printTable('presence (in-memory network, one process)', rows)
