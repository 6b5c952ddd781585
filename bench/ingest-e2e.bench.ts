/**
 * End-to-end ingest at QoS 1, beside the raw broker rate and Node-RED measured in the same run.
 *
 *   node --import tsx bench/ingest-e2e.bench.ts [--quick] [--devices 100]
 *
 * For 1 and 10 readings per message, the same simulated fleet (100 mqtt.js devices, same seed, same number of
 * messages, publishing as fast as their PUBACKs allow) sends:
 * - raw: to one plain mqtt.js subscriber (QoS 1, persistent session): the broker's own ceiling;
 * - stele: to the gateway (stamp, seal, sign, LevelDB outbox, PUBACK after the write, submit) and a real node in the
 *   same process (verify, index, rollups, commit), timed until every reading is accepted and sealed in a block;
 * - Node-RED 4.1 (installed with npm into a temp folder at run time): a flow MQTT in -> JSON -> file, timed until
 *   every message is a line in the file.
 * Brokers: the embedded aedes, and Mosquitto from Debian (started on loopback by this bench).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { toHex } from '../core/bytes.ts'
import { silentLogger } from '../core/logger.ts'
import { startMqttFleet } from '../device-sim/fleet.ts'
import { MqttConnector } from '../gateway/connectors/mqtt/mqtt-connector.ts'
import { startEmbeddedBroker } from '../gateway/embedded-broker.ts'
import { createGateway } from '../gateway/gateway.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { ensureNodeRed, freePort, PeerUnavailable, startMosquitto } from './lib/peers.ts'
import { printTable, type Row } from './table.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '100' },
  },
})
const quick = args.quick
const DEVICES = Number(args.devices)
const CAP_MS = quick ? 15_000 : 30_000
const SEED = 2024
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
}

/**
 * Polls `count()` every 5 ms (a measurement, not a sync) until it reaches `target` or the cap passes. The rate window
 * opens when 5% of the target arrived, so the fleet's 100 connections and first batch do not count against anyone.
 */
