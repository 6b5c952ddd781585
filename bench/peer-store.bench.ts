// Peer store: InfluxDB 1.x (Debian's influxdb, started on loopback by this bench and stopped after) and Stele loaded
// with the same 1 Hz readings of one sensor (30 days, 2.6M readings; --quick: 3 days), side by side: ingest rate,
// a 1,000-reading range query, and hourly mean/min/max over the whole span (GROUP BY time(1h) against
// GET /v1/devices/:device/aggregate).
//   node --import tsx bench/peer-store.bench.ts [--quick]
import { silentLogger } from '../core/logger.ts'
import { buildApp } from '../node/api/app.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { fill, type Series } from './lib/fill.ts'
import { type Peer, PeerUnavailable, startInflux } from './lib/peers.ts'
import { threadTicks, usPer } from './lib/thread-ticks.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const DAYS = quick ? 3 : 30
const READINGS = DAYS * 86_400
const T0 = Date.UTC(2026, 0, 1)
const END = T0 + READINGS * 1000 - 1
const RUNS = 15
/** Stele's ingest CPU per reading: the node's (main) thread, and the others (fill's gateway thread, LevelDB, V8). */
let cpu = ''

const series: Series = {
  readings: READINGS,
  device: () => 'boiler-1',
  sensor: () => 'temp',
  time: (i) => T0 + i * 1000,
  value: (i) => Math.round((60 + 15 * Math.sin(i / 3600) + (i % 7) / 10) * 100) / 100,
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  await fn() // warm
  const out: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return median(out)
}

