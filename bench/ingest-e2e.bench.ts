/**
 * End-to-end ingest at QoS 1, beside the raw broker and Node-RED measured in the same run, on the same load.
 *
 *   node --import tsx bench/ingest-e2e.bench.ts [--quick] [--devices 100]
 *
 * Fair by construction: for every contestant the simulated fleet (100 mqtt.js devices, same seed, same messages,
 * QoS 1, at most 20 unacknowledged each, as fast as PUBACKs allow) runs in its own process (bench/lib/fleet-process.ts)
 * and measures there how long each PUBACK took and how many messages were in flight. Brokers:
 * - aedes, embedded, for Stele's all-in-one deployment (`stele start`: node, gateway and broker in one process, here
 *   this bench's process) and its ceiling, a plain mqtt.js subscriber in that same process;
 * - Mosquitto, its own process, for everyone else: the raw subscriber (the ceiling), Stele as separate real
 *   `stele node` and `stele gateway` processes, and Node-RED 4.1 (installed with npm into a temp folder at run time:
 *   a flow MQTT in -> JSON -> file, timed until every message is a line in the file).
 * Stele is timed until every reading is accepted by the node and in a block. The embedded broker is started with
 * `allowAnonymous: true` (it requires credentials by default) so the fleet's devices log in as they would elsewhere.
 * Last, each Stele deployment runs the 1 reading/message load again paced at half its measured rate, for the
 * PUBACK latency target.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { toHex } from '../core/bytes.ts'
import { silentLogger } from '../core/logger.ts'
import { MqttConnector } from '../gateway/connectors/mqtt/mqtt-connector.ts'
import { startEmbeddedBroker } from '../gateway/embedded-broker.ts'
import { createGateway } from '../gateway/gateway.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { type FleetReport, startFleetProcess } from './lib/fleet.ts'
import { ensureNodeRed, freePort, PeerUnavailable, startMosquitto } from './lib/peers.ts'
import { startSteleSplit } from './lib/stele-split.ts'
import { threadTicks } from './lib/thread-ticks.ts'
import { printTable, type Row } from './table.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '100' },
    /** Comma-separated parts to run: aedes, mosquitto (each with its paced run); default both. */
    only: { type: 'string', default: 'aedes,mosquitto' },
  },
})
const quick = args.quick
const DEVICES = Number(args.devices)
const ONLY = new Set(args.only.split(','))
const CAP_MS = quick ? 15_000 : 30_000
const SEED = 2024
const MAX_INFLIGHT = 20
const LOADS = (
  quick
    ? [
        [1, 150],
        [10, 60],
      ]
    : [
        [1, 400],
        [10, 150],
      ]
) as [number, number][]

interface Phase {
  readings: number
  ms: number
  complete: boolean
  /** The fleet's own report (PUBACK latency, messages in flight); absent when the phase was capped. */
  fleet?: FleetReport
  /** CPU µs per reading of this process's main thread and its other threads (all-in-one only). */
  cpu?: { main: number; other: number }
}

/**
 * Polls `count()` every `everyMs` (a measurement, not a sync) until it reaches `target` or the cap passes. Timed from
 * the fleet's first publish: its connections are made before, so there is no ramp to leave out (a window opening at
 * some share of the target would flatter a contestant that takes the messages in and counts them in late bursts,
 * such as a node behind a gateway's outbox).
 */
