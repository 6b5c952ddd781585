// Node RSS with 1M stored readings (and 10M in the full run), beside the RSS of the same node on an empty store.
// The store is filled here (100 devices, 1 Hz each, sealed and accepted in-process); the RSS is that of a fresh
// node process opened on it that serves readings pages, aggregates and proofs for a few seconds.
//   node --import tsx bench/store.bench.ts [--quick]
import { execFile } from 'node:child_process'
import { silentLogger } from '../core/logger.ts'
import { buildApp } from '../node/api/app.ts'
import { SteleNode } from '../node/node.ts'
import { tempDir } from '../test/helpers/tmp.ts'
import { fill } from './lib/fill.ts'
import { rssSplit } from './lib/rss.ts'
import { printTable, type Row } from './table.ts'

const quick = process.argv.includes('--quick')
const DEVICES = 100
const T0 = Date.UTC(2026, 0, 1)
const FILL_BUDGET_MS = quick ? 40_000 : 240_000

/**
 * Queries the serving node answers before its RSS is read: a fixed count (three per round), not a fixed time, so
 * the garbage of the queries in its heap is the same however loaded the machine is (it was 700-2,600 in 3 s).
 */
const SERVE_ROUNDS = 300

/** Child mode: open the node on `dir`, serve SERVE_ROUNDS rounds of queries (30 s at most), print RSS in MB. */
async function serve(dataDir: string): Promise<void> {
  const node = await SteleNode.open({ dataDir, logger: silentLogger })
  const app = await buildApp({ node, logger: false })
  const until = performance.now() + 30_000
  let n = 0
  const devices = [...node.devices.keys()]
  while (n < SERVE_ROUNDS && performance.now() < until && devices.length > 0) {
    const device = devices[n++ % devices.length]!
    const page = await app.inject({ url: `/v1/devices/${device}/readings?sensor=temp&limit=100&order=desc` })
    await app.inject({ url: `/v1/devices/${device}/aggregate?sensor=temp&every=1h` })
    const id = (page.json() as { items: { id: string }[] }).items[0]?.id
    if (id) await app.inject({ url: `/v1/readings/${id}/proof` })
  }
  if (devices.length === 0) await new Promise((r) => setTimeout(r, 3000))
  const mem = process.memoryUsage()
  const rss = mem.rss / 2 ** 20
  console.error(
    JSON.stringify({
      ...rssSplit(),
      heapUsed: mem.heapUsed / 2 ** 20,
      heapTotal: mem.heapTotal / 2 ** 20,
      external: mem.external / 2 ** 20,
      arrayBuffers: mem.arrayBuffers / 2 ** 20,
    }),
  )
  await app.close()
  await node.close()
  console.log(JSON.stringify({ rss, requests: n * 3 }))
}

function rssOf(dataDir: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--serve', dataDir],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) return reject(err)
        if (stderr.trim()) console.log(`node on ${dataDir}: ${stderr.trim()}`)
        resolve((JSON.parse(stdout.trim().split('\n').pop()!) as { rss: number }).rss)
      },
    ),
  )
}

async function main(): Promise<void> {
  const rows: Row[] = []
  const empty = await tempDir('bench-store-empty-')
  const idle = await SteleNode.open({ dataDir: empty.path, logger: silentLogger })
  await idle.close()
  const baseline = await rssOf(empty.path)
  await empty.cleanup()

  const dir = await tempDir('bench-store-')
  const open = () => SteleNode.open({ dataDir: dir.path, logger: silentLogger, recordsPerSecPerGateway: 1e9 })
  let node = await open()
  node.start()
  let stored = 0
  let peakFillRss = 0
  const t0 = performance.now()
  // --quick stores 300k to stay within its two minutes; the full run stores 1M and then 10M.
  const targets = quick ? [300_000] : [1_000_000, 10_000_000]
  for (const target of targets) {
    let budgetHit = false
    await fill(
      node,
      {
        readings: target - stored,
        device: (i) => `dev-${(stored + i) % DEVICES}`,
        sensor: () => 'temp',
        time: (i) => T0 + Math.floor((stored + i) / DEVICES) * 1000,
        value: (i) => 20 + ((stored + i) % 97) / 10,
      },
      {
        onBatch: () => {
          peakFillRss = Math.max(peakFillRss, process.memoryUsage().rss / 2 ** 20)
          if (performance.now() - t0 > FILL_BUDGET_MS) {
            budgetHit = true
            throw new Error('fill budget')
          }
        },
      },
    ).catch((e) => {
      if (!budgetHit) throw e
    })
    await node.producer.produce()
    stored += node.ingest.counters.records
    await node.close()
    const rss = await rssOf(dir.path)
    const label =
      stored >= target ? target.toLocaleString('en-US') : `${stored.toLocaleString('en-US')} (time budget)`
    rows.push({
      benchmark: `node RSS, ${label} readings stored`,
      unit: 'MB',
      stele: rss,
      ceiling: baseline,
      peer: '(same node, empty store)',
      target: '< 300 MB with 10M',
      met: rss < 300,
    })
    // Reopened only to fill on: a node left open after the last target would have its folder removed under it.
    if (stored < target || target === targets.at(-1)) break
    node = await open()
    node.start()
  }
  rows.push({
    benchmark: 'RSS of the process filling the store (peak)',
    unit: 'MB',
    stele: peakFillRss,
    ceiling: baseline,
    peer: '(empty node)',
    target: 'info',
  })
  printTable('memory', rows)
  await dir.cleanup()
}

const at = process.argv.indexOf('--serve')
if (at > 0) await serve(process.argv[at + 1]!)
else await main()
