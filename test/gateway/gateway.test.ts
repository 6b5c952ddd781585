import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import type { Reading } from '../../core/reading.ts'
import { MqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { createGateway, type GatewayInit } from '../../gateway/gateway.ts'
import { tempDir } from '../helpers/tmp.ts'
import { once, until } from '../helpers/wait.ts'
import { FakeNode } from './helpers/fake-node.ts'

const fast: Partial<GatewayInit> = {
  batch: { maxDelayMs: 5 },
  submit: { backoff: { initialMs: 5, maxMs: 20 } },
}
const reading = (deviceSeq: number): Reading => ({
  device: 'dev-1',
  sensor: 'temp',
  value: deviceSeq,
  deviceSeq,
  source: 'sim',
})

describe('gateway', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let node: FakeNode
  beforeEach(async () => {
    dir = await tempDir('stele-gateway-')
    node = new FakeNode()
  })
  afterEach(() => dir.cleanup())

  it('carries MQTT readings through the embedded broker into the node', async () => {
    const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    const gw = await createGateway({ dataDir: dir.path, node, ...fast })
    node.register(gw.publicKey)
    await gw.start()
    await gw.addConnector(new MqttConnector({ url: broker.url, sink: gw.sink, clientId: 'gw-e2e' }))
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev' })
    for (let i = 1; i <= 20; i++)
      await pub.publishAsync(`stele/dev-${i % 3}/temp`, `{"value":${i},"seq":${i}}`, { qos: 1 })
    await until(() => node.records.length === 20, { what: 'twenty readings at the node' })
    await gw.drained(AbortSignal.timeout(5000))
    const s = gw.status()
    expect(s).toMatchObject({ running: true, chainId: 'test-chain', lastError: null })
    expect(s.batcher).toMatchObject({ stamped: 20, pending: 0 })
    expect(s.outbox).toMatchObject({ batches: 0 })
    expect(s.submitter).toMatchObject({ node: 'up', registered: true })
    expect(s.connectors[0]).toMatchObject({ kind: 'mqtt', connected: true, readings: 20 })
    await pub.endAsync()
    await gw.stop()
    await broker.close()
  })

  it('restarts with its key, sequence numbers, clock and duplicate memory intact', async () => {
    let wall = 1_700_000_000_000
    const opts = { dataDir: dir.path, node, now: () => wall, ...fast }
    node.down = true // everything stays in the outbox across the restart
    const a = await createGateway({ ...opts, chainId: node.chainId })
    node.register(a.publicKey)
    await a.start()
    await a.sink.push([reading(1), reading(2), reading(3)])
    await a.sink.push([reading(4), reading(5)])
    await a.stop()

    wall -= 3_600_000 // the clock was stepped back an hour while the gateway was down
    const b = await createGateway(opts) // no chainId: it is remembered in the data folder
    expect(b.keyCreated).toBe(false)
    expect(b.publicKey).toEqual(a.publicKey)
    await b.start()
    expect(b.status().batcher).toMatchObject({ lastRecordSeq: 5 })
    await b.sink.push([reading(5)]) // the source resends what it sent just before the restart
    expect(b.status().batcher).toMatchObject({ duplicates: 1, stamped: 0 })
    await b.sink.push([reading(6), reading(7)])
    node.down = false
    await until(() => node.records.length === 7, { what: 'all seven at the node' })
    // the fake node checked the batch chain, contiguous record seqs and times that never go backwards
    expect(node.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(node.records.map((r) => r.deviceSeq)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(node.records[5]!.time).toBe(node.records[4]!.time)
    await b.stop()
  })

  it('waits for the node to learn the chain id on a first start, abortably', async () => {
    node.down = true
    const gw = await createGateway({ dataDir: dir.path, node, ...fast })
    const err = await gw.start({ signal: AbortSignal.timeout(100) }).catch((e) => e)
    expect(err).toMatchObject({ name: 'TimeoutError' }) // the signal's own reason, not a wrapped failure
    expect(gw.status().running).toBe(false)
    node.down = false
    await gw.start()
    expect(gw.status().chainId).toBe('test-chain')
    await gw.stop()
    const sinkErr = await gw.sink.push([reading(1)]).catch((e) => e)
    expect(isSteleError(sinkErr, 'STELE_UNAVAILABLE')).toBe(true)
  })

  it('loses no acknowledged reading when killed with SIGKILL mid-ingest', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url)), dir.path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const acked = new Set<number>()
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ack ')) acked.add(Number(line.slice(4)))
    })
    await until(() => acked.size >= 3000, { what: 'three thousand acknowledged readings', timeoutMs: 20_000 })
    const exited = once(child, 'exit', { what: 'the killed child to exit' })
    child.kill('SIGKILL')
    await exited

    node.register((await createGateway({ dataDir: dir.path, node })).publicKey) // loads the same key
    const gw = await createGateway({ dataDir: dir.path, node, now: () => 1, ...fast }) // clock far in the past
    await gw.start()
    await gw.sink.push([{ ...reading(1), device: 'after-restart' }])
    await gw.drained(AbortSignal.timeout(10_000))
    const seen = new Map<number, number>()
    for (const r of node.records)
      if (r.device === 'crash-dev') seen.set(r.deviceSeq!, (seen.get(r.deviceSeq!) ?? 0) + 1)
    const missing = [...acked].filter((s) => !seen.has(s))
    expect(missing).toEqual([])
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    const last = node.records.at(-1)!
    expect(last.device).toBe('after-restart')
    expect(last.time).toBeGreaterThanOrEqual(node.records.at(-2)!.time)
    await gw.stop()
  })
})
