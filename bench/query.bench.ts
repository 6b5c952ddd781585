// Readings and aggregate queries under autocannon (its own process) against a real listening app, beside a plain
// fastify route returning the same JSON from memory: p50/p99 at a fixed 1,000 req/s, and the highest rate each serves.
//   node --import tsx bench/query.bench.ts [--quick]
import Fastify from 'fastify'
import { silentLogger } from '../core/logger.ts'
import { buildApp } from '../node/api/app.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { autocannon } from './lib/autocannon.ts'
import { fill } from './lib/fill.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const READINGS = quick ? 100_000 : 1_000_000
const DEVICES = 20 // two sensors each, 1 Hz each: every batch mixes all of them
const SECONDS = quick ? 2 : 10
const T0 = Date.UTC(2026, 0, 1)

const dir = await tempDir('bench-query-')
const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, recordsPerSecPerGateway: 1e9 })
const per = DEVICES * 2
await fill(node, {
  readings: READINGS,
  device: (i) => `dev-${i % DEVICES}`,
  sensor: (i) => (Math.floor(i / DEVICES) % 2 ? 'hum' : 'temp'),
  time: (i) => T0 + Math.floor(i / per) * 1000,
  value: (i) => 20 + Math.sin(i / 1000),
})
// Sealed as a running node would have within seconds (a 4 MiB block holds about 75 of the 1000-record batches): the
// page read is then an hour's-old confirmed one, not pending.
for (let blocks = 0; node.mempool.size > 0; blocks++) {
  if (blocks > READINGS / 1000) throw new Error('bench setup: the mempool does not drain')
  await node.producer.produce()
}
const app = await buildApp({ node, logger: false })
const base = await app.listen({ port: 0, host: '127.0.0.1' })

// A page from the middle of one sensor's history, and the hourly aggregate of all of it.
const span = (READINGS / per) * 1000
const readingsPath = `/v1/devices/dev-7/readings?sensor=temp&limit=100&from=${T0 + Math.floor(span / 2)}`
const aggregatePath = '/v1/devices/dev-7/aggregate?sensor=temp&every=1h&fn=mean,min,max'
const readingsBody = await (await fetch(base + readingsPath)).json()
const aggregateBody = await (await fetch(base + aggregatePath)).json()
const { items } = readingsBody as { items: { status: string }[] }
if (items.length !== 100 || items.some((r) => r.status !== 'confirmed'))
  throw new Error('bench setup: the page is short or not confirmed')

const plain = Fastify({ logger: false })
plain.get('/readings', async () => readingsBody)
plain.get('/aggregate', async () => aggregateBody)
// The same page as text already serialised: what a route that keeps each reading's JSON can at best approach.
const readingsText = JSON.stringify(readingsBody)
plain.get('/readings-text', async (_req, reply) =>
  reply.type('application/json; charset=utf-8').send(readingsText),
)
const plainBase = await plain.listen({ port: 0, host: '127.0.0.1' })

const rows: Row[] = []
const at1000 = { seconds: SECONDS, rate: 1000, connections: 10 }
const max = { seconds: SECONDS, connections: 10 }
// Warm both (JIT, caches) before measuring.
await autocannon(base + readingsPath, { seconds: 1 })
await autocannon(`${plainBase}/readings`, { seconds: 1 })
const sFixed = await autocannon(base + readingsPath, at1000)
const pFixed = await autocannon(`${plainBase}/readings`, at1000)
const sMax = await autocannon(base + readingsPath, max)
const pMax = await autocannon(`${plainBase}/readings`, max)
const tMax = await autocannon(`${plainBase}/readings-text`, max)
const aFixed = await autocannon(base + aggregatePath, at1000)
const apFixed = await autocannon(`${plainBase}/aggregate`, at1000)
const errors = sFixed.errors + sMax.errors + aFixed.errors
rows.push(
  {
    benchmark: 'readings 100/page, p50 at 1,000 req/s',
    unit: 'ms',
    stele: sFixed.p50,
    ceiling: pFixed.p50,
    peer: '(plain fastify, same JSON)',
    target: 'info',
  },
  {
    benchmark: 'readings 100/page, p99 at 1,000 req/s',
    unit: 'ms',
    stele: sFixed.p99,
    ceiling: pFixed.p99,
    peer: '(plain fastify, same JSON)',
    target: '< 10 ms',
    met: sFixed.p99 < 10 && sFixed.rate > 900,
  },
  {
    benchmark: 'readings 100/page, highest rate',
    unit: 'req/s',
    stele: sMax.rate,
    ceiling: pMax.rate,
    peer: '(plain fastify, same JSON)',
    target: '>= 0.5 of plain',
    met: sMax.rate >= 0.5 * pMax.rate,
  },
  {
    benchmark: 'readings 100/page, highest rate vs plain fastify sending the JSON text',
    unit: 'req/s',
    stele: sMax.rate,
    ceiling: tMax.rate,
    peer: '(plain, pre-serialised)',
    target: 'info: the ceiling of cached JSON',
  },
  {
    benchmark: `aggregate 1h over ${(span / 3_600_000).toFixed(1)} h of 1 Hz, p99 at 1,000 req/s`,
    unit: 'ms',
    stele: aFixed.p99,
    ceiling: apFixed.p99,
    peer: '(plain fastify, same JSON)',
    target: '< 20 ms',
    met: aFixed.p99 < 20,
  },
)
printTable(
  `queries under autocannon (${READINGS.toLocaleString('en-US')} readings stored, ${SECONDS} s each)`,
  rows,
)
if (errors > 0) console.log(`errors or non-2xx responses: ${errors}`)
console.log(
  `served at the fixed rate: readings ${Math.round(sFixed.rate)}/s, aggregate ${Math.round(aFixed.rate)}/s`,
)
await app.close()
await plain.close()
await node.close()
await dir.cleanup()
