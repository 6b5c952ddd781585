import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleContractCode } from '../../cli/commands/contract-sample.ts'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { runWatch, type StreamEvent } from '../../cli/commands/watch.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { encodeContractDeploy } from '../../core/contract-payloads.ts'
import { generateKeyPair, type KeyPair } from '../../core/ed25519.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { readKeyFile } from '../../core/key-file.ts'
import { encodeTransfer } from '../../core/ledger-payloads.ts'
import { NodeList } from '../../core/node-list.ts'
import { CMD, DESTROY_REASON, RELAY } from '../../core/presence/cell.ts'
import { ClientCircuits } from '../../core/presence/circuit.ts'
import type { PresenceClient, PresenceState } from '../../core/presence/client.ts'
import type { Envelope } from '../../core/presence/envelope.ts'
import type { CellTransport, NodeInfo } from '../../core/presence/transport.ts'
import { realTimers } from '../../core/timers.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { createHttpNodeClient } from '../../gateway/http-node-client.ts'
import { circuitNodes, PresenceHost, p2pAddressesOf } from '../../node/p2p/presence-client.ts'
import { SEE_LOG_ENV, type SeenLine } from '../../node/presence/see-log.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { type SteleProcess, spawnStele } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { getJson, layoutTestnet, readingId, registerGateway, startNode, urlOf } from './network-helpers.ts'

const N = 5

