/**
 * End-to-end ingest through the embedded broker at QoS 1, beside the raw broker rate measured in the same run.
 *
 *   node --import tsx bench/ingest-e2e.bench.ts [--devices 100] [--seconds-cap 20]
 *
 * For 1 and 10 readings per message, the same simulated fleet (100 mqtt.js devices, same seed, same number of
 * messages, publishing as fast as their PUBACKs allow) sends once to a plain mqtt.js subscriber (QoS 1,
 * persistent session: the broker's own ceiling) and once to the gateway (stamp, seal, sign, LevelDB outbox,
 * PUBACK after the write, submit to an in-process node that verifies every batch signature and Merkle root).
 * Gateway rate counts readings the node accepted. Everything runs in this one process on the same cores.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { silentLogger } from '../core/logger.ts'
import { startMqttFleet } from '../device-sim/fleet.ts'
import { startEmbeddedBroker } from '../gateway/embedded-broker.ts'
import { createGateway } from '../gateway/gateway.ts'
import { MqttConnector } from '../gateway/mqtt-connector.ts'
import { FakeNode } from '../test/gateway/helpers/fake-node.ts'

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    'seconds-cap': { type: 'string', default: '20' },
  },
})
const DEVICES = Number(args.devices)
const CAP_MS = Number(args['seconds-cap']) * 1000
const SEED = 2024

interface Phase {
  readings: number
  ms: number
  complete: boolean
}

/** Resolves when `count()` reaches `target` or the cap passes; polled every 5 ms (a measurement, not a sync). */
async function waitCount(count: () => number, target: number, t0: number): Promise<Phase> {
  for (;;) {
    const n = count()
    const ms = performance.now() - t0
    if (n >= target || ms > CAP_MS) return { readings: n, ms, complete: n >= target }
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

async function rawPhase(perMessage: number, messages: number): Promise<Phase> {
  const broker = await startEmbeddedBroker({ port: 0 })
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-raw', clean: false })
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
  await broker.close()
  return result
}

async function gatewayPhase(perMessage: number, messages: number): Promise<Phase & { batches: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'stele-bench-'))
  const broker = await startEmbeddedBroker({ port: 0 })
  const node = new FakeNode()
  node.decodeRecords = false // signatures, chain links and Merkle roots are still checked per batch
  const gw = await createGateway({ dataDir: dir, node, chainId: node.chainId, logger: silentLogger })
  node.register(gw.publicKey)
  await gw.start()
  await gw.addConnector(new MqttConnector({ url: broker.url, sink: gw.sink, clientId: 'bench-gateway' }))
  const t0 = performance.now()
  const fleet = await startMqttFleet(fleetOptions(broker.url, perMessage, messages))
  const result = await waitCount(() => node.recordCount, DEVICES * messages * perMessage, t0)
  await fleet.stop()
  await gw.stop()
  await broker.close()
  await rm(dir, { recursive: true, force: true })
  return { ...result, batches: node.submitted }
}

const rate = (p: Phase) => (p.readings / p.ms) * 1000
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const rows: string[][] = []
for (const [perMessage, messages] of [
  [1, 400],
  [10, 150],
] as const) {
  const raw = await rawPhase(perMessage, messages)
  const gw = await gatewayPhase(perMessage, messages)
  rows.push([
    String(perMessage),
    fmt(DEVICES * messages),
    fmt(DEVICES * messages * perMessage),
    `${fmt(rate(raw))}${raw.complete ? '' : ' (capped)'}`,
    `${fmt(rate(gw))}${gw.complete ? '' : ' (capped)'}`,
    (rate(gw) / rate(raw)).toFixed(2),
    gw.batches > 0 ? fmt(gw.readings / gw.batches) : '-',
  ])
}

const header = [
  'readings/msg',
  'messages',
  'readings',
  'raw broker readings/s',
  'gateway readings/s',
  'gateway/raw',
  'records/batch',
]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`
console.log(`\ningest end to end, ${DEVICES} MQTT devices at QoS 1, embedded aedes broker, one process`)
console.log(line(header))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
console.log(
  '\nraw: same fleet and messages to one plain mqtt.js subscriber (QoS 1, persistent session).\n' +
    'gateway: stamped, sealed, signed, in the LevelDB outbox before PUBACK, accepted by an in-process node.',
)
