/**
 * End-to-end ingest at QoS 1, beside the raw broker and Node-RED measured in the same run, on the same load.
 *
 *   node --import tsx bench/ingest-e2e.bench.ts [--quick] [--devices 100] [--only aedes,mosquitto]
 *                                               [--node-thread true,false] [--per-message 1,10] [--warm-up 100]
 *
 * Fair by construction: for every contestant the simulated fleet (100 mqtt.js devices, same seed, same messages,
 * made before the run; QoS 1, at most 20 unacknowledged each, as fast as PUBACKs allow) runs in its own process
 * (bench/lib/fleet-process.ts) and measures there how long each PUBACK took and how many messages were in flight.
 * Every contestant first takes a warm-up load through the same processes at the same pace (`--warm-up` messages per
 * device, not measured; devices then continue their sequence numbers): deployed brokers, gateways and flows run
 * warm, and a few seconds from cold start would otherwise measure the JIT compiler. Brokers:
 * - aedes, embedded, for Stele's all-in-one deployment (`stele start`: node, gateway and broker in one process, here
 *   this bench's process; bench/lib/all-in-one.ts), with the node in its own thread and in the main thread
 *   (`--node-thread`, both by default, back to back), and its ceiling, a plain mqtt.js subscriber in that process;
 * - Mosquitto, its own process, for everyone else: the raw subscriber (the ceiling), Stele as separate real
 *   `stele node` and `stele gateway` processes, and Node-RED 4.1 (installed with npm into a temp folder at run time:
 *   a flow MQTT in -> JSON -> file, timed until every message is a line in the file; bench/lib/node-red.ts).
 * Stele is timed until every reading is accepted by the node and in a block. The embedded broker is started with
 * `allowAnonymous: true` (it requires credentials by default) so the fleet's devices log in as they would elsewhere.
 * Last, each Stele deployment runs the 1 reading/message load again paced at half its measured rate, for the
 * PUBACK latency target (the warm-up's p99 from cold start is printed beside it: the first second of cold processes,
 * JIT, first seals and writes, sets a p99 that steady running does not have).
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { startEmbeddedBroker } from '../gateway/embedded-broker.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { allInOnePhase } from './lib/all-in-one.ts'
import { type E2eConfig, type Load, measure, type Phase } from './lib/e2e-measure.ts'
import { e2eRow, nodeRedRow, pacedRow, pubackRow, rate } from './lib/e2e-rows.ts'
import { nodeRedPhase } from './lib/node-red.ts'
import { ensureNodeRed, startMosquitto } from './lib/peers.ts'
import { startSteleSplit } from './lib/stele-split.ts'
import { usPer } from './lib/thread-ticks.ts'
import { printTable, type Row } from './table.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '100' },
    /** Comma-separated parts to run: aedes, mosquitto (each with its paced run); default both. */
    only: { type: 'string', default: 'aedes,mosquitto' },
    /** The all-in-one deployment with the node in its own thread (true), in the main thread (false), or both. */
    'node-thread': { type: 'string', default: 'true,false' },
    /** Comma-separated readings per message to run (1, 10); default both (a profile of one phase: --per-message 10). */
    'per-message': { type: 'string', default: '1,10' },
    /** Messages per device every contestant takes, at the phase's pace, before each measured load (default 100; --quick 30). */
    'warm-up': { type: 'string' },
  },
})
const quick = args.quick
const ONLY = new Set(args.only.split(','))
const THREADS = args['node-thread'].split(',').map((v) => v === 'true')
const cfg: E2eConfig = {
  devices: Number(args.devices),
  seed: 2024,
  maxInflight: 20,
  capMs: quick ? 15_000 : 30_000,
  warmUp: Number(args['warm-up'] ?? (quick ? 30 : 100)),
}
const PER_MESSAGE = args['per-message'].split(',').map(Number)
const LOADS = (
  (quick
    ? [
        [1, 150],
        [10, 60],
      ]
    : [
        [1, 400],
        [10, 150],
      ]) as [number, number][]
).filter(([perMessage]) => PER_MESSAGE.includes(perMessage))

async function rawPhase(load: Load, id: string): Promise<Phase> {
  const sub = await mqtt.connectAsync(load.url, { clientId: `bench-raw-${id}`, clean: false })
  await sub.subscribeAsync('stele/+/+', { qos: 1 })
  let readings = 0
  sub.on('message', () => {
    readings += load.perMessage // the fleet sends exactly perMessage readings per message
  })
  try {
    return await measure(cfg, load, { count: () => readings })
  } finally {
    await sub.endAsync()
  }
}