async function json(res: Response): Promise<unknown> {
  if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status} ${await res.text()}`)
  return res.json()
}

interface Figures {
  ingest: number
  range: number
  hourly: number
  buckets: number
}

async function stele(): Promise<Figures> {
  const dir = await tempDir('bench-peer-stele-')
  const node = await SteleNode.open({ dataDir: dir.path, logger: silentLogger, recordsPerSecPerGateway: 1e9 })
  node.start()
  // Stamped and sealed on a gateway thread, verified and stored by the node on this one (bench/lib/fill.ts).
  const k0 = threadTicks()
  let k1 = k0
  // Read before the gateway thread ends: a thread that ended leaves no figures in /proc.
  const ms = await fill(node, series, { atEnd: () => (k1 = threadTicks()) })
  const us = (ticks: number) => usPer(ticks, READINGS).toFixed(2)
  cpu = `main thread ${us(k1.main - k0.main)} µs/reading, other threads ${us(k1.other - k0.other)} µs/reading`
  await node.producer.produce()
  const app = await buildApp({ node, logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const mid = T0 + Math.floor(READINGS / 2) * 1000
  const rangeUrl = `${base}/v1/devices/boiler-1/readings?sensor=temp&from=${mid}&limit=1000`
  const hourlyUrl = `${base}/v1/devices/boiler-1/aggregate?sensor=temp&every=1h&fn=mean,min,max&from=${T0}&to=${END}`
  const page = (await json(await fetch(rangeUrl))) as { items: unknown[] }
  const hourly = (await json(await fetch(hourlyUrl))) as { items: unknown[] }
  if (page.items.length !== 1000) throw new Error(`stele range query returned ${page.items.length}`)
  const figures = {
    ingest: READINGS / (ms / 1000),
    range: await timeMs(async () => json(await fetch(rangeUrl))),
    hourly: await timeMs(async () => json(await fetch(hourlyUrl))),
    buckets: hourly.items.length,
  }
  await app.close()
  await node.close()
  await dir.cleanup()
  return figures
}

async function influx(): Promise<Figures> {
  const dir = await tempDir('bench-peer-influx-')
  let peer: Peer | undefined
  try {
    peer = await startInflux(dir.path)
    const { url } = peer
    await json(
      await fetch(`${url}/query`, {
        method: 'POST',
        body: new URLSearchParams({ q: 'CREATE DATABASE bench' }),
      }),
    )
    // Line protocol in 5,000-point requests, two in flight, millisecond precision.
    const t0 = performance.now()
    const inFlight = new Set<Promise<unknown>>()
    for (let at = 0; at < READINGS; at += 5000) {
      const lines: string[] = []
      for (let i = at; i < Math.min(READINGS, at + 5000); i++)
        lines.push(`reading,device=boiler-1,sensor=temp value=${series.value(i)} ${series.time(i)}`)
      const p = fetch(`${url}/write?db=bench&precision=ms`, { method: 'POST', body: lines.join('\n') }).then(
        async (r) => {
          if (r.status !== 204) throw new Error(`influx write: HTTP ${r.status} ${await r.text()}`)
        },
      )
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p)).catch(() => undefined)
      if (inFlight.size >= 2) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    const ms = performance.now() - t0
    const q = (query: string) => `${url}/query?db=bench&epoch=ms&q=${encodeURIComponent(query)}`
    const mid = T0 + Math.floor(READINGS / 2) * 1000
    const rangeUrl = q(
      `SELECT value FROM reading WHERE device='boiler-1' AND sensor='temp' AND time >= ${mid}ms LIMIT 1000`,
    )
    const hourlyUrl = q(
      `SELECT mean(value), min(value), max(value) FROM reading WHERE device='boiler-1' AND sensor='temp' AND time >= ${T0}ms AND time <= ${END}ms GROUP BY time(1h)`,
    )
    type Result = { results: { series?: { values: unknown[] }[] }[] }
    const count = async (u: string) =>
      ((await json(await fetch(u))) as Result).results[0]?.series?.[0]?.values.length ?? 0
    if ((await count(rangeUrl)) !== 1000) throw new Error('influx range query did not return 1000 points')
    const buckets = await count(hourlyUrl)
    return {
      ingest: READINGS / (ms / 1000),
      range: await timeMs(async () => json(await fetch(rangeUrl))),
      hourly: await timeMs(async () => json(await fetch(hourlyUrl))),
      buckets,
    }
  } finally {
    await peer?.stop()
    await dir.cleanup()
  }
}

const s = await stele()
let i: Figures | undefined
let na: string | undefined
try {
  i = await influx()
} catch (e) {
  if (!(e instanceof PeerUnavailable)) console.error(e)
  na = e instanceof PeerUnavailable ? e.message : `influx failed: ${(e as Error).message}`
}
if (i && i.buckets !== s.buckets)
  console.log(`note: hourly buckets differ: stele ${s.buckets}, influx ${i.buckets}`)
const peer = '(InfluxDB 1.6)'
const span = `${DAYS} days of 1 Hz${quick ? ' (--quick: 3 days, full run 30)' : ''}`
const rows: Row[] = [
  {
    benchmark: `ingest, ${READINGS.toLocaleString('en-US')} readings, signed and proven`,
    unit: 'readings/s',
    stele: s.ingest,
    ceiling: i?.ingest ?? null,
    peer,
    target: '>= 0.5 of InfluxDB',
    ...(i ? { met: s.ingest >= 0.5 * i.ingest } : { na: na! }),
  },
  {
    benchmark: '1,000-reading range query',
    unit: 'ms',
    stele: s.range,
    ceiling: i?.range ?? null,
    peer,
    target: 'info',
    ...(na ? { na } : {}),
  },
  {
    benchmark: `hourly mean/min/max over ${span}`,
    unit: 'ms',
    stele: s.hourly,
    ceiling: i?.hourly ?? null,
    peer,
    target: '< 20 ms and faster than InfluxDB',
    met: s.hourly < 20 && (i === undefined || s.hourly < i.hourly),
    ...(na ? { na } : {}),
  },
]
printTable('peer store: InfluxDB line protocol and GROUP BY time(1h) vs Stele', rows)
console.log(`stele ingest CPU: ${cpu}`)
