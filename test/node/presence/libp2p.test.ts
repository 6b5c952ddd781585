import { createServer, type Server } from 'node:http'
import { lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { toHex, utf8 } from '../../../core/bytes.ts'
import { NodeList } from '../../../core/node-list.ts'
import { CELL_SIZE, RELAY } from '../../../core/presence/cell.ts'
import { ClientCircuits } from '../../../core/presence/circuit.ts'
import { presenceDhtKey, signRegistration } from '../../../core/presence/registration.ts'
import { realTimers } from '../../../core/timers.ts'
import { cellsProtocol, Libp2pCellTransport } from '../../../node/p2p/cell-transport.ts'
import type { P2pHost } from '../../../node/p2p/host.ts'
import { PRESENCE_NAMESPACE, presenceDhtRecords, presenceRecordKey } from '../../../node/p2p/presence-dht.ts'
import { Relay } from '../../../node/presence/relay.ts'
import { until } from '../../helpers/wait.ts'
import { CHAIN, connect, nodeKey, startHosts, stopHosts } from '../p2p/hosts.ts'
import { keyOf, seededRandom } from './net.ts'

describe('presence over libp2p (in-memory hosts)', () => {
  let hosts: P2pHost[] = []
  afterEach(async () => {
    await stopHosts(hosts)
    hosts = []
  })

  it('a three-hop circuit over the cells protocol carries relay commands both ways; a stopped hop closes it', async () => {
    hosts = await startHosts(4, 'memory') // hosts 0-2 relay, host 3 is the client
    const transports = hosts.map((h) => new Libp2pCellTransport({ chainId: CHAIN }, h))
    for (const t of transports) await t.start()
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 4; j++) await connect(hosts[i]!, hosts[j]!)
    const ends: { command: number; data: string }[] = []
    const info = [0, 1, 2].map((i) => ({ id: nodeKey(i).publicKey, peer: hosts[i]!.peerId.toString() }))
    for (let i = 0; i < 3; i++)
      new Relay({
        node: { seed: nodeKey(i).secretKey, publicKey: nodeKey(i).publicKey },
        transport: transports[i]!,
        peerOf: (id) => info.find((n) => toHex(n.id) === toHex(id))?.peer,
        random: seededRandom(`relay-${i}`),
        timers: realTimers,
        endpoint: {
          onRelay: (c, command, data) => {
            ends.push({ command, data: new TextDecoder().decode(data) })
            c.send(RELAY.EVENT, utf8('back'))
          },
          onClose: () => {},
        },
      })
    const circuits = new ClientCircuits(transports[3]!, {
      timers: realTimers,
      random: seededRandom('client'),
    })
    const c = await circuits.build(info)
    const back: string[] = []
    let closed = -1
    c.handlers = {
      onRelay: (_cmd, data) => back.push(new TextDecoder().decode(data)),
      onClose: (reason) => {
        closed = reason
      },
    }
    c.send(RELAY.SUBSCRIBE, utf8('hello'))
    await until(() => back.length === 1, { what: 'the answer down the circuit' })
    expect(ends).toEqual([{ command: RELAY.SUBSCRIBE, data: 'hello' }])
    expect(back).toEqual(['back'])
    await hosts[1]!.stop() // the middle goes: the entry hears its link close and tears the circuit down
    await until(() => closed >= 0, { what: 'the circuit torn down' })
    expect(c.isOpen).toBe(false)
  }, 30_000)

  it('a frame that is not a 512-byte cell closes the link', async () => {
    hosts = await startHosts(2, 'memory')
    const t = new Libp2pCellTransport({ chainId: CHAIN }, hosts[0]!)
    await t.start()
    const got: Uint8Array[] = []
    const closed: string[] = []
    t.onMessage((_p, cell) => got.push(cell))
    t.onPeerClosed((p) => closed.push(p))
    await connect(hosts[1]!, hosts[0]!)
    const stream = await hosts[1]!.dialProtocol(hosts[0]!.peerId, cellsProtocol(CHAIN))
    const lp = lpStream(stream)
    await lp.write(new Uint8Array(CELL_SIZE).fill(1))
    await lp.write(new Uint8Array(100))
    await until(() => closed.length === 1, { what: 'the link closed' })
    expect(got).toHaveLength(1)
    expect(closed).toEqual([hosts[1]!.peerId.toString()])
  }, 20_000)
})