/**
 * Five real `stele node` processes on loopback: live readings, blocks, transactions and contract events from any
 * node with a switch of node, and presence circuits through real nodes (cells over libp2p, records in the Kademlia
 * DHT), each node logging what its hop saw (the STELE_TEST_SEE_LOG hook) for the privacy checks.
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
    for (let i = 0; i < N; i++) procs[i] = startNode(layout, i, { [SEE_LOG_ENV]: seeFile(i) })
    await Promise.all(
      procs.map((p) => p!.waitFor((l) => l['msg'] === 'node on the network', 'p2p up', 100_000)),
    )
    maker = new BatchMaker(layout.genesis.chainId, { startTime: Date.now() - 60_000 })
    await registerGateway(layout, maker.key.publicKey)
    let last: unknown
    const nodes = await until(
      async () => {
        const r = await getJson(`${urlOf(layout, 0)}/v1/nodes`)
        last = r
        return r.status === 200 ? r.body.nodes : undefined
      },
      { what: 'the node list', timeoutMs: 20_000, everyMs: 200, detail: () => JSON.stringify(last) },
    )
    chainNodes = circuitNodes(nodes)
    faucet = (await readKeyFile(join(layout.nodes[0]!.dataDir, 'node', 'faucet.key')))!
  }, 120_000)

  afterAll(async () => {
    for (const c of clients) c.stop()
    await Promise.all(hosts.map((h) => h.stop()))
    await Promise.all(procs.map((p) => p?.kill('SIGKILL')))
    await dir?.cleanup()
  })

  const alive = (): number[] => procs.flatMap((p, i) => (p ? [i] : []))
  const seeFile = (i: number): string => join(dir.path, `seen-${i}.jsonl`)
  const seen = async (i: number): Promise<SeenLine[]> =>
    (await readFile(seeFile(i), 'utf8').catch(() => ''))
      .split('\n')
      .slice(0, -1) // what follows the last newline: nothing, or a line still being written
      .map((l) => JSON.parse(l) as SeenLine)

  /** Signs a ledger transaction from the faucet with its next nonce and submits it to node A. */
  async function faucetTx(type: number, payload: (fee: bigint) => Uint8Array): Promise<string> {
    const me = await getJson(`${urlOf(layout, 0)}/v1/accounts/${toHex(faucet.publicKey)}`)
    const chainId = layout.genesis.chainId
    const fee = minFee(layout.genesis.ledger, type)
    const { nonce } = me.body.pending as { nonce: number }
    const tx = signTx(
      { type, chainId, signer: faucet.publicKey, nonce, payload: payload(fee) },
      faucet.secretKey,
    )
    const r = await fetch(`${urlOf(layout, 0)}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: Buffer.from(tx.bytes).toString('base64') }),
    })
    expect(r.status, await r.clone().text()).toBeLessThan(300)
    return toHex(tx.hash)
  }

  /** The sample threshold contract (fires on `temp` above 15 °C), its code uploaded to node A. */
  async function deployAtA(): Promise<string> {
    const r = await fetch(`${urlOf(layout, 0)}/v1/storage/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: await sampleContractCode(),
    })
    const { cid } = (await r.json()) as { cid: string }
    const filter = { devices: [], sensors: ['temp'], gateways: [] }
    return faucetTx(TX_TYPES.CONTRACT_DEPLOY, (fee) =>
      encodeContractDeploy({ fee, name: 'e2e alert', codeCid: cid, gasLimit: 2_000_000, filter }),
    )
  }

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

  it('a subscriber on node E gets every reading submitted to node A and every block once, in order, across a switch to node D; transactions and contract events too', async () => {
    const ids: string[] = []
    const got: string[] = []
    const txs: string[] = []
    const contractEvents: { contract: string; name: string }[] = []
    const notes: string[] = []
    const heights: number[] = []
    const blocks: string[] = []
    let switchedAt = 0
    const ac = new AbortController()
    let live = false
    const watching = runWatch({
      node: urlOf(layout, 4),
      nodes: new NodeList({ bootstrap: [urlOf(layout, 4), urlOf(layout, 3)] }),
      filter: { channels: 'readings,blocks,transactions,contracts' },
      transport: 'sse',
      json: true,
      out: (line) => {
        const ev = JSON.parse(line) as StreamEvent
        if (ev.type === 'live') live = true
        if (ev.type === 'reading') got.push((ev['reading'] as { id: string }).id)
        if (ev.type === 'block') {
          const b = ev['block'] as { height: number; hash: string }
          heights.push(b.height)
          blocks.push(`${b.height}:${b.hash}`)
        }
        if (ev.type === 'transaction') txs.push((ev['transaction'] as { hash: string }).hash)
        if (ev.type === 'contract-event')
          contractEvents.push(ev['event'] as { contract: string; name: string })
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
    // A transfer and a contract deploy accepted at A are transactions at E; the contract then fires at A's
    // executor, and its event, sealed in a result, reaches E too.
    const transfer = await faucetTx(TX_TYPES.TRANSFER, (fee) =>
      encodeTransfer({ fee, to: generateKeyPair().publicKey, amount: 1_000n, memo: 'e2e' }),
    )
    await until(() => txs.includes(transfer), { what: 'the transfer at E', timeoutMs: 20_000, everyMs: 100 })
    const contract = await deployAtA()
    await until(() => txs.includes(contract), { what: 'the deploy at E', timeoutMs: 20_000, everyMs: 100 })
    for (let k = 0; k < 6; k++) await submitToA(5, ids)
    await until(() => got.length >= ids.length && contractEvents.length > 0, {
      what: 'E relays the first readings and the contract event',
      timeoutMs: 30_000,
      everyMs: 100,
      detail: () => `${got.length}/${ids.length} readings, ${contractEvents.length} contract events`,
    })
    expect(contractEvents[0]).toMatchObject({ contract, name: 'alert' })
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
    // Blocks too, across the switch. How many blocks seal twelve quick batches depends on the producers' turns.
    expect(heights.length).toBeGreaterThanOrEqual(2)
    // Heights in order, each block sent once at its height: a height seen again is another block, the one that
    // replaced a block a reorg took off (two producers sealing at once happens on a loaded machine). A reorg may
    // bring an earlier fork back, so a block is sent again only after another block replaced it at its height.
    const lastAt = new Map<number, string>()
    blocks.forEach((b, i) => {
      expect(lastAt.get(heights[i]!), blocks.join(' ')).not.toBe(b)
      lastAt.set(heights[i]!, b)
    })
    expect(
      heights.every((h, i) => i === 0 || h <= heights[i - 1]! + 1),
      blocks.join(' '),
    ).toBe(true)
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

  /** The lines of one circuit in a hop's log: the circuit that came in on `prev`. */
  const circuitAt = (lines: SeenLine[], prev: { peer: string; circId: number }): SeenLine[] =>
    lines.filter((l) => l.circuit?.prev.peer === prev.peer && l.circuit.prev.circId === prev.circId)
  /** The link the next hop knows the circuit by: this hop's peer id and the circId it chose towards `next`. */
  const onwards = (lines: SeenLine[], hop: NodeInfo, next: NodeInfo) => {
    const link = lines.find((l) => l.circuit?.next)?.circuit?.next
    if (!link) throw new Error('the hop never extended the circuit')
    expect(link.peer).toBe(next.peer)
    return { peer: hop.peer, circId: link.circId }
  }

  /** Entry, middle and presence node's logs of the client's current circuit, followed link by link. */
  async function hopLogs(clientPeer: string, path: NodeInfo[]) {
    const [entry, middle, last] = path as [NodeInfo, NodeInfo, NodeInfo]
    const fromClient = (await seen(nodeIndexOf(entry.id))).filter((l) => l.circuit?.prev.peer === clientPeer)
    const atEntry = circuitAt(fromClient, fromClient.at(-1)!.circuit!.prev)
    const atMiddle = circuitAt(await seen(nodeIndexOf(middle.id)), onwards(atEntry, entry, middle))
    const atPresence = circuitAt(await seen(nodeIndexOf(last.id)), onwards(atMiddle, middle, last))
    return { atEntry, atMiddle, atPresence }
  }

  it('registers through three real nodes, each hop sees only its part, is found from another node, gets a message and a stream of readings', async () => {
    const a = await presenceClient(faucet, { onMessage: (e) => inbox.push(e) })
    const reg = await registered(a.client)
    expect(a.client.path.map((n) => toHex(n.id))).toHaveLength(3)
    expect(new Set(a.client.path.map((n) => toHex(n.id))).size).toBe(3)

    // What each hop saw of this circuit, from its own log.
    const clientPeer = a.host.host.peerId.toString()
    const key = toHex(faucet.publicKey)
    const { atEntry, atMiddle, atPresence } = await hopLogs(clientPeer, a.client.path)
    const clientAddrs = atEntry.filter((l) => l.from === clientPeer).flatMap((l) => l.addrs)
    expect(clientAddrs.length).toBeGreaterThan(0) // the entry sees the client's address and peer id…
    const holdsKey = (l: SeenLine) => l.cell.includes(key) || (l.plain ?? '').includes(key)
    expect(atEntry.some(holdsKey)).toBe(false) // …but never its key
    const knowsClient = (l: SeenLine) =>
      JSON.stringify(l).includes(clientPeer) || l.addrs.some((x) => clientAddrs.includes(x))
    expect(atMiddle.length).toBeGreaterThan(0)
    expect(atMiddle.some((l) => holdsKey(l) || knowsClient(l))).toBe(false) // the middle sees neither
    expect(atPresence.some(holdsKey)).toBe(true) // the presence node sees the key (the registration)…
    expect(atPresence.some(knowsClient)).toBe(false) // …but not the client's address or peer id

    // A cell changed on the way is refused by the hop whose layer it breaks; the circuit is torn down.
    let tamper = false
    const t = a.host.transport
    const tampering: CellTransport = {
      send: (peer, cell) => {
        const out = cell.slice()
        if (tamper && out[4] === CMD.RELAY) out[100]! ^= 1
        t.send(peer, out)
      },
      onMessage: (h) => t.onMessage(h),
      onPeerClosed: (h) => t.onPeerClosed(h),
    }
    const probes = new ClientCircuits(tampering, { timers: realTimers, random: (n) => randomBytes(n) })
    const probe = await probes.build(a.client.path)
    let closed: number | undefined
    probe.handlers = { onRelay: () => {}, onClose: (r) => (closed = r) }
    tamper = true
    probe.send(RELAY.SUBSCRIBE, new Uint8Array(8))
    await until(() => closed, { what: 'the tampered circuit torn down', timeoutMs: 10_000, everyMs: 50 })
    expect(closed).toBe(DESTROY_REASON.PROTOCOL)
    const entryLog = await seen(nodeIndexOf(a.client.path[0]!.id))
    const refused = circuitAt(entryLog, { peer: clientPeer, circId: probe.circId }).filter(
      (l) => l.command === CMD.RELAY,
    )
    expect(refused.at(-1)?.plain).toBeUndefined() // the entry could not open it
    expect(a.client.state.state).toBe('registered') // the client's own circuit is untouched

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

    const atB: Envelope[] = []
    const b = await presenceClient(layout.authority, { onMessage: (e) => atB.push(e) })
    await registered(b.client)
    await b.client.send(faucet.publicKey, new TextEncoder().encode('hello through the onion'))
    await until(() => inbox.length > 0, { what: 'the message', timeoutMs: 10_000, everyMs: 50 })
    expect(new TextDecoder().decode(inbox[0]!.data)).toBe('hello through the onion')
    expect(toHex(inbox[0]!.from)).toBe(toHex(layout.authority.publicKey))
    // 10 KiB, in fragments up one circuit and down the other, and back.
    const big = randomBytes(10 * 1024)
    await b.client.send(faucet.publicKey, big)
    await until(() => inbox.length > 1, { what: 'the 10 KiB message', timeoutMs: 10_000, everyMs: 50 })
    expect(Buffer.from(inbox[1]!.data).equals(big)).toBe(true)
    await a.client.send(inbox[1]!.from, inbox[1]!.data)
    await until(() => atB.length > 0, { what: 'the 10 KiB answer', timeoutMs: 10_000, everyMs: 50 })
    expect(Buffer.from(atB[0]!.data).equals(big)).toBe(true)

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
