import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import type { FastifyInstance } from 'fastify'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../../core/hash.ts'
import { parseTopicPattern } from '../../../gateway/connectors/mqtt/mqtt-topic.ts'
import { publishRefusal, subscribeAllowed } from '../../../gateway/mqtt-acl.ts'
import { buildApp } from '../../../node/api/app.ts'
import { deriveSeed } from '../../../node/executor/seed.ts'
import { parseSubscription } from '../../../node/stream/filter.ts'
import { contractTopic, startMqttRepublish } from '../../../node/stream/mqtt-republish.ts'
import { until } from '../../helpers/wait.ts'
import { sseClient } from '../stream/clients.ts'
import { COUNTER, contractNode } from './chain-fixture.ts'

type Fx = Awaited<ReturnType<typeof contractNode>>
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

async function served(fx: Fx): Promise<string> {
  const app: FastifyInstance = await buildApp({ node: fx.node, logger: false, failureLimit: false })
  cleanups.push(() => app.close())
  return app.listen({ host: '127.0.0.1', port: 0 })
}

async function started(contracts: Parameters<typeof contractNode>[0] = {}): Promise<Fx> {
  const fx = await contractNode(contracts)
  cleanups.push(() => fx.close())
  return fx
}

describe('the contracts stream channel', () => {
  it('sends contract results and events live, filtered by contract id', async () => {
    const fx = await started()
    const url = await served(fx)
    const id = await fx.deploy({ codeCid: await fx.store(COUNTER) })
    const other = await fx.deploy({ codeCid: await fx.store(`${COUNTER}\n// another`), name: 'other' })
    await fx.block()
    const mine = await sseClient(url, `?channels=contracts&contract=${id}`)
    const all = await sseClient(url, '?channels=contracts')
    const readings = await sseClient(url, '?channels=readings')
    cleanups.push(async () => {
      for (const s of [mine, all, readings]) s.close()
    })
    await fx.node.submitBatches([fx.gw.next(3)])
    await fx.block()
    await fx.block() // both results sealed
    await all.c.waitFor((ev) => ev.filter((e) => e.type === 'contract-result').length === 2, 'two results')
    await mine.c.waitFor((ev) => ev.some((e) => e.type === 'contract-result'), 'my result')
    const results = mine.c.of('contract-result')
    expect(results).toHaveLength(1)
    expect(results[0]!.result).toMatchObject({ contract: id, status: 'ok', height: 2 })
    const events = mine.c.of('contract-event')
    expect(events.map((e) => (e.event as { name: string }).name)).toEqual(['hot', 'hot'])
    expect(events[0]!.event).toMatchObject({ contract: id, height: 2, index: 0 })
    expect(all.c.of('contract-event').some((e) => (e.event as { contract: string }).contract === other)).toBe(
      true,
    )
    expect(mine.c.events.some((e) => JSON.stringify(e).includes(other))).toBe(false)
    // Not on other channels.
    expect(readings.c.events.some((e) => e.type.startsWith('contract'))).toBe(false)
  }, 30_000)

  it('sends a mismatch as it is caught', async () => {
    const fx = await started({ executeSeed: (h, id) => deriveSeed(sha256(h), id) })
    const url = await served(fx)
    const id = await fx.deploy({ codeCid: await fx.store(COUNTER) })
    await fx.block()
    const s = await sseClient(url, `?channels=contracts&contract=${id}`)
    cleanups.push(async () => s.close())
    await fx.node.submitBatches([fx.gw.next(2)])
    await fx.block()
    await s.c.waitFor((ev) => ev.some((e) => e.type === 'contract-mismatch'), 'the mismatch')
    const [m] = s.c.of('contract-mismatch')
    expect(m!.evidence).toMatchObject({ contract: id, height: 2 })
  }, 30_000)

  it('parses the contract filter and refuses a bad one', () => {
    const a = parseSubscription({ channels: 'contracts', contract: 'AB'.repeat(32) })
    expect([...a.contracts!]).toEqual(['ab'.repeat(32)])
    expect(a.key).not.toBe(parseSubscription({ channels: 'contracts' }).key)
    expect(parseSubscription({ channels: 'readings' }).contracts).toBeNull()
    expect(() => parseSubscription({ channels: 'contracts', contract: 'nope' })).toThrow(/contract/)
  })
})

describe('contract events over MQTT', () => {
  it('publishes each event under stele/contracts/{contract}/{event} on a real broker', async () => {
    const fx = await started()
    const broker = await Aedes.createBroker()
    const server: Server = createServer(broker.handle)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanups.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()))
      await new Promise<void>((r) => server.close(() => r()))
    })
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`
    const listener = await mqtt.connectAsync(url)
    cleanups.push(() => listener.endAsync())
    const got: { topic: string; body: { type: string; event: { name: string; contract: string } } }[] = []
    listener.on('message', (topic, p) => got.push({ topic, body: JSON.parse(p.toString()) }))
    await listener.subscribeAsync('stele/contracts/#', { qos: 1 })
    const rep = startMqttRepublish({ url, hub: fx.node.stream, contracts: fx.node.contracts, qos: 1 })
    cleanups.push(() => rep.stop())
    await rep.ready
    const id = await fx.deploy({ codeCid: await fx.store(COUNTER) })
    await fx.block()
    await fx.node.submitBatches([fx.gw.next(3)])
    await fx.block()
    await fx.block()
    await until(() => got.length >= 2, { what: 'two contract events', detail: () => JSON.stringify(got) })
    expect(got.map((m) => m.topic)).toEqual([`stele/contracts/${id}/hot`, `stele/contracts/${id}/hot`])
    expect(got[0]!.body).toMatchObject({ type: 'contract-event', event: { name: 'hot', contract: id } })
  }, 30_000)

  it('keeps every event name one topic level, and the prefix the republisher’s alone', () => {
    expect(contractTopic('c', 'a/b+#%')).toBe('stele/contracts/c/a%2Fb%2B%23%25')
    expect(contractTopic('c', '')).toBe('stele/contracts/c/%00')
    const readings = parseTopicPattern('stele/{device}/{sensor}')
    const rep = { role: 'republish', username: 'stele-republish' } as const
    const dev = { role: 'device', username: 'contracts' } as const
    expect(publishRefusal(rep, 'stele/contracts/c/hot', readings)).toBeUndefined()
    expect(publishRefusal(dev, 'stele/contracts/hot', readings)).toMatch(/only the republisher/)
    expect(publishRefusal({ role: 'anonymous' }, 'stele/contracts/c/x', readings)).toMatch(
      /only the republisher/,
    )
    expect(subscribeAllowed({ role: 'device', username: 'd1' }, 'stele/contracts/#')).toBe(true)
  })
})