describe('presence DHT records', () => {
  const client = keyOf('dht-client')
  const now = 1_800_000_000_000
  const records = presenceDhtRecords({ now: () => now })
  const validate = records.validators[PRESENCE_NAMESPACE]!
  const select = records.selectors[PRESENCE_NAMESPACE]!
  const reg = (expiry: number, nonce = 1) =>
    signRegistration(
      {
        clientKey: client.publicKey,
        presenceNode: nodeKey(0).publicKey,
        expiry,
        nonce: new Uint8Array(16).fill(nonce),
      },
      client.secretKey,
    ).bytes
  const key = presenceRecordKey(presenceDhtKey(client.publicKey))

  it('keys records by the hash of the client key under the stele-presence namespace', () => {
    expect(new TextDecoder().decode(key)).toBe(`/stele-presence/${toHex(presenceDhtKey(client.publicKey))}`)
  })

  it('accepts a signed, current record for its key; refuses expired, forged, misplaced and garbled ones', async () => {
    await expect(Promise.resolve(validate(key, reg(now + 1000)))).resolves.toBeUndefined()
    expect(() => validate(key, reg(now))).toThrow(/expired/)
    const forged = reg(now + 1000)
    forged[forged.length - 1]! ^= 1
    expect(() => validate(key, forged)).toThrow(/signature/)
    const other = presenceRecordKey(presenceDhtKey(keyOf('someone-else').publicKey))
    expect(() => validate(other, reg(now + 1000))).toThrow(/not for this key/)
    expect(() => validate(key, new Uint8Array(10))).toThrow(/decode/)
  })

  it('selects the record with the latest expiry; an invalid one never wins', async () => {
    const forged = reg(now + 9000, 3)
    forged[forged.length - 1]! ^= 1
    expect(await select(key, [reg(now + 1000), reg(now + 5000, 2), forged])).toBe(1)
  })
})

describe('the node list', () => {
  let servers: Server[] = []
  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    servers = []
  })

  /** A node's GET /v1/nodes: the chain's list as it knows it, itself marked. */
  async function node(self: string, listed: string[], endpoints: { [k: string]: string[] } = {}) {
    const s = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          nodes: listed.map((key) => ({ key, self: key === self, endpoints: endpoints[key] ?? [] })),
        }),
      )
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    servers.push(s)
    return `http://127.0.0.1:${(s.address() as { port: number }).port}`
  }

  it('merges every node list, adds published endpoints, drops addresses of unlisted nodes, fails over', async () => {
    const c = await node('cc', ['aa', 'bb', 'cc'])
    const b = await node('bb', ['aa', 'bb', 'cc'], { cc: [c] }) // hides nothing: c is published by its registration
    const rogue = await node('ee', ['ee'])
    const a = await node('aa', ['aa', 'bb'], { bb: [b] })
    const down = 'http://127.0.0.1:1'
    const list = new NodeList({ bootstrap: [a, rogue, down] })
    const nodes = await list.refresh()
    expect(nodes.map((n) => n.key).sort()).toEqual(['aa', 'bb', 'cc'])
    expect(list.addresses).not.toContain(rogue) // only it lists itself
    expect(list.addresses).toContain(b)
    expect(list.addresses).toContain(c)
    expect(list.addresses).toContain(down) // silent now, may come back
    expect(list.current()).toBe(a)
    expect(list.fail()).not.toBe(a)
  })
})