async function waitCount(count: () => number, target: number, t0: number): Promise<Phase> {
  let open: { n: number; at: number } | undefined
  for (;;) {
    const n = count()
    const now = performance.now()
    if (!open && n >= target * 0.05) open = { n, at: now }
    if (n >= target || now - t0 > CAP_MS) {
      const from = open && now - open.at > 50 ? open : { n: 0, at: t0 }
      return { readings: n - from.n, ms: now - from.at, complete: n >= target }
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

function fleetOptions(url: string, perMessage: number, messages: number) {
  return {
    url,
    count: DEVICES,
    rateHz: Number.POSITIVE_INFINITY,
    seed: SEED,
    readingsPerMessage: perMessage,
    maxMessages: messages,
    maxInflight: 20,
    doorEvents: false,
  }
}

interface Broker {
  url: string
  close(): Promise<void>
}

async function rawPhase(broker: Broker, perMessage: number, messages: number, id: string): Promise<Phase> {
  const sub = await mqtt.connectAsync(broker.url, { clientId: `bench-raw-${id}`, clean: false })
  await sub.subscribeAsync('stele/+/+', { qos: 1 })
  let readings = 0
  sub.on('message', () => {
    readings += perMessage // the fleet sends exactly perMessage readings per message
  })
  const t0 = performance.now()
  const fleet = await startMqttFleet(fleetOptions(broker.url, perMessage, messages))
  const result = await waitCount(() => readings, DEVICES * messages * perMessage, t0)
  await fleet.stop()
  await sub.endAsync()
  return result
}

async function stelePhase(
  broker: Broker,
  perMessage: number,
  messages: number,
  id: string,
): Promise<Phase & { batches: number }> {
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
  })
  await node.registerGateway(toHex(gw.publicKey), 'bench')
  await gw.start()
  await gw.addConnector(
    new MqttConnector({ url: broker.url, sink: gw.sink, clientId: `bench-gateway-${id}` }),
  )
  const t0 = performance.now()
  const fleet = await startMqttFleet(fleetOptions(broker.url, perMessage, messages))
  const accepted = await waitCount(() => node.ingest.counters.records, DEVICES * messages * perMessage, t0)
  await node.producer.produce() // the rest of the readings confirmed in a block
  const result = { ...accepted, ms: performance.now() - t0, batches: node.ingest.counters.batches }
  await fleet.stop()
  await gw.stop()
  await node.close()
  await dir.cleanup()
  return result
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

async function nodeRedPhase(
  redJs: string,
  broker: Broker,
  perMessage: number,
  messages: number,
): Promise<Phase> {
  const dir = await tempDir('bench-node-red-')
  const red = await startNodeRed(redJs, dir.path, broker.url)
  try {
    const lines = new LineCounter(red.out)
    const t0 = performance.now()
    const fleet = await startMqttFleet(fleetOptions(broker.url, perMessage, messages))
    const phase = await waitCount(() => lines.count() * perMessage, DEVICES * messages * perMessage, t0)
    lines.close()
    await fleet.stop()
    return phase
  } finally {
    red.child.kill('SIGTERM')
    await dir.cleanup()
  }
}

const rate = (p: Phase) => (p.readings / p.ms) * 1000
const rows: Row[] = []
const capped = (p: Phase) => (p.complete ? '' : ` (capped at ${CAP_MS / 1000} s)`)

// Embedded aedes: raw, Stele, Node-RED.
let redJs: string | undefined
let redNa: string | undefined
try {
  redJs = await ensureNodeRed(join((await import('node:os')).tmpdir(), 'stele-bench-node-red-4.1'))
} catch (e) {
  redNa = (e as Error).message
}
for (const [perMessage, messages] of LOADS) {
  const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
  const raw = await rawPhase(broker, perMessage, messages, `aedes-${perMessage}`)
  const stele = await stelePhase(broker, perMessage, messages, `aedes-${perMessage}`)
  let red: Phase | undefined
  let na = redNa
  if (redJs) {
    try {
      red = await nodeRedPhase(redJs, broker, perMessage, messages)
    } catch (e) {
      na = (e as Error).message
    }
  }
  await broker.close()
  const readings = (DEVICES * messages * perMessage).toLocaleString('en-US')
  rows.push({
    benchmark: `e2e ${perMessage}/msg, ${readings} readings, aedes, until confirmed${capped(stele)}`,
    unit: 'readings/s',
    stele: rate(stele),
    ceiling: rate(raw),
    peer: `(raw aedes${capped(raw)})`,
    target: perMessage === 1 ? '>= 0.7 of raw broker' : '>= 100,000 readings/s',
    met: perMessage === 1 ? rate(stele) >= 0.7 * rate(raw) : rate(stele) >= 100_000,
  })
  rows.push({
    benchmark: `e2e ${perMessage}/msg vs Node-RED MQTT->JSON->file`,
    unit: 'messages/s',
    stele: rate(stele) / perMessage,
    ceiling: red ? rate(red) / perMessage : null,
    peer: red ? `(Node-RED 4.1${capped(red)})` : '(Node-RED 4.1)',
    target: 'ahead of Node-RED',
    ...(red ? { met: rate(stele) > rate(red) } : { na: na ?? 'not run' }),
  })
  console.log(`${perMessage}/msg: ${stele.batches} batches accepted`)
}

// Mosquitto from Debian as the broker.
const mdir = await tempDir('bench-mosquitto-')
try {
  const mosq = await startMosquitto(mdir.path)
  const broker = { url: mosq.url, close: () => mosq.stop() }
  for (const [perMessage, messages] of LOADS) {
    const raw = await rawPhase(broker, perMessage, messages, `mosq-${perMessage}`)
    const stele = await stelePhase(broker, perMessage, messages, `mosq-${perMessage}`)
    rows.push({
      benchmark: `e2e ${perMessage}/msg, Mosquitto broker, until confirmed${capped(stele)}`,
      unit: 'readings/s',
      stele: rate(stele),
      ceiling: rate(raw),
      peer: `(raw Mosquitto${capped(raw)})`,
      target: perMessage === 1 ? '>= 0.7 of raw broker' : '>= 100,000 readings/s',
      met: perMessage === 1 ? rate(stele) >= 0.7 * rate(raw) : rate(stele) >= 100_000,
    })
  }
  await mosq.stop()
} catch (e) {
  rows.push({
    benchmark: 'e2e, Mosquitto broker',
    stele: null,
    ceiling: null,
    target: '>= 0.7 of raw broker',
    na: (e as Error).message,
  })
} finally {
  await mdir.cleanup()
}

printTable(`ingest end to end, ${DEVICES} MQTT devices at QoS 1, one process (gateway + node)`, rows)