/** Separate real `stele node` and `stele gateway` processes against `load.url`, timed through the node's records. */
async function splitPhase(load: Load): Promise<Phase> {
  const dir = await tempDir('stele-bench-split-')
  const stele = await startSteleSplit(dir.path, load.url)
  try {
    let before = stele.ticks()
    return await measure(cfg, load, {
      count: () => stele.records(),
      settle: async () => {
        while ((await stele.pending()) > 0) await new Promise((r) => setTimeout(r, 10))
      },
      everyMs: 20,
      onStart: () => {
        before = stele.ticks()
      },
      onEnd: (phase) => {
        const after = stele.ticks()
        phase.cpuSplit = {
          gateway: usPer(after.gateway - before.gateway, phase.readings),
          node: usPer(after.node - before.node, phase.readings),
        }
      },
    })
  } finally {
    await stele.stop()
    await dir.cleanup()
  }
}

const rows: Row[] = []
const total = (perMessage: number, messages: number) => cfg.devices * messages * perMessage
const aio = (thread: boolean) =>
  `all-in-one (gateway + aedes, node ${thread ? 'in its own thread' : 'in the main thread'})`

let redJs: string | undefined
let redNa: string | undefined
try {
  redJs = await ensureNodeRed(join(tmpdir(), 'stele-bench-node-red-4.1'))
} catch (e) {
  redNa = (e as Error).message
}

// Full-rate messages/s of each Stele deployment at 1 reading/message, for the paced run at half of it.
const fullRate: { aio: Map<boolean, number>; split?: number } = { aio: new Map() }
const SPLIT = 'stele node + stele gateway processes, Mosquitto'

/**
 * Runs one contestant on a broker of its own, stopped after: a persistent session left by one (the raw subscriber's,
 * a gateway's: both `clean: false`, never unsubscribed) would have a shared broker queue every later message for it
 * while the next contestant runs.
 */
async function onFresh<T>(
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const broker = await start()
  try {
    return await run(broker.url)
  } finally {
    await broker.stop()
  }
}

/** An embedded aedes in this process. */
const onAedes = <T>(run: (url: string) => Promise<T>): Promise<T> =>
  onFresh(async () => {
    const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    return { url: broker.url, stop: () => broker.close() }
  }, run)

// Embedded aedes in this process: raw subscriber and Stele all-in-one, each node placement back to back.
for (const [perMessage, messages] of ONLY.has('aedes') ? LOADS : []) {
  const load = (url: string) => ({ url, perMessage, messages })
  const raw = await onAedes((url) => rawPhase(load(url), `aedes-${perMessage}`))
  for (const thread of THREADS) {
    const stele = await onAedes((url) =>
      allInOnePhase(cfg, load(url), `aedes-${perMessage}-${thread}`, thread),
    )
    if (perMessage === 1) fullRate.aio.set(thread, rate(stele))
    rows.push(
      e2eRow(cfg, perMessage, total(perMessage, messages), aio(thread), stele, raw, 'aedes'),
      pubackRow(`${perMessage}/msg, ${aio(thread)}`, stele, raw),
    )
  }
}

// Mosquitto in its own process, a fresh one per contestant (a persistent session left by one would queue the next
// one's messages): raw subscriber, Stele as two processes, Node-RED.
const mdir = await tempDir('bench-mosquitto-')
let n = 0
const onMosquitto = <T>(run: (url: string) => Promise<T>): Promise<T> =>
  onFresh(() => startMosquitto(join(mdir.path, String(n++))), run)
let mosquittoOk = ONLY.has('mosquitto')
try {
  for (const [perMessage, messages] of mosquittoOk ? LOADS : []) {
    const load = (url: string) => ({ url, perMessage, messages })
    const raw = await onMosquitto((url) => rawPhase(load(url), `mosq-${perMessage}`))
    const stele = await onMosquitto((url) => splitPhase(load(url)))
    if (perMessage === 1) fullRate.split = rate(stele)
    rows.push(
      e2eRow(cfg, perMessage, total(perMessage, messages), SPLIT, stele, raw, 'Mosquitto'),
      pubackRow(`${perMessage}/msg, node + gateway`, stele, raw),
    )
    let red: Phase | undefined
    let na = redNa
    if (redJs) {
      const js = redJs
      try {
        red = await onMosquitto((url) => nodeRedPhase(cfg, js, load(url)))
      } catch (e) {
        na = (e as Error).message
      }
    }
    rows.push(nodeRedRow(cfg, perMessage, stele, red, na))
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
  url: string,
) => {
  if (!perSec) return
  const p = await run({ url, perMessage: 1, messages: messages1, rateHz: perSec / 2 / cfg.devices })
  rows.push(pacedRow(what, perSec, p))
}
if (ONLY.has('aedes'))
  for (const thread of THREADS)
    await onAedes((url) =>
      paced(
        aio(thread),
        fullRate.aio.get(thread),
        (l) => allInOnePhase(cfg, l, `aedes-paced-${thread}`, thread),
        url,
      ),
    )
if (mosquittoOk) await onMosquitto((url) => paced('node + gateway', fullRate.split, splitPhase, url))
await mdir.cleanup()

printTable(`ingest end to end, ${cfg.devices} MQTT devices at QoS 1, the fleet in its own process`, rows)