async function waitCount(
  count: () => number | Promise<number>,
  target: number,
  t0: number,
  everyMs: number,
  capMs: number,
): Promise<Phase> {
  for (;;) {
    const n = await count()
    const now = performance.now()
    if (n >= target || now - t0 > capMs) return { readings: n, ms: now - t0, complete: n >= target }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

interface Load {
  url: string
  perMessage: number
  messages: number
  /** Messages per second per device; 0: as fast as PUBACKs allow. */
  rateHz?: number
}

/**
 * Connects the fleet (in its own process), then times from its first publish until `count` reaches every reading;
 * `settle` then runs inside the timing (Stele's last block).
 */
async function measure(
  load: Load,
  count: () => number | Promise<number>,
  settle: () => Promise<void> = async () => {},
  everyMs = 5,
): Promise<Phase> {
  const fleet = await startFleetProcess({
    url: load.url,
    devices: DEVICES,
    perMessage: load.perMessage,
    messages: load.messages,
    seed: SEED,
    maxInflight: MAX_INFLIGHT,
    rateHz: load.rateHz ?? 0,
  })
  try {
    const t0 = performance.now()
    const report = fleet.go()
    // A paced run lasts messages / rate by design: its cap leaves room for that.
    const capMs = Math.max(CAP_MS, load.rateHz ? (2000 * load.messages) / load.rateHz : 0)
    const phase = await waitCount(count, DEVICES * load.messages * load.perMessage, t0, everyMs, capMs)
    const t1 = performance.now()
    await settle()
    phase.ms += performance.now() - t1
    const fleetReport = phase.complete
      ? await report
      : await Promise.race([report, new Promise<undefined>((r) => setTimeout(r, 0))])
    return fleetReport ? { ...phase, fleet: fleetReport } : phase
  } finally {
    await fleet.stop()
  }
}

async function rawPhase(load: Load, id: string): Promise<Phase> {
  const sub = await mqtt.connectAsync(load.url, { clientId: `bench-raw-${id}`, clean: false })
  await sub.subscribeAsync('stele/+/+', { qos: 1 })
  let readings = 0
  sub.on('message', () => {
    readings += load.perMessage // the fleet sends exactly perMessage readings per message
  })
  try {
    return await measure(load, () => readings)
  } finally {
    await sub.endAsync()
  }
}

/** `stele start`'s deployment: node, gateway and the embedded broker in this one process; the fleet outside. */
async function allInOnePhase(load: Load, id: string): Promise<Phase> {
  const dir = await tempDir('stele-bench-e2e-')
  const node = await SteleNode.open({
    dataDir: join(dir.path, 'node'),
    logger: silentLogger,
    recordsPerSecPerGateway: 1e9,
  })
  node.start()
  const gw = await createGateway({
    dataDir: join(dir.path, 'gateway'),
    node,
    chainId: node.genesis.chainId,
    logger: silentLogger,
    // STELE_BENCH_SEAL_WORKER=0 seals on the main thread, for an A/B of the seal worker
    batch: { sealWorker: process.env.STELE_BENCH_SEAL_WORKER !== '0' },
  })
  try {
    await node.registerGateway(toHex(gw.publicKey), 'bench')
    await gw.start()
    await gw.addConnector(
      new MqttConnector({ url: load.url, sink: gw.sink, clientId: `bench-gateway-${id}` }),
    )
    const before = threadTicks()
    const phase = await measure(
      load,
      () => node.ingest.counters.records,
      async () => {
        await node.producer.produce() // the rest of the readings confirmed in a block
      },
    )
    const after = threadTicks()
    const perReading = (ticks: number) => (ticks * 10_000) / Math.max(1, phase.readings)
    phase.cpu = { main: perReading(after.main - before.main), other: perReading(after.other - before.other) }
    return phase
  } finally {
    await gw.stop()
    await node.close()
    await dir.cleanup()
  }
}

/** Separate real `stele node` and `stele gateway` processes against `load.url`, timed through the node's /metrics. */
async function splitPhase(load: Load): Promise<Phase> {
  const dir = await tempDir('stele-bench-split-')
  const stele = await startSteleSplit(dir.path, load.url)
  try {
    return await measure(
      load,
      async () => (await stele.progress()).records,
      async () => {
        while ((await stele.progress()).mempool > 0) await new Promise((r) => setTimeout(r, 10))
      },
      20,
    )
  } finally {
    await stele.stop()
    await dir.cleanup()
  }
}

/** Node-RED with a flow MQTT in (QoS 1) -> JSON -> file (one line per message), on `brokerUrl`. */
async function startNodeRed(
  redJs: string,
  dir: string,
  brokerUrl: string,
): Promise<{ out: string; child: ChildProcess }> {
  const user = join(dir, 'user')
  await mkdir(user, { recursive: true })
  const out = join(dir, 'messages.jsonl')
  const { hostname, port } = new URL(brokerUrl)
  // Node ids must not equal any property value (such values are read as references to config nodes).
  const flows = [
    { id: 'n-tab', type: 'tab', label: 'bench' },
    {
      id: 'n-broker',
      type: 'mqtt-broker',
      broker: hostname,
      port,
      clientid: 'bench-node-red',
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: false,
    },
    {
      id: 'n-in',
      type: 'mqtt in',
      z: 'n-tab',
      topic: 'stele/+/+',
      qos: '1',
      datatype: 'utf8',
      broker: 'n-broker',
      wires: [['n-json']],
    },
    { id: 'n-json', type: 'json', z: 'n-tab', property: 'payload', action: 'obj', wires: [['n-file']] },
    {
      id: 'n-file',
      type: 'file',
      z: 'n-tab',
      filename: out,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      wires: [],
    },
  ]
  await writeFile(join(user, 'flows.json'), JSON.stringify(flows))
  const uiPort = await freePort()
  await writeFile(
    join(user, 'settings.cjs'),
    `module.exports = { uiPort: ${uiPort}, uiHost: '127.0.0.1', flowFile: 'flows.json', httpAdminRoot: '/admin', httpNodeRoot: false, logging: { console: { level: 'warn' } }, editorTheme: { tours: false } }\n`,
  )
  const child = spawn(
    process.execPath,
    [redJs, '--userDir', user, '--settings', join(user, 'settings.cjs')],
    {
      stdio: 'ignore',
    },
  )
  // Started once the flow's MQTT client is connected: its persistent session then exists on the broker.
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new PeerUnavailable(`node-red exited with ${child.exitCode}`)
    if (Date.now() > deadline) throw new PeerUnavailable('node-red did not start within 60 s')
    try {
      const r = await fetch(`http://127.0.0.1:${uiPort}/admin/flows`, {
        headers: { 'Node-RED-API-Version': 'v2' },
      })
      if (r.ok) break
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  await new Promise((r) => setTimeout(r, 1500))
  return { out, child }
}

/** Counts the lines of a file that is being appended to, reading only what was added since the last call. */
class LineCounter {
  private fd: number | undefined
  private readonly buf = Buffer.allocUnsafe(1 << 20)
  lines = 0

  constructor(private readonly path: string) {}

  count(): number {
    if (this.fd === undefined) {
      if (!existsSync(this.path)) return 0
      this.fd = openSync(this.path, 'r')
    }
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null)
      if (n === 0) return this.lines
      for (let i = 0; i < n; i++) if (this.buf[i] === 10) this.lines++
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
  }
}

async function nodeRedPhase(redJs: string, load: Load): Promise<Phase> {
  const dir = await tempDir('bench-node-red-')
  const red = await startNodeRed(redJs, dir.path, load.url)
  try {
    const lines = new LineCounter(red.out)
    const phase = await measure(load, () => lines.count() * load.perMessage)
    lines.close()
    return phase
  } finally {
    red.child.kill('SIGTERM')
    await dir.cleanup()
  }
}

const rate = (p: Phase) => (p.readings / p.ms) * 1000
const capped = (p: Phase) => (p.complete ? '' : ` (capped at ${CAP_MS / 1000} s)`)
const ms = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(1))
const rows: Row[] = []

/** PUBACK latency and messages in flight at the publisher, Stele's beside the raw broker's on the same load. */
function pubackRow(what: string, stele: Phase, raw: Phase): Row {
  const s = stele.fleet
  const r = raw.fleet
  return {
    benchmark: `PUBACK wait p99, ${what} (p50 ${ms(s?.pubackP50Ms)} vs ${ms(r?.pubackP50Ms)}; in flight mean ${s ? Math.round(s.inflightMean) : 'n/a'}, max ${s?.inflightMax ?? 'n/a'} vs ${r ? Math.round(r.inflightMean) : 'n/a'}, ${r?.inflightMax ?? 'n/a'})`,
    unit: 'ms',
    stele: s?.pubackP99Ms ?? null,
    ceiling: r?.pubackP99Ms ?? null,
    peer: '(raw broker, same load)',
    target: 'info',
  }
}

const e2eRow = (perMessage: number, what: string, stele: Phase, raw: Phase, broker: string): Row => ({
  benchmark: `e2e ${perMessage}/msg, ${(DEVICES * LOADS.find((l) => l[0] === perMessage)![1] * perMessage).toLocaleString('en-US')} readings, ${what}, until confirmed${capped(stele)}${stele.cpu ? ` (CPU us/reading: main thread ${stele.cpu.main.toFixed(1)}, other threads ${stele.cpu.other.toFixed(1)})` : ''}`,
  unit: 'readings/s',
  stele: rate(stele),
  ceiling: rate(raw),
  peer: `(raw ${broker}${capped(raw)})`,
  target: perMessage === 1 ? '>= 0.7 of raw broker' : '>= 100,000 readings/s',
  met: perMessage === 1 ? rate(stele) >= 0.7 * rate(raw) : rate(stele) >= 100_000,
})

let redJs: string | undefined
let redNa: string | undefined
try {
  redJs = await ensureNodeRed(join(tmpdir(), 'stele-bench-node-red-4.1'))
} catch (e) {
  redNa = (e as Error).message
}

// Full-rate messages/s of each Stele deployment at 1 reading/message, for the paced run at half of it.
const fullRate: { aio?: number; split?: number } = {}
const AIO = 'all-in-one (node + gateway + aedes, one process)'
const SPLIT = 'stele node + stele gateway processes, Mosquitto'

// Embedded aedes in this process: raw subscriber and Stele all-in-one.
for (const [perMessage, messages] of ONLY.has('aedes') ? LOADS : []) {
  const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
  const load = { url: broker.url, perMessage, messages }
  const raw = await rawPhase(load, `aedes-${perMessage}`)
  const stele = await allInOnePhase(load, `aedes-${perMessage}`)
  await broker.close()
  if (perMessage === 1) fullRate.aio = rate(stele)
  rows.push(
    e2eRow(perMessage, AIO, stele, raw, 'aedes'),
    pubackRow(`${perMessage}/msg, all-in-one`, stele, raw),
  )
}

// Mosquitto in its own process, a fresh one per contestant (a persistent session left by one would queue the next
// one's messages): raw subscriber, Stele as two processes, Node-RED.
const mdir = await tempDir('bench-mosquitto-')
let n = 0
async function onMosquitto<T>(run: (url: string) => Promise<T>): Promise<T> {
  const mosq = await startMosquitto(join(mdir.path, String(n++)))
  try {
    return await run(mosq.url)
  } finally {
    await mosq.stop()
  }
}
let mosquittoOk = ONLY.has('mosquitto')
try {
  for (const [perMessage, messages] of mosquittoOk ? LOADS : []) {
    const load = (url: string) => ({ url, perMessage, messages })
    const raw = await onMosquitto((url) => rawPhase(load(url), `mosq-${perMessage}`))
    const stele = await onMosquitto((url) => splitPhase(load(url)))
    if (perMessage === 1) fullRate.split = rate(stele)
    rows.push(
      e2eRow(perMessage, SPLIT, stele, raw, 'Mosquitto'),
      pubackRow(`${perMessage}/msg, node + gateway`, stele, raw),
    )
    let red: Phase | undefined
    let na = redNa
    if (redJs) {
      const js = redJs
      try {
        red = await onMosquitto((url) => nodeRedPhase(js, load(url)))
      } catch (e) {
        na = (e as Error).message
      }
    }
    rows.push({
      benchmark: `e2e ${perMessage}/msg, node + gateway vs Node-RED MQTT->JSON->file, Mosquitto`,
      unit: 'readings/s',
      stele: rate(stele),
      ceiling: red ? rate(red) : null,
      peer: red ? `(Node-RED 4.1${capped(red)})` : '(Node-RED 4.1)',
      target: perMessage === 1 ? 'ahead of Node-RED' : '>= 0.5 of Node-RED (ahead: the goal)',
      ...(red
        ? { met: perMessage === 1 ? rate(stele) > rate(red) : rate(stele) >= 0.5 * rate(red) }
        : { na: na ?? 'not run' }),
    })
  }
} catch (e) {
  console.error(e)
  mosquittoOk = false
  rows.push({
    benchmark: 'e2e, Mosquitto broker',
    stele: null,
    ceiling: null,
    target: '>= 0.7 of raw broker',
    // One line: a table cell (the whole message is in the benchmark's own output above).
    na: (e as Error).message.replace(/\s+/g, ' ').slice(0, 300),
  })
}

// PUBACK latency at half the maximum rate, 1 reading/message, each deployment.
const [, messages1] = LOADS[0]!
const paced = async (
  what: string,
  perSec: number | undefined,
  run: (l: Load) => Promise<Phase>,
  url?: string,
) => {
  if (!perSec || !url) return
  const rateHz = perSec / 2 / DEVICES
  const p = await run({ url, perMessage: 1, messages: messages1, rateHz })
  rows.push({
    benchmark: `PUBACK wait p99 at half the max rate (${Math.round(perSec / 2).toLocaleString('en-US')} msg/s), ${what} (p50 ${ms(p.fleet?.pubackP50Ms)}; in flight mean ${p.fleet ? p.fleet.inflightMean.toFixed(1) : 'n/a'})`,
    unit: 'ms',
    stele: p.fleet?.pubackP99Ms ?? null,
    ceiling: null,
    peer: '(none)',
    target: '< 100 ms',
    ...(p.fleet ? { met: p.fleet.pubackP99Ms < 100 } : { na: 'capped' }),
  })
}
const aedes = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
await paced('all-in-one', fullRate.aio, (l) => allInOnePhase(l, 'aedes-paced'), aedes.url)
await aedes.close()
if (mosquittoOk) await onMosquitto((url) => paced('node + gateway', fullRate.split, splitPhase, url))
await mdir.cleanup()

printTable(`ingest end to end, ${DEVICES} MQTT devices at QoS 1, the fleet in its own process`, rows)
