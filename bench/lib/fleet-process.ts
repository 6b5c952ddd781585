/**
 * The simulated fleet as its own process, so no contestant shares a thread with the devices that load it.
 *
 *   fork('bench/lib/fleet-process.ts', [JSON.stringify(FleetSpec)], { execArgv: ['--import', 'tsx'] })
 *
 * Every device is an mqtt.js client publishing at QoS 1 the readings device-sim's sensor models give for its seed
 * (the payloads of device-sim/mqtt-device.ts: `{ value, unit, seq, ts }`, an array when several per message), with
 * at most `maxInflight` unacknowledged. The process connects every device, says `ready`, publishes on `go`, and
 * reports once every message is acknowledged: how long each PUBACK took from publish (p50, p99) and how many
 * messages the whole fleet had in flight (mean over publishes, and the most).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { deviceIds } from '../../device-sim/fleet.ts'
import { createRandom, deriveSeed } from '../../device-sim/random.ts'
import { CONTINUOUS_SENSORS, createDeviceSensors } from '../../device-sim/sensors.ts'

export interface FleetSpec {
  url: string
  devices: number
  perMessage: number
  /** Per device. */
  messages: number
  seed: number
  /** Each device's first reading is sequence `firstSeq + 1` (a measured load after a warm-up continues it). */
  firstSeq: number
  maxInflight: number
  /** Messages per second per device; 0: as fast as PUBACKs allow. */
  rateHz: number
}

export interface FleetReport {
  acked: number
  errors: number
  /** From `go` to the last PUBACK. */
  ms: number
  pubackP50Ms: number
  pubackP99Ms: number
  inflightMean: number
  inflightMax: number
  /** The fleet process's own CPU (user + system, all threads) from `go` to the last PUBACK, µs. */
  cpuUs: number
}

export type FleetMessage = { type: 'ready' } | { type: 'done'; report: FleetReport }

const spec = JSON.parse(process.argv[2]!) as FleetSpec
const send = (m: FleetMessage) => process.send!(m)
const total = spec.devices * spec.messages
const latency = new Float64Array(total)
let done = 0
let errors = 0
let inflight = 0
let inflightSum = 0
let inflightSamples = 0
let inflightMax = 0
let t0 = 0

interface Device {
  client: MqttClient
  topics: string[]
  payloads: Buffer[]
  sent: number
  inflight: number
}

/**
 * Every message is made before `go` (sensor samples at 1 ms steps from now, JSON, bytes): the fleet stands in for
 * devices on other machines, so its CPU during the run is only the MQTT client's, which it takes from the
 * contestants' two cores (`cpuUs` in the report says how much).
 */
function messagesOf(i: number): Pick<Device, 'topics' | 'payloads'> {
  const id = ids[i]!
  const start = Date.now()
  const sensors = createDeviceSensors(createRandom(deriveSeed(spec.seed, i)), { start })
  const topics: string[] = []
  const payloads: Buffer[] = []
  let seq = spec.firstSeq
  for (let m = 0; m < spec.messages; m++) {
    const sensor = CONTINUOUS_SENSORS[m % CONTINUOUS_SENSORS.length]!
    const items = []
    for (let k = 0; k < spec.perMessage; k++) {
      const s = sensors.sample(sensor, start + m)
      items.push({ value: s.value, ...(s.unit ? { unit: s.unit } : {}), seq: ++seq, ts: s.time })
    }
    topics.push(`stele/${id}/${sensor}`)
    payloads.push(Buffer.from(JSON.stringify(items.length === 1 ? items[0] : items)))
  }
  return { topics, payloads }
}

const ids = deviceIds(spec.devices)
const devices: Device[] = await Promise.all(
  ids.map(async (id, i) => ({
    client: await mqtt.connectAsync(spec.url, { clientId: id, reconnectPeriod: 1000 }),
    ...messagesOf(i),
    sent: 0,
    inflight: 0,
  })),
)

let finish: () => void = () => {}
const finished = new Promise<void>((r) => {
  finish = r
})

function publish(d: Device): void {
  const m = d.sent
  d.sent++
  d.inflight++
  inflight++
  inflightSum += inflight
  inflightSamples++
  if (inflight > inflightMax) inflightMax = inflight
  const at = performance.now()
  d.client.publish(d.topics[m]!, d.payloads[m]!, { qos: 1 }, (err) => {
    d.inflight--
    inflight--
    if (err) errors++
    latency[done++] = performance.now() - at
    if (done === total) finish()
    else if (spec.rateHz === 0) pump(d, Number.POSITIVE_INFINITY)
  })
}

function pump(d: Device, due: number): void {
  while (d.sent < spec.messages && d.sent < due && d.inflight < spec.maxInflight) publish(d)
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

process.on('message', async (m: { type: string }) => {
  if (m.type === 'go') {
    t0 = performance.now()
    const cpu0 = process.cpuUsage()
    if (spec.rateHz === 0) for (const d of devices) pump(d, Number.POSITIVE_INFINITY)
    else {
      // Paced: each device is due floor(elapsed × rate) + 1 messages; a full window delays them, never drops them.
      const tick = () => {
        const due = Math.floor(((performance.now() - t0) * spec.rateHz) / 1000) + 1
        for (const d of devices) pump(d, due)
      }
      const timer = setInterval(tick, 5)
      tick()
      void finished.then(() => clearInterval(timer))
    }
    await finished
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const sorted = latency.slice(0, done).sort()
    send({
      type: 'done',
      report: {
        acked: done - errors,
        errors,
        ms,
        pubackP50Ms: quantile(sorted, 0.5),
        pubackP99Ms: quantile(sorted, 0.99),
        inflightMean: inflightSamples ? inflightSum / inflightSamples : 0,
        inflightMax,
        cpuUs: cpu.user + cpu.system,
      },
    })
  } else if (m.type === 'stop') {
    await Promise.allSettled(devices.map((d) => d.client.endAsync(true)))
    process.exit(0)
  }
})
send({ type: 'ready' })
