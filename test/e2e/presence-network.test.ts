import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { runWatch, type StreamEvent } from '../../cli/commands/watch.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { readKeyFile } from '../../core/key-file.ts'
import { NodeList } from '../../core/node-list.ts'
import type { PresenceClient, PresenceState } from '../../core/presence/client.ts'
import type { Envelope } from '../../core/presence/envelope.ts'
import type { NodeInfo } from '../../core/presence/transport.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { circuitNodes, PresenceHost, p2pAddressesOf } from '../../node/p2p/presence-client.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { type SteleProcess, spawnStele } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { getJson, layoutTestnet, readingId, registerGateway, startNode, urlOf } from './network-helpers.ts'

const N = 5

/**
 * Five real `stele node` processes on loopback: live readings from any node with a switch of node, and presence
 * circuits through real nodes (cells over libp2p, records in the Kademlia DHT). The privacy of each hop is held by
 * the in-memory tests (test/node/presence); here the parts are real.
 */
describe('streaming and presence across five nodes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  const procs: (SteleProcess | undefined)[] = []
  let maker: BatchMaker
  let chainNodes: NodeInfo[]
  let faucet: KeyPair
  const hosts: PresenceHost[] = []
  const clients: PresenceClient[] = []

  beforeAll(async () => {
    dir = await tempDir('stele-presence-')
    layout = await layoutTestnet(dir.path, N)
    for (let i = 0; i < N; i++) procs[i] = startNode(layout, i)
    await Promise.all(
      procs.map((p) => p!.waitFor((l) => l['msg'] === 'node on the network', 'p2p up', 100_000)),
    )
    maker = new BatchMaker(layout.genesis.chainId, { startTime: Date.now() - 60_000 })
    await registerGateway(layout, maker.key.publicKey)
    const nodes = await getJson(`${urlOf(layout, 0)}/v1/nodes`)
    chainNodes = circuitNodes(nodes.body.nodes)
    faucet = (await readKeyFile(join(layout.nodes[0]!.dataDir, 'node', 'faucet.key')))!
  }, 120_000)

  afterAll(async () => {
    for (const c of clients) c.stop()
    await Promise.all(hosts.map((h) => h.stop()))
    await Promise.all(procs.map((p) => p?.kill('SIGKILL')))
    await dir?.cleanup()
  })

  const alive = (): number[] => procs.flatMap((p, i) => (p ? [i] : []))

  async function submitToA(n: number, ids: string[]): Promise<void> {
    await until(
      async () =>
        (await createHttpNodeClient({ url: urlOf(layout, 0) }).gatewayTip(maker.key.publicKey)).nextSeq,
      { what: 'node A knows the gateway', timeoutMs: 15_000, everyMs: 100 },
    )
    const records = maker.records(n)
    const s = maker.seal(records)
    const r = await createHttpNodeClient({ url: urlOf(layout, 0) }).submitBatches([
      { tx: s.tx.bytes, records: s.records },
    ])
    expect(r[0]!.status).toBe('accepted')
    ids.push(...records.map(readingId))
  }

  it('a subscriber on node E gets every reading submitted to node A and every block once, in order, across a switch to node D', async () => {
    const ids: string[] = []
    const got: string[] = []
    const notes: string[] = []
    const heights: number[] = []
    let switchedAt = 0
    const ac = new AbortController()
    let live = false
    const watching = runWatch({
      node: urlOf(layout, 4),
      nodes: new NodeList({ bootstrap: [urlOf(layout, 4), urlOf(layout, 3)] }),
      filter: { channels: 'readings,blocks' },
      transport: 'sse',
      json: true,
      out: (line) => {
        const ev = JSON.parse(line) as StreamEvent
        if (ev.type === 'live') live = true
        if (ev.type === 'reading') got.push((ev['reading'] as { id: string }).id)
        if (ev.type === 'block') heights.push((ev['block'] as { height: number }).height)
      },
      note: (s) => {
        notes.push(s)
        if (s.startsWith('# switching')) switchedAt = Date.now()
      },
      signal: ac.signal,
      // Slow enough that the second half is all submitted before the switch: D must replay it from the cursor.
      retryMs: { min: 1500, max: 1500 },
    })
    await until(() => live, { what: 'the watcher is live on E', timeoutMs: 15_000, everyMs: 50 })
    for (let k = 0; k < 6; k++) await submitToA(5, ids)
    await until(() => got.length >= ids.length, {
      what: 'E relays the first readings',
      timeoutMs: 20_000,
      everyMs: 100,
      detail: () => `${got.length}/${ids.length}`,
    })
    await procs[4]!.kill('SIGKILL')
    procs[4] = undefined
    for (let k = 0; k < 6; k++) await submitToA(5, ids)
    const submittedAt = Date.now()
    await until(() => got.length >= ids.length, {
      what: 'D serves the rest after the switch',
      timeoutMs: 30_000,
      everyMs: 100,
      detail: () => `${got.length}/${ids.length}; ${notes.slice(-3).join(' | ')}`,
    })
    ac.abort()
    await watching
    expect(got).toEqual(ids)
    // Blocks too: every height once, in order, across the switch.
    // How many blocks seal twelve quick batches depends on the producers' turns: at least two, contiguous.
    expect(heights.length).toBeGreaterThanOrEqual(2)
    expect(heights).toEqual(heights.map((_, i) => heights[0]! + i))
    expect(notes.some((n) => n.includes(`switching to ${urlOf(layout, 3)}`))).toBe(true)
    expect(submittedAt).toBeLessThan(switchedAt) // the second half came from D's storage, by the rewound cursor
  }, 90_000)

  /** A presence client on a fresh client host dialling the live nodes. */
  async function presenceClient(
    account: KeyPair,
    opts: { ttlMs?: number; keepAliveMs?: number; onMessage?: (e: Envelope) => void } = {},
  ) {
    const peers = (await Promise.all(alive().map((i) => p2pAddressesOf(urlOf(layout, i))))).flat()
    const host = await PresenceHost.start({ chainId: layout.genesis.chainId, peers })
    hosts.push(host)
    const states: PresenceState[] = []
    const events: string[] = []
    const client = host.client({
      account,
      nodes: () => chainNodes,
      stepTimeoutMs: 3000,
      suspectMs: 60_000,
      backoff: { initialMs: 100, maxMs: 1000 },
      ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}),
      ...(opts.keepAliveMs ? { keepAliveMs: opts.keepAliveMs } : {}),
      onState: (s) => states.push(s),
      onEvent: (_id, data) => events.push(new TextDecoder().decode(data)),
      ...(opts.onMessage ? { onMessage: opts.onMessage } : {}),
    })
    clients.push(client)
    client.start()
    return { host, client, states, events }
  }

  const registered = (c: PresenceClient, not?: Uint8Array) =>
    until(
      () => {
        const s = c.state
        return s.state === 'registered' && !(not && equalBytes(s.presenceNode, not)) ? s : undefined
      },
      { what: 'registered', timeoutMs: 30_000, everyMs: 50, detail: () => JSON.stringify(c.state) },
    )

  const nodeIndexOf = (key: Uint8Array): number =>
    layout.nodes.findIndex((n) => equalBytes(n.key.publicKey, key))

  const inbox: Envelope[] = []

  it('registers through three real nodes, is found from another node, gets a message and a stream of readings', async () => {
    const a = await presenceClient(faucet, { onMessage: (e) => inbox.push(e) })
    const reg = await registered(a.client)
    expect(a.client.path.map((n) => toHex(n.id))).toHaveLength(3)
    expect(new Set(a.client.path.map((n) => toHex(n.id))).size).toBe(3)

    const other = await PresenceHost.start({
      chainId: layout.genesis.chainId,
      peers: await p2pAddressesOf(urlOf(layout, 1)),
    })
    hosts.push(other)
    const found = await until(async () => (await other.lookup(faucet.publicKey))[0], {
      what: 'the record in the DHT',
      timeoutMs: 15_000,
      everyMs: 200,
    })
    expect(toHex(found.presenceNode)).toBe(toHex(reg.presenceNode))
    expect(found.expiry).toBe(reg.expiry)
    const cli = spawnStele(['presence', 'lookup', toHex(faucet.publicKey), '--node', urlOf(layout, 2)])
    expect(await cli.exited).toBe(0)
    expect(cli.lines.find((l) => l['records'])?.['records']).toEqual([
      { presenceNode: toHex(reg.presenceNode), expiry: reg.expiry },
    ])

    const b = await presenceClient(layout.authority)
    await registered(b.client)
    await b.client.send(faucet.publicKey, new TextEncoder().encode('hello through the onion'))
    await until(() => inbox.length > 0, { what: 'the message', timeoutMs: 10_000, everyMs: 50 })
    expect(new TextDecoder().decode(inbox[0]!.data)).toBe('hello through the onion')
    expect(toHex(inbox[0]!.from)).toBe(toHex(layout.authority.publicKey))

    a.client.subscribe('channels=readings')
    const ids: string[] = []
    await until(() => a.events.some((e) => e.includes('event: subscribed')), {
      what: 'the forwarded subscription',
      timeoutMs: 10_000,
      everyMs: 50,
    })
    await submitToA(3, ids)
    await until(() => ids.every((id) => a.events.some((e) => e.includes(id))), {
      what: 'readings down the circuit',
      timeoutMs: 15_000,
      everyMs: 50,
      detail: () => `${a.events.length} events`,
    })
    b.client.stop()
  }, 90_000)

  it('a registration without keep-alive lapses: the DHT stops returning it', async () => {
    const account = layout.nodes[2]!.key
    const c = await presenceClient(account, { ttlMs: 3000, keepAliveMs: 600_000 })
    const reg = await registered(c.client)
    const found = await until(async () => (await hosts[0]!.lookup(account.publicKey))[0], {
      what: 'the short record',
      timeoutMs: 10_000,
      everyMs: 100,
    })
    expect(found.expiry).toBe(reg.expiry)
    await until(async () => (await hosts[0]!.lookup(account.publicKey)).length === 0, {
      what: 'the record lapsed',
      timeoutMs: 15_000,
      everyMs: 250,
    })
    expect(Date.now()).toBeGreaterThanOrEqual(reg.expiry)
    c.client.stop()
  }, 40_000)

  it('rebuilds after its presence node is killed: registered elsewhere, found there, reachable', async () => {
    const client = clients[0]!
    const before = client.state
    if (before.state !== 'registered') throw new Error('client A is not registered')
    const victim = nodeIndexOf(before.presenceNode)
    expect(victim).toBeGreaterThanOrEqual(0)
    await procs[victim]!.kill('SIGKILL')
    procs[victim] = undefined
    const after = await registered(client, before.presenceNode)
    expect(nodeIndexOf(after.presenceNode)).not.toBe(victim)
    const found = await until(
      async () => {
        const r = (await hosts[0]!.lookup(faucet.publicKey))[0]
        return r && equalBytes(r.presenceNode, after.presenceNode) ? r : undefined
      },
      { what: 'the new record is the freshest', timeoutMs: 15_000, everyMs: 200 },
    )
    expect(found.expiry).toBe(after.expiry)
    const sender = spawnStele([
      'presence',
      'send',
      toHex(faucet.publicKey),
      'after the rebuild',
      '--key',
      join(layout.nodes[0]!.dataDir, 'node', 'node.key'),
      ...alive().flatMap((i) => ['--node', urlOf(layout, i)]),
    ])
    expect(await sender.exited, sender.stderr()).toBe(0)
    await until(() => inbox.some((e) => new TextDecoder().decode(e.data) === 'after the rebuild'), {
      what: 'the message through the new presence node',
      timeoutMs: 10_000,
      everyMs: 50,
    })
  }, 90_000)
})
