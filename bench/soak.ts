// Soak: sustained ingest through real processes with repeated kill -9 of node and gateway and node pauses, then
// the invariant check (acknowledged readings stored exactly once, times monotonic, chain valid) and peak memory.
// Usage: npm run soak [-- --minutes 10 --devices 10 --rate 50]
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createRandom } from '../device-sim/random.ts'
import { Cluster } from '../test/e2e/faults/cluster.ts'
import { checkInvariants, waitForIngest } from '../test/e2e/faults/invariants.ts'
import { LedgerDevices } from '../test/e2e/faults/ledger-devices.ts'
import { formatResults } from '../test/e2e/faults/scenario.ts'
import { tempDir } from '../test/helpers/tmp.ts'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    devices: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
  },
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const random = createRandom(Number(values.seed))
const dir = await tempDir('stele-soak-')
const cluster = await Cluster.start(dir.path, { broker: 'mosquitto' })
const devices = new LedgerDevices(
  cluster.brokerUrl,
  Number(values.devices),
  Math.ceil(minutes * 60 * rate),
  rate,
)
const peak = { node: 0, gateway: 0 }
const faults = { 'node kill -9': 0, 'gateway kill -9': 0, 'node unreachable 5 s': 0, 'broker stop 5 s': 0 }

async function rssMb(pid: number | undefined): Promise<number> {
  if (!pid) return 0
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

const sampler = setInterval(async () => {
  peak.node = Math.max(peak.node, await rssMb(cluster.node.child.pid))
  peak.gateway = Math.max(peak.gateway, await rssMb(cluster.gateway.child.pid))
}, 1000)

const started = Date.now()
const end = started + minutes * 60_000
devices.start()
console.log(`soak: ${minutes} min, ${values.devices} devices at ${rate} msg/s each, data in ${dir.path}`)
while (Date.now() < end - 20_000) {
  await new Promise((r) => setTimeout(r, 10_000 + random() * 20_000))
  const pick = random()
  if (pick < 0.35) {
    await cluster.killNode()
    await cluster.startNode()
    faults['node kill -9']++
  } else if (pick < 0.7) {
    await cluster.killGateway()
    await cluster.startGateway()
    faults['gateway kill -9']++
  } else if (pick < 0.85) {
    cluster.pauseNode()
    await new Promise((r) => setTimeout(r, 5000))
    cluster.resumeNode()
    faults['node unreachable 5 s']++
  } else {
    await cluster.stopBroker()
    await new Promise((r) => setTimeout(r, 5000))
    await cluster.startBroker()
    faults['broker stop 5 s']++
  }
  const s = devices.stats
  console.log(
    `${Math.round((Date.now() - started) / 1000)} s: sent ${s.sent}, acknowledged ${s.acked}, faults ${JSON.stringify(faults)}, peak RSS node ${peak.node.toFixed(0)} MB gateway ${peak.gateway.toFixed(0)} MB`,
  )
}
await devices.stop()
await waitForIngest((p) => cluster.api(p), devices, 120_000)
clearInterval(sampler)
await cluster.stop()
const report = await checkInvariants(dir.path, devices)
const times = Object.values(faults).reduce((a, b) => a + b, 0)
console.log(
  `\n${formatResults([
    {
      fault: Object.entries(faults)
        .map(([k, v]) => `${k} x${v}`)
        .join(', '),
      times,
      ...report,
    },
  ])}`,
)
console.log(`peak RSS: node ${peak.node.toFixed(0)} MB, gateway ${peak.gateway.toFixed(0)} MB`)
if (report.problems.length) console.log(report.problems.join('\n'))
await dir.cleanup()
process.exit(report.lost === 0 && report.duplicated === 0 && report.timeBackwards === 0 ? 0 : 1)
