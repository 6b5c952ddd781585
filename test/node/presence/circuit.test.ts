import { describe, expect, it } from 'vitest'
import { CELL_SIZE, CMD, DESTROY_REASON } from '../../../core/presence/cell.ts'
import { ClientCircuits } from '../../../core/presence/circuit.ts'
import { ManualTimers } from '../../gateway/helpers/manual-timers.ts'
import { settle, until } from '../../helpers/wait.ts'
import { keyOf, presenceNet, rebuilt, seededRandom } from './net.ts'

const contains = (hay: Uint8Array, needle: Uint8Array): boolean =>
  Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) >= 0

async function registeredClient(timers = new ManualTimers()) {
  const p = presenceNet({ timers })
  const account = keyOf('alice')
  const client = p.client('client-alice', account)
  client.start()
  await until(() => client.state.state === 'registered', { what: 'registration' })
  const [entry, middle, presence] = client.path.map((n) => p.byId(n.id))
  return { p, account, client, entry: entry!, middle: middle!, presence: presence!, timers }
}

describe('circuits', () => {
  it('builds three hops through distinct nodes; every cell on every link is 512 bytes', async () => {
    const timers = new ManualTimers()
    const p = presenceNet({ timers })
    p.net.record = true
    const circuits = new ClientCircuits(p.net.endpoint('client'), { timers, random: seededRandom('c') })
    const path = [p.nodes[0]!.info, p.nodes[3]!.info, p.nodes[1]!.info]
    const c = await circuits.build(path)
    expect(c.length).toBe(3)
    expect(p.nodes[0]!.relay.circuits).toBe(1)
    expect(p.nodes[3]!.relay.circuits).toBe(1)
    expect(p.nodes[1]!.relay.circuits).toBe(1)
    expect(p.nodes[2]!.relay.circuits).toBe(0)
    expect(p.net.log.length).toBeGreaterThan(6)
    for (const d of p.net.log) expect(d.bytes.length).toBe(CELL_SIZE)
    // The client only ever talks to the entry.
    expect(new Set(p.net.log.filter((d) => d.from === 'client').map((d) => d.to))).toEqual(
      new Set(['node-0']),
    )
    c.destroy(DESTROY_REASON.REQUESTED)
    await until(() => p.nodes.every((n) => n.relay.circuits === 0), { what: 'teardown along the path' })
  })

  it("refuses a hop that answers in another node's name (the confirmation tag binds the node key)", async () => {
    const timers = new ManualTimers()
    const p = presenceNet({ timers })
    const circuits = new ClientCircuits(p.net.endpoint('client'), { timers, random: seededRandom('c') })
    // The entry's link address, but the middle's identity: the node at that address cannot answer for it.
    const liar = { id: p.nodes[1]!.keys.publicKey, peer: 'node-0' }
    await expect(circuits.build([liar])).rejects.toMatchObject({ code: 'STELE_CIRCUIT_FAILED' })
    expect(p.nodes[0]!.relay.circuits).toBe(0)
  })

  it('what each hop sees: the entry the address not the key, the middle neither, the presence node the key not the address', async () => {
    const { account, entry, middle, presence, client } = await registeredClient()
    // Some traffic beyond the registration.
    await client.send(account.publicKey, new TextEncoder().encode('to myself'))
    const addressesSeen = (n: typeof entry) => new Set(n.sights.map((s) => s.from))
    expect(addressesSeen(entry)).toEqual(new Set(['client-alice', middle.peer]))
    expect(addressesSeen(middle)).toEqual(new Set([entry.peer, presence.peer]))
    expect(addressesSeen(presence)).toEqual(new Set([middle.peer]))
    const everything = (n: typeof entry) => n.sights.flatMap((s) => (s.plain ? [s.cell, s.plain] : [s.cell]))
    for (const b of everything(entry)) expect(contains(b, account.publicKey)).toBe(false)
    for (const b of everything(middle)) expect(contains(b, account.publicKey)).toBe(false)
    expect(everything(presence).some((b) => contains(b, account.publicKey))).toBe(true)
    // Nor does the client's address travel inside any cell.
    const address = new TextEncoder().encode('client-alice')
    for (const n of [middle, presence])
      for (const b of everything(n)) expect(contains(b, address)).toBe(false)
  })

  for (const link of ['client→entry', 'entry→middle', 'middle→presence', 'presence→middle', 'middle→entry']) {
    it(`a cell changed on ${link} is refused and the circuit torn down at every hop`, async () => {
      const { p, client, entry, middle, presence } = await registeredClient()
      const peers: Record<string, string> = {
        client: 'client-alice',
        entry: entry.peer,
        middle: middle.peer,
        presence: presence.peer,
      }
      const [from, to] = link.split('→').map((x) => peers[x]!)
      let changed = 0
      p.net.tamper = (d) => {
        if (d.from !== from || d.to !== to || changed > 0) return d.bytes
        if (d.bytes[4] !== CMD.RELAY && d.bytes[4] !== CMD.RELAY_BACK) return d.bytes
        changed++
        const b = d.bytes.slice()
        b[20]! ^= 0x01
        return b
      }
      const sent = client.send(p.nodes[0]!.keys.publicKey, new Uint8Array([1, 2, 3]))
      await expect(sent).rejects.toMatchObject({ code: 'STELE_CIRCUIT_FAILED' })
      expect(changed).toBe(1)
      expect(client.state.state).toBe('down')
      await until(() => [entry, middle, presence].every((n) => n.relay.circuits === 0), {
        what: 'every hop to drop the circuit',
      })
      expect(presence.service.registrations).toBe(0)
    })
  }

  it('a replayed cell fails its check (the nonce is a counter) and tears the circuit down', async () => {
    const { p, client, entry } = await registeredClient()
    let captured: Uint8Array | undefined
    p.net.tamper = (d) => {
      if (d.to === entry.peer && d.bytes[4] === CMD.RELAY && !captured) captured = d.bytes
      return d.bytes
    }
    client.subscribe('device=x')
    await until(() => captured, { what: 'a relay cell' })
    p.net.tamper = undefined
    expect(entry.relay.circuits).toBe(1)
    // From another link the same bytes name no circuit (ids are per link): ignored, the circuit stays.
    const sights = entry.sights.length
    p.net.inject('someone-else', entry.peer, captured!)
    await settle()
    expect(entry.relay.circuits).toBe(1)
    expect(entry.sights.length).toBe(sights)
    // The same bytes again on the client's own link: the counter has moved on, the tag fails.
    p.net.inject('client-alice', entry.peer, captured!)
    await until(() => entry.relay.circuits === 0, { what: 'the entry to tear the circuit down' })
    expect(entry.sights.length).toBeGreaterThan(sights)
    expect(entry.sights.at(-1)!.plain).toBeUndefined()
  })

  it('a circuit that loses a hop is torn down and the client builds a new one', async () => {
    const { p, client, middle, presence, timers } = await registeredClient()
    const first = client.path.map((n) => n.peer)
    p.kill(middle)
    await until(() => client.state.state !== 'registered', { what: 'the client to see the circuit go' })
    await until(() => presence.relay.circuits === 0, { what: 'the presence node to drop it' })
    await rebuilt(timers, client)
    expect(client.path.map((n) => n.peer)).not.toContain(middle.peer)
    expect(client.path).not.toEqual(first)
    client.stop()
  })

  it('a hop that never answers times the build out (injected timers) and the partial circuit is torn down', async () => {
    const timers = new ManualTimers()
    const p = presenceNet({ timers })
    p.net.tamper = (d) => (d.from === 'node-2' && d.bytes[4] === CMD.CREATED ? undefined : d.bytes)
    const circuits = new ClientCircuits(p.net.endpoint('client'), { timers, random: seededRandom('c') })
    const build = circuits.build([p.nodes[0]!.info, p.nodes[2]!.info, p.nodes[1]!.info])
    const failed = expect(build).rejects.toMatchObject({ code: 'STELE_CIRCUIT_FAILED', details: { hop: 1 } })
    await until(() => timers.pending > 0 && p.nodes[2]!.relay.circuits === 1, {
      what: 'the middle to be asked',
    })
    timers.advance(5000)
    await failed
    await until(() => p.nodes.every((n) => n.relay.circuits === 0), { what: 'cleanup' })
  })
})
