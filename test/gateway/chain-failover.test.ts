import { describe, expect, it } from 'vitest'
import { SteleError } from '../../core/errors.ts'
import type { NodeApi } from '../../core/node-api.ts'
import type { ChainNode } from '../../core/node-list.ts'
import { createChainNodeClient } from '../../gateway/failover-node-client.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { until } from '../helpers/wait.ts'
import { FakeNode } from './helpers/fake-node.ts'
import { ManualTimers } from './helpers/manual-timers.ts'

const url = (n: string) => `http://${n}.test:8080`
const key = (n: string) => n.repeat(64).slice(0, 64)

/**
 * One chain (a FakeNode: the node's own batch validation, one dedupe state) served at several addresses, each of
 * which can be down; each address answers GET /v1/nodes with what the chain lists there. Fake transport only: the
 * failover and the NodeList under test are the real ones.
 */
class FakeNetwork {
  readonly chain: FakeNode
  readonly down = new Set<string>()
  /** Node name → the names it lists (itself included); endpoints are the names' addresses. */
  readonly lists = new Map<string, string[]>()
  readonly calls: string[] = []
  fetches = 0

  constructor(register: Uint8Array) {
    this.chain = new FakeNode({ register: [register] })
  }

  list(at: string, names: string[]): void {
    this.lists.set(at, names)
  }

  readonly fetch = (async (input: string | URL | Request) => {
    const name = new URL(String(input)).hostname.split('.')[0]!
    this.fetches++
    if (this.down.has(name)) throw new TypeError('fetch failed')
    const nodes: ChainNode[] = (this.lists.get(name) ?? []).map((n) => ({
      key: key(n),
      roles: ['producer'],
      endpoints: [url(n), `/ip4/127.0.0.1/tcp/1/p2p/${n}`],
      self: n === name,
    }))
    return Response.json({ nodes })
  }) as typeof fetch

  readonly client = (u: string): NodeApi => {
    const name = new URL(u).hostname.split('.')[0]!
    const gate = <T>(f: () => Promise<T>): Promise<T> => {
      this.calls.push(name)
      if (this.down.has(name)) return Promise.reject(new SteleError('STELE_UNAVAILABLE', `${name} is down`))
      return f()
    }
    return {
      info: (o) => gate(() => this.chain.info(o)),
      gatewayTip: (g, o) => gate(() => this.chain.gatewayTip(g, o)),
      submitBatches: (b, o) => gate(() => this.chain.submitBatches(b, o)),
    }
  }
}

function setup() {
  const maker = new BatchMaker('test-chain')
  const net = new FakeNetwork(maker.key.publicKey)
  for (const n of ['a', 'b', 'c']) net.list(n, ['a', 'b', 'c'])
  const timers = new ManualTimers()
  const client = createChainNodeClient({
    bootstrap: [url('a')],
    client: net.client,
    fetch: net.fetch,
    timers,
    refreshMs: 30_000,
  })
  const next = () => {
    const s = maker.seal(maker.records(2))
    return { tx: s.tx.bytes, records: s.records }
  }
  return { maker, net, timers, client, next }
}

describe('the gateway client of the nodes the chain lists', () => {
  it('starts from the bootstrap address and learns the others from the chain', async () => {
    const { client, net, next } = setup()
    expect(client.addresses).toEqual([url('a')])
    await client.start()
    expect(client.addresses).toEqual([url('a'), url('b'), url('c')])
    expect((await client.submitBatches([next()]))[0]!.status).toBe('accepted')
    expect(net.calls).toEqual(['a'])
    client.stop()
  })

  it('switches to a listed node when the one in use fails, and stays there', async () => {
    const { client, net, next } = setup()
    await client.start()
    net.down.add('a')
    expect((await client.submitBatches([next()]))[0]!.status).toBe('accepted')
    expect(client.current).toBe(url('b'))
    expect(client.failovers).toBe(1)
    expect((await client.submitBatches([next()]))[0]!.status).toBe('accepted')
    expect(net.calls).toEqual(['a', 'b', 'b'])
    expect(net.chain.recordCount).toBe(4)
    client.stop()
  })

  it('a batch whose answer was lost at one node is a duplicate at the next: stored once', async () => {
    const { client, net, next } = setup()
    await client.start()
    net.chain.loseNextAnswer = true
    // The chain took the batch at a but the answer was lost: the call goes on to b, which holds it already.
    expect((await client.submitBatches([next()]))[0]!.status).toBe('duplicate')
    expect(net.calls).toEqual(['a', 'b'])
    expect(client.current).toBe(url('b'))
    expect(net.chain.recordCount).toBe(2)
    expect(net.chain.duplicates).toBe(1)
    client.stop()
  })

  it('refreshes on its timer: adds the nodes the chain now lists and drops those it no longer lists', async () => {
    const { client, net, timers } = setup()
    await client.start()
    for (const n of ['a', 'b', 'c', 'd']) net.list(n, ['a', 'b', 'd'])
    const asked = net.fetches
    timers.advance(29_999)
    expect(net.fetches).toBe(asked)
    timers.advance(1)
    await until(() => client.addresses.join() === [url('a'), url('b'), url('d')].join(), {
      what: 'the refreshed list',
      timeoutMs: 5000,
    })
    // Not listed, it gets no calls even when every listed node is down.
    net.down.add('a').add('b').add('d')
    await expect(client.info()).rejects.toThrow(/down/)
    expect(net.calls).not.toContain('c')
    client.stop()
    expect(timers.pending).toBe(0)
  })

  it('a failure refreshes at once: a node the chain added since is used without waiting for the timer', async () => {
    const { client, net, timers } = setup()
    await client.start()
    for (const n of ['a', 'b', 'c', 'd']) net.list(n, ['a', 'd'])
    net.down.add('a')
    await expect(client.info()).resolves.toMatchObject({ chainId: 'test-chain' })
    await client.refresh()
    expect(timers.now()).toBe(0)
    expect(client.addresses).toContain(url('d'))
    expect(client.addresses).not.toContain(url('c'))
    net.down.add('b')
    await client.info()
    expect(net.calls.at(-1)).toBe('d')
    client.stop()
  })
})
