import { describe, expect, it } from 'vitest'
import { equalBytes, toHex } from '../../../core/bytes.ts'
import { RELAY, STATUS } from '../../../core/presence/cell.ts'
import { ClientCircuits } from '../../../core/presence/circuit.ts'
import type { Envelope } from '../../../core/presence/envelope.ts'
import { presenceDhtKey, selectPresence, signRegistration } from '../../../core/presence/registration.ts'
import type { EventSource } from '../../../node/presence/announcer.ts'
import { ManualTimers } from '../../gateway/helpers/manual-timers.ts'
import { until } from '../../helpers/wait.ts'
import { keyOf, presenceNet, rebuilt, seededRandom } from './net.ts'

const T0 = 1_700_000_000_000
const clock = (): ManualTimers => {
  const t = new ManualTimers()
  t.advance(T0)
  return t
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('presence', () => {
  it('a registration is announced under sha256(key), signed by the client, and found by a lookup from any node', async () => {
    const timers = clock()
    const p = presenceNet({ timers })
    const alice = keyOf('alice')
    const client = p.client('client-alice', alice, { ttlMs: 60_000 })
    client.start()
    await until(() => client.state.state === 'registered', { what: 'registration' })
    const records = await p.dht.announcer().lookup(presenceDhtKey(alice.publicKey))
    const found = selectPresence(records, alice.publicKey, timers.now())
    expect(found).toHaveLength(1)
    expect(toHex(found[0]!.presenceNode)).toBe(toHex(client.path[2]!.id))
    expect(found[0]!.expiry).toBe(T0 + 60_000)
    // Checked by the looker, not trusted: another key's lookup or a later clock finds nothing.
    expect(selectPresence(records, keyOf('bob').publicKey, timers.now())).toHaveLength(0)
    expect(selectPresence(records, alice.publicKey, T0 + 60_000)).toHaveLength(0)
    client.stop()
    await until(async () => (await p.dht.announcer().lookup(presenceDhtKey(alice.publicKey))).length === 0, {
      what: 'withdrawal when the circuit closes',
    })
  })

  it('refuses a key the chain does not know; nothing is announced', async () => {
    const timers = clock()
    const alice = keyOf('alice')
    const p = presenceNet({ timers, isKnownAccount: (k) => !equalBytes(k, alice.publicKey) })
    const client = p.client('client-alice', alice)
    client.start()
    await until(() => client.state.state === 'down', { what: 'refusal' })
    expect(client.state).toMatchObject({ state: 'down', error: { code: 'STELE_PRESENCE_REFUSED' } })
    expect(p.dht.current(presenceDhtKey(alice.publicKey))).toHaveLength(0)
    client.stop()
  })

  it('keep-alives extend the registration; without them it lapses at its expiry', async () => {
    const timers = clock()
    const p = presenceNet({ timers })
    const alice = keyOf('alice')
    const client = p.client('client-alice', alice, { ttlMs: 30_000, keepAliveMs: 10_000 })
    client.start()
    await until(() => client.state.state === 'registered', { what: 'registration' })
    // Each keep-alive is a fresh registration 30 s ahead, sent 10 s after the last was acknowledged.
    for (const expiry of [T0 + 40_000, T0 + 50_000, T0 + 60_000]) {
      timers.advance(10_000)
      await until(() => client.state.state === 'registered' && client.state.expiry === expiry, {
        what: `the keep-alive to ${expiry - T0}`,
      })
    }
    expect(timers.now()).toBeGreaterThanOrEqual(T0 + 30_000) // the first registration has expired by now
    expect(p.nodes.reduce((n, x) => n + x.service.registrations, 0)).toBe(1)
    expect(
      selectPresence(p.dht.current(presenceDhtKey(alice.publicKey)), alice.publicKey, timers.now()),
    ).toHaveLength(1)
    client.stop()

    // A client that registers once and goes quiet (the circuit stays up).
    const bob = keyOf('bob')
    const circuits = new ClientCircuits(p.net.endpoint('client-bob'), { timers, random: seededRandom('bob') })
    const c = await circuits.build([p.nodes[0]!.info, p.nodes[1]!.info, p.nodes[2]!.info])
    const answers: number[] = []
    c.handlers.onRelay = (cmd, data) => cmd === RELAY.REGISTERED && answers.push(data[0]!)
    /** Bob's registration at node `at` for 20 s from now, signed by `signer`. */
    const regAt = (at: number, signer = bob) =>
      signRegistration(
        {
          clientKey: bob.publicKey,
          presenceNode: p.nodes[at]!.keys.publicKey,
          expiry: timers.now() + 20_000,
          nonce: new Uint8Array(16),
        },
        signer.secretKey,
      )
    const reg = regAt(2)
    c.send(RELAY.REGISTER, reg.bytes)
    await until(() => answers.length === 1, { what: 'REGISTERED' })
    expect(answers).toEqual([STATUS.OK])
    expect(p.nodes[2]!.service.registrations).toBe(1)
    timers.advance(19_999)
    expect(p.dht.current(presenceDhtKey(bob.publicKey))).toHaveLength(1)
    timers.advance(1)
    expect(p.nodes[2]!.service.registrations).toBe(0)
    expect(p.dht.current(presenceDhtKey(bob.publicKey))).toHaveLength(0)
    // A replayed (older) registration does not bring it back or extend it.
    c.send(RELAY.REGISTER, reg.bytes)
    await until(() => answers.length === 2, { what: 'the refusal' })
    expect(answers[1]).toBe(STATUS.REFUSED)
    // Nor does one naming another presence node, or signed by another key.
    c.send(RELAY.REGISTER, regAt(3).bytes)
    c.send(RELAY.REGISTER, regAt(2, alice).bytes)
    await until(() => answers.length === 4, { what: 'two refusals' })
    expect(answers.slice(2)).toEqual([STATUS.REFUSED, STATUS.REFUSED])
    expect(p.nodes[2]!.service.registrations).toBe(0)
  })

  it('messages reach the client through its presence node and the answer comes back the same way', async () => {
    const timers = clock()
    const p = presenceNet({ timers })
    const alice = keyOf('alice')
    const bob = keyOf('bob')
    const atAlice: Envelope[] = []
    const atBob: Envelope[] = []
    const a = p.client('client-alice', alice, { onMessage: (e) => atAlice.push(e) })
    const b = p.client('client-bob', bob, { onMessage: (e) => atBob.push(e) })
    a.start()
    b.start()
    await until(() => a.state.state === 'registered' && b.state.state === 'registered', {
      what: 'both registered',
    })
    await a.send(bob.publicKey, text('ping'))
    await until(() => atBob.length === 1, { what: "bob's message" })
    expect(toHex(atBob[0]!.from)).toBe(toHex(alice.publicKey))
    expect(new TextDecoder().decode(atBob[0]!.data)).toBe('ping')
    await b.send(atBob[0]!.from, text('pong'))
    await until(() => atAlice.length === 1, { what: "alice's answer" })
    expect(new TextDecoder().decode(atAlice[0]!.data)).toBe('pong')
    // 10 KiB each way: fragments up the sender's circuit, between presence nodes whole, fragments down.
    const big = new Uint8Array(10 * 1024).map((_, i) => i % 251)
    await a.send(bob.publicKey, big)
    await until(() => atBob.length === 2, { what: "bob's large message" })
    expect(Buffer.from(atBob[1]!.data).equals(Buffer.from(big))).toBe(true)
    await b.send(alice.publicKey, atBob[1]!.data)
    await until(() => atAlice.length === 2, { what: "alice's large answer" })
    expect(Buffer.from(atAlice[1]!.data).equals(Buffer.from(big))).toBe(true)
    // Neither address is in what the other side got.
    for (const e of [...atAlice, ...atBob]) {
      expect(Buffer.from(e.bytes).includes('client-alice')).toBe(false)
      expect(Buffer.from(e.bytes).includes('client-bob')).toBe(false)
    }
    // A key with no presence: the sender is told.
    await expect(a.send(keyOf('carol').publicKey, text('?'))).rejects.toMatchObject({
      code: 'STELE_NOT_FOUND',
    })
    a.stop()
    b.stop()
  })

  it('a client may hold several registrations; lookups return the freshest first and a sender tries them all', async () => {
    const timers = clock()
    const p = presenceNet({ timers })
    const alice = keyOf('alice')
    const bob = keyOf('bob')
    const atBob: string[] = []
    const onMessage = (e: Envelope) => atBob.push(new TextDecoder().decode(e.data))
    const b1 = p.client('client-bob-1', bob, { onMessage, ttlMs: 60_000 })
    b1.start()
    await until(() => b1.state.state === 'registered', { what: 'first registration' })
    const first = b1.path[2]!
    timers.advance(1000)
    const b2 = p.client('client-bob-2', bob, { onMessage, ttlMs: 60_000, avoid: () => [first.id] })
    b2.start()
    await until(() => b2.state.state === 'registered', { what: 'second registration' })
    const second = b2.path[2]!
    expect(second.peer).not.toBe(first.peer)
    const found = selectPresence(p.dht.current(presenceDhtKey(bob.publicKey)), bob.publicKey, timers.now())
    expect(found.map((r) => toHex(r.presenceNode))).toEqual([toHex(second.id), toHex(first.id)])

    // Alice routes through neither of Bob's presence nodes, so losing one does not cut her own circuit.
    const others = p.list().filter((n) => n.peer !== first.peer && n.peer !== second.peer)
    const a = p.client('client-alice', alice, { nodes: () => others })
    a.start()
    await until(() => a.state.state === 'registered', { what: "alice's registration" })
    await a.send(bob.publicKey, text('one'))
    await until(() => atBob.length === 1, { what: 'the first message' })
    // The freshest presence node goes; its record is still in the DHT, so the sender falls back to the other.
    if (a.path.some((n) => n.peer === second.peer))
      throw new Error('test set-up: alice routes through bob’s node')
    p.kill(p.byId(second.id))
    await a.send(bob.publicKey, text('two'))
    await until(() => atBob.length === 2, { what: 'the second message' })
    expect(atBob).toEqual(['one', 'two'])
    a.stop()
    b1.stop()
    b2.stop()
  })

  it('a presence node that dies is replaced: the client rebuilds, registers elsewhere, and is found again', async () => {
    const timers = clock()
    const p = presenceNet({ timers })
    const alice = keyOf('alice')
    const client = p.client('client-alice', alice)
    client.start()
    await until(() => client.state.state === 'registered', { what: 'registration' })
    const old = client.path[2]!
    p.kill(p.byId(old.id))
    await until(() => client.state.state === 'down', { what: 'the circuit to go' })
    await rebuilt(timers, client)
    const now = client.path[2]!
    expect(now.peer).not.toBe(old.peer)
    const found = selectPresence(
      p.dht.current(presenceDhtKey(alice.publicKey)),
      alice.publicKey,
      timers.now(),
    )
    expect(found.map((r) => toHex(r.presenceNode))[0]).toBe(toHex(now.id))
    client.stop()
  })

  it('forwards a subscription: events from the source go down the circuit until unsubscribed or closed', async () => {
    const timers = clock()
    const listeners = new Map<string, (d: Uint8Array) => void>()
    const events: EventSource = {
      subscribe(filter, onEvent) {
        listeners.set(filter, onEvent)
        return () => listeners.delete(filter)
      },
    }
    const p = presenceNet({ timers, events })
    const got: [number, string][] = []
    const client = p.client('client-alice', keyOf('alice'), {
      onEvent: (id, d) => got.push([id, new TextDecoder().decode(d)]),
    })
    client.start()
    await until(() => client.state.state === 'registered', { what: 'registration' })
    const sub = client.subscribe('device=boiler-1')
    await until(() => listeners.has('device=boiler-1'), { what: 'the subscription at the presence node' })
    listeners.get('device=boiler-1')!(text('{"v":1}'))
    listeners.get('device=boiler-1')!(text('{"v":2}'))
    const big = text('x'.repeat(2000)) // five FRAGMENT cells
    listeners.get('device=boiler-1')!(big)
    listeners.get('device=boiler-1')!(new Uint8Array(70_000)) // above EVENT_MAX: dropped, counted
    await until(() => got.length === 3, {
      what: 'three events',
      detail: () => JSON.stringify(got.map(([i, s]) => [i, s.length])),
    })
    expect(got).toEqual([
      [sub, '{"v":1}'],
      [sub, '{"v":2}'],
      [sub, 'x'.repeat(2000)],
    ])
    expect(p.byId(client.path[2]!.id).service.droppedEvents).toBe(1)
    client.unsubscribe(sub)
    await until(() => !listeners.has('device=boiler-1'), { what: 'unsubscribe' })
    client.subscribe('device=boiler-2')
    await until(() => listeners.has('device=boiler-2'), { what: 'the second subscription' })
    client.stop()
    await until(() => listeners.size === 0, { what: 'the circuit close to end the subscription' })
  })
})
