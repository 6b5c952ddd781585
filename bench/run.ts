// npm run bench [-- --quick] [--only name,name] [--out file.md]
//
// Runs every benchmark, each in its own process (so RSS, heap and CPU are its own), and prints one table: benchmark,
// Stele's figure, the ceiling or peer measured in the same run, their ratio, and the target. Peers that are not
// installed are installed by the benchmark that needs them when it can (apt-get, npm into a temp folder) and
// reported as 'n/a' with the reason when not. --quick finishes in under 2 minutes, the full run in under 15.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type Row, tableLines } from './table.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
})
const quick = args.quick
const mode = quick ? ['--quick'] : []

interface Bench {
  name: string
  file: string
  /** Seconds after which the benchmark is stopped and its rows are reported missing. */
  limit: number
}

const BENCHES: Bench[] = [
  { name: 'core', file: 'core.bench.ts', limit: quick ? 30 : 60 },
  { name: 'accept', file: 'node-accept.bench.ts', limit: quick ? 40 : 120 },
  { name: 'query', file: 'query.bench.ts', limit: quick ? 40 : 240 },
  { name: 'peer-store', file: 'peer-store.bench.ts', limit: quick ? 120 : 300 },
  { name: 'store', file: 'store.bench.ts', limit: quick ? 60 : 420 },
  { name: 'startup', file: 'startup.bench.ts', limit: 60 },
  { name: 'ingest-e2e', file: 'ingest-e2e.bench.ts', limit: quick ? 240 : 420 },
  { name: 'stream', file: 'stream.bench.ts', limit: quick ? 40 : 120 },
  { name: 'ledger', file: 'ledger.bench.ts', limit: quick ? 90 : 240 },
  { name: 'frame-decoder', file: 'frame-decoder.bench.ts', limit: quick ? 20 : 40 },
  { name: 'presence', file: 'presence.bench.ts', limit: quick ? 30 : 90 },
  { name: 'contracts', file: 'contracts.bench.ts', limit: quick ? 30 : 60 },
  { name: 'contracts-accept', file: 'contracts-accept.bench.ts', limit: quick ? 120 : 300 },
  { name: 'storage', file: 'storage.bench.ts', limit: quick ? 90 : 300 },
  { name: 'outbox-sync', file: 'outbox-sync.bench.ts', limit: quick ? 30 : 60 },
  { name: 'network', file: 'network.bench.ts', limit: quick ? 180 : 600 },
]

const only = args.only?.split(',')
const selected = only ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES
const work = mkdtempSync(join(tmpdir(), 'stele-bench-run-'))
const rowsFile = join(work, 'rows.jsonl')
const logFile = join(work, 'bench.log')
writeFileSync(rowsFile, '')
writeFileSync(logFile, '')

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}`
console.log(`stele bench${quick ? ' --quick' : ''}: ${machine}; load average ${loadavg()[0]!.toFixed(2)}`)
console.log(`full output of every benchmark: ${logFile}`)

function runOne(b: Bench): Promise<{ code: number | null; timedOut: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, b.file), ...mode], {
      env: { ...process.env, STELE_BENCH_ROWS: rowsFile },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const log = (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' })
    child.stdout.on('data', log)
    child.stderr.on('data', log)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      // The benchmark's process group: its peers (influxd, mosquitto, node-red) and child processes too.
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }, b.limit * 1000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, timedOut, ms: performance.now() - t0 })
    })
  })
}

const t0 = performance.now()
const failures: string[] = []
for (const b of selected) {
  writeFileSync(logFile, `\n===== ${b.file} ${mode.join(' ')}\n`, { flag: 'a' })
  const r = await runOne(b)
  const what = r.timedOut ? `stopped after ${b.limit} s` : r.code === 0 ? 'done' : `failed (exit ${r.code})`
  if (r.timedOut || r.code !== 0) failures.push(`${b.name}: ${what}`)
  console.log(`  ${b.name.padEnd(14)} ${what} in ${(r.ms / 1000).toFixed(1)} s`)
}

const rows: (Row & { title: string })[] = readFileSync(rowsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
const total = (performance.now() - t0) / 1000
const lines = [
  `stele bench${quick ? ' --quick' : ''}, ${new Date().toISOString()}, ${total.toFixed(0)} s`,
  `machine: ${machine}; load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
  '',
  ...tableLines(rows),
]
console.log(`\n${lines.join('\n')}`)
if (failures.length > 0) console.log(`\nincomplete: ${failures.join('; ')} (see ${logFile})`)
if (args.out) writeFileSync(args.out, `${lines.join('\n')}\n`)
if (!process.env.STELE_BENCH_KEEP) rmSync(rowsFile, { force: true })
